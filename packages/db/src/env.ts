import { z } from "zod";

const databaseEnvSchema = z.object({
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: "DATABASE_URL must be a postgres:// URL" })
    .optional(),
  DATA_DIR: z.string().min(1).default(".data"),
});

export type DatabaseEnv = z.infer<typeof databaseEnvSchema>;

/** Reads the database settings from the environment; throws naming the bad variable. */
export function readDatabaseEnv(source: Record<string, string | undefined> = process.env): DatabaseEnv {
  const parsed = databaseEnvSchema.safeParse({
    DATABASE_URL: source.DATABASE_URL || undefined,
    DATA_DIR: source.DATA_DIR || undefined,
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid database configuration: ${issues.join("; ")}`);
  }
  return parsed.data;
}
