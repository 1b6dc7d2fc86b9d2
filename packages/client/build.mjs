/**
 * Builds @parley/client into dist/: index.js (ESM) and one self-contained index.d.ts.
 *
 * The SDK's types come from the server's router (`AppRouter` in @parley/api, a private
 * TypeScript-source package). The published declarations must carry every procedure's input and
 * output, yet depend on nothing but @trpc/client and @trpc/server. So:
 *   1. tsc emits declarations for src/ and, through a `paths` mapping, for @parley/api's source;
 *   2. the router's server-side context (database, event feed, sessions) is erased to `object`:
 *      a client never sees it, and it is what would drag drizzle, postgres and our private
 *      packages into the public surface;
 *   3. rollup-plugin-dts bundles the reachable declarations into one file, tree-shaking the rest;
 *   4. the result is checked to import nothing but the runtime dependencies.
 */
import { mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { build as buildJavaScript } from "rolldown";
import { rollup } from "rollup";
import { dts } from "rollup-plugin-dts";
import ts from "typescript";

const packageDir = dirname(fileURLToPath(import.meta.url));
const distDir = join(packageDir, "dist");
// Built beside dist/ and swapped in at the end, so dist/ is never missing for long while others use it.
const stagingDir = join(packageDir, ".dist-staging");
const packageJson = JSON.parse(await readFile(join(packageDir, "package.json"), "utf8"));
const runtimeDependencies = Object.keys(packageJson.dependencies ?? {});
const isRuntimeDependency = (id) =>
  runtimeDependencies.some((name) => id === name || id.startsWith(`${name}/`));

class BuildError extends Error {}

function fail(message) {
  throw new BuildError(message);
}

/** Emits into `outDir` outside node_modules: rollup-plugin-dts treats anything there as external. */
function emitDeclarations(outDir) {
  const configPath = join(packageDir, "tsconfig.build.json");
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => fail(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")),
  });
  if (!config) fail("cannot read tsconfig.build.json");
  const program = ts.createProgram({ rootNames: config.fileNames, options: { ...config.options, outDir } });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (name) => name, getCurrentDirectory: () => packageDir, getNewLine: () => "\n" };
    fail(`type errors\n${ts.formatDiagnosticsWithColorAndContext(diagnostics, host)}`);
  }
}

/**
 * Replaces `ctx` in `TRPCBuiltRouter<{ ctx: …; meta; errorShape; transformer }, …>` with
 * `object`. tRPC's client types read only the error shape, transformer and procedure record.
 */
function eraseRouterContext() {
  return {
    name: "parley:erase-router-context",
    transform(code, id) {
      if (!id.endsWith(".d.ts") || !code.includes("TRPCBuiltRouter")) return null;
      const source = ts.createSourceFile(id, code, ts.ScriptTarget.Latest, true);
      const replacements = [];
      const visit = (node) => {
        const name = ts.isImportTypeNode(node)
          ? node.qualifier?.getText(source)
          : ts.isTypeReferenceNode(node)
            ? node.typeName.getText(source)
            : undefined;
        const root = name?.endsWith("TRPCBuiltRouter") ? node.typeArguments?.[0] : undefined;
        if (root && ts.isTypeLiteralNode(root)) {
          for (const member of root.members) {
            if (ts.isPropertySignature(member) && member.name.getText(source) === "ctx" && member.type) {
              replacements.push({ start: member.type.getStart(source), end: member.type.getEnd() });
            }
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
      if (replacements.length === 0) return null;
      let result = code;
      for (const { start, end } of replacements.sort((a, b) => b.start - a.start)) {
        result = `${result.slice(0, start)}object${result.slice(end)}`;
      }
      return { code: result, map: null };
    },
  };
}

async function bundleDeclarations(declarationsDir) {
  const apiEntry = join(declarationsDir, "api/src/index.d.ts");
  const warnings = [];
  const bundle = await rollup({
    input: join(declarationsDir, "client/src/index.d.ts"),
    // Every package but the router's stays an import here; the check below rejects any that
    // survives tree-shaking unless it is a runtime dependency.
    external: (id) => !id.startsWith(".") && !id.startsWith("/") && id !== "@parley/api",
    plugins: [
      {
        name: "parley:resolve-api-declarations",
        resolveId: (id) => (id === "@parley/api" ? apiEntry : null),
      },
      eraseRouterContext(),
      dts(),
    ],
    // The router's declarations import their package index (`import(".").PublicUser`), which
    // re-exports them: harmless in a single declaration file.
    onwarn: (warning) => {
      if (warning.code !== "CYCLIC_CROSS_CHUNK_REEXPORT" && warning.code !== "CIRCULAR_DEPENDENCY") warnings.push(warning.message);
    },
  });
  if (warnings.length > 0) fail(`rollup: ${warnings.join("\n")}`);
  const { output } = await bundle.write({ file: join(stagingDir, "index.d.ts"), format: "es" });
  await bundle.close();
  const leaked = output.flatMap((chunk) => (chunk.type === "chunk" ? chunk.imports : [])).filter((id) => !isRuntimeDependency(id));
  if (leaked.length > 0) {
    fail(`dist/index.d.ts would import ${leaked.join(", ")}; the public types may reference only ${runtimeDependencies.join(", ")}`);
  }
}

async function bundleJavaScript() {
  await buildJavaScript({
    input: join(packageDir, "src/index.ts"),
    external: isRuntimeDependency,
    platform: "neutral",
    output: { file: join(stagingDir, "index.js"), format: "esm", sourcemap: true },
    logLevel: "warn",
  });
}

const declarationsDir = await mkdtemp(join(tmpdir(), "parley-client-declarations-"));
try {
  await rm(stagingDir, { recursive: true, force: true });
  emitDeclarations(declarationsDir);
  await bundleDeclarations(declarationsDir);
  await bundleJavaScript();
  await rm(distDir, { recursive: true, force: true });
  await rename(stagingDir, distDir);
} catch (error) {
  if (!(error instanceof BuildError)) throw error;
  console.error(`@parley/client build failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  await rm(declarationsDir, { recursive: true, force: true });
  await rm(stagingDir, { recursive: true, force: true });
}
