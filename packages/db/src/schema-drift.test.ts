import { readFile } from "node:fs/promises";
import { join } from "node:path";

import type { DrizzleSnapshotJSON } from "drizzle-kit/api";
import { generateDrizzleJson, generateMigration } from "drizzle-kit/api";
import { describe, expect, it } from "vitest";

import { migrationsFolder } from "./migrate";
import * as schema from "./schema/index";

interface Journal {
  entries: { idx: number; tag: string }[];
}

/** The snapshot drizzle-kit wrote with the newest committed migration: what the SQL amounts to. */
async function readLatestSnapshot(): Promise<DrizzleSnapshotJSON> {
  const journal = JSON.parse(
    await readFile(join(migrationsFolder, "meta", "_journal.json"), "utf8"),
  ) as Journal;
  const latest = journal.entries.at(-1);
  if (!latest) throw new Error("the migrations journal has no entries");
  const file = `${String(latest.idx).padStart(4, "0")}_snapshot.json`;
  return JSON.parse(await readFile(join(migrationsFolder, "meta", file), "utf8")) as DrizzleSnapshotJSON;
}

/** The statements `drizzle-kit generate` would write to go from `committed` to `current`. */
function pendingStatements(committed: DrizzleSnapshotJSON, current: DrizzleSnapshotJSON): Promise<string[]> {
  return generateMigration(committed, current);
}

describe("committed migrations and the TypeScript schema", () => {
  it("agree: generating a migration from the schema yields nothing", async () => {
    const committed = await readLatestSnapshot();
    const current = generateDrizzleJson(schema, committed.id);

    expect(await pendingStatements(committed, current)).toEqual([]);
  });

  it("would report a table the schema no longer has", async () => {
    const committed = await readLatestSnapshot();
    const { reactions: _reactions, ...schemaWithoutReactions } = schema;
    const current = generateDrizzleJson(schemaWithoutReactions, committed.id);

    expect(await pendingStatements(committed, current)).toEqual([
      expect.stringMatching(/^DROP TABLE "reactions"/),
    ]);
  });

  it("would report a column the committed SQL lacks", async () => {
    const committed = await readLatestSnapshot();
    const withoutColumn = structuredClone(committed) as DrizzleSnapshotJSON & {
      tables: Record<string, { columns: Record<string, unknown> }>;
    };
    const usersTable = withoutColumn.tables["public.users"];
    if (!usersTable) throw new Error("the snapshot has no public.users table");
    delete usersTable.columns.display_name;

    const statements = await pendingStatements(withoutColumn, generateDrizzleJson(schema, committed.id));

    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^ALTER TABLE "users" ADD COLUMN "display_name" text NOT NULL/);
  });

  it("would report a check constraint whose condition changed", async () => {
    const committed = await readLatestSnapshot();
    const loosened = structuredClone(committed) as DrizzleSnapshotJSON & {
      tables: Record<string, { checkConstraints: Record<string, { value: string }> }>;
    };
    const check = loosened.tables["public.messages"]?.checkConstraints.messages_body_length;
    if (!check) throw new Error("the snapshot has no messages_body_length check");
    check.value = check.value.replace("4000", "8000");

    const statements = await pendingStatements(loosened, generateDrizzleJson(schema, committed.id));

    expect(statements.join("\n")).toContain('"messages_body_length"');
    expect(statements.join("\n")).toContain("4000");
  });
});
