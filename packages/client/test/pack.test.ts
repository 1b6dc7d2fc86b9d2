import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { afterAll, beforeAll, expect, it } from "vitest";

import { startTestServer, type TestServer } from "./harness";

/**
 * What a developer outside this repository gets from `npm install @parley/client`: the packed
 * tarball installed into a fresh project under the system temp folder, type-checked with strict
 * settings, then run against a live server.
 */

const run = promisify(execFile);
const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const fixtureDir = join(packageDir, "test/fixtures/consumer");
// The versions the monorepo itself uses, so a warm npm cache serves them.
const consumerDependencies = ["ws@8.23.0", "typescript@5.9.3", "@types/node@20.19.43", "@types/ws@8.18.2"];

let server: TestServer;
let workDir: string;
let consumerDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "parley-client-pack-"));
  consumerDir = join(workDir, "consumer");
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

it(
  "packs into a tarball that a project outside the monorepo installs, type-checks and runs",
  async () => {
    // `npm pack` builds first (prepack), so the tarball holds this checkout's SDK.
    await run("npm", ["pack", "--pack-destination", workDir, "--silent"], { cwd: packageDir, maxBuffer: 16 * 1024 * 1024 });
    const tarball = (await readdir(workDir)).find((name) => name.endsWith(".tgz"));
    expect(tarball).toMatch(/^parley-client-\d+\.\d+\.\d+\.tgz$/);

    await run("mkdir", ["-p", consumerDir]);
    await writeFile(
      join(consumerDir, "package.json"),
      JSON.stringify({ name: "parley-consumer", private: true, type: "module" }, null, 2),
    );
    for (const file of ["check.ts", "run.mjs", "tsconfig.json"]) await copyFile(join(fixtureDir, file), join(consumerDir, file));
    await run(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", "--no-package-lock", join(workDir, tarball as string), ...consumerDependencies],
      { cwd: consumerDir, maxBuffer: 16 * 1024 * 1024 },
    );

    // Nothing private came along: only the tRPC runtime, and no server-side types.
    const installed = join(consumerDir, "node_modules/@parley/client");
    const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(["@trpc/client", "@trpc/server"]);
    const declarations = await readFile(join(installed, "dist/index.d.ts"), "utf8");
    const imported = [...declarations.matchAll(/from ['"]([^'"]+)['"]/g)].map((match) => match[1]);
    expect(imported.every((specifier) => specifier?.startsWith("@trpc/"))).toBe(true);
    expect(declarations).not.toMatch(/drizzle|postgres|@parley\/|ParleyServices/);
    expect(await readdir(join(consumerDir, "node_modules"))).not.toContain("drizzle-orm");

    // Strict, with skipLibCheck off, including `@ts-expect-error`s that fail if the types were any.
    const typecheck = await run(process.execPath, [join(consumerDir, "node_modules/typescript/bin/tsc"), "-p", consumerDir]).catch(
      (error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout ?? ""}${error.stderr ?? ""}`, failed: true }),
    );
    expect(typecheck.stdout).toBe("");

    const { stdout } = await run(process.execPath, ["run.mjs", server.url], { cwd: consumerDir, timeout: 60_000 });
    expect(JSON.parse(stdout.trim())).toMatchObject({ body: "hello from the tarball" });
  },
  300_000,
);
