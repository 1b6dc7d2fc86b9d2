import { readFileSync } from "node:fs";
import { createBenchDatabase } from "./environment";
import { openSeeder } from "./seed";
import { startParleyNode } from "./processes";
import { httpCall } from "./protocol/http";
import { performance } from "node:perf_hooks";
const cpuMs = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); return (Number(f[11]) + Number(f[12])) * 10; };
const db = await createBenchDatabase({ keep: false });
const seeder = openSeeder(db.location);
const users = await seeder.users(20);
const server = await startParleyNode({ database: db.location });
async function measure(label: string, call: () => Promise<unknown>) {
  for (let i = 0; i < 200; i++) await call();
  const total = 3000, concurrency = 10; let next = 0;
  const c0 = cpuMs(server.pid); const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => { while (next++ < total) await call(); }));
  const wall = performance.now() - t0; const cpu = cpuMs(server.pid) - c0;
  console.log(label.padEnd(40), `${(total / wall * 1000).toFixed(0)} req/s, server CPU ${(cpu / total * 1000).toFixed(0)} µs/req`);
}
const auth = { authorization: `Bearer ${users[0]!.token}` };
await measure("GET /healthz (no tRPC)", () => httpCall({ url: `${server.url}/healthz`, method: "GET" }));
await measure("auth.me (tRPC + session query)", () => httpCall({ url: `${server.url}/api/trpc/auth.me`, method: "GET", headers: auth }));
await measure("auth.me unauthenticated (tRPC, no DB)", () => httpCall({ url: `${server.url}/api/trpc/auth.me`, method: "GET" }));
await server.stop(); await seeder.close(); await db.drop();
