import { createBenchDatabase } from "./environment";
import { openSeeder } from "./seed";
import { startBaselineServer, startParleyNode } from "./processes";
import { parleyProtocol } from "./protocol/parley";
import { baselineProtocol } from "./protocol/baseline";
import { performance } from "node:perf_hooks";
const which = process.argv[2] ?? "both";
const db = await createBenchDatabase({ keep: false });
const seeder = openSeeder(db.location);
const users = await seeder.users(40);
const groups = await seeder.groups(users, 20);
for (const [name, start, proto] of [["baseline", startBaselineServer, baselineProtocol], ["parley", startParleyNode, parleyProtocol]] as const) {
  if (which !== "both" && which !== name) continue;
  const server = await start({ database: db.location });
  const seq: number[] = [];
  for (let i = 0; i < 300; i++) { const t = performance.now(); await proto.send(server.url, users[i % 20].token, { conversationId: groups[0].conversationId, clientId: crypto.randomUUID(), body: "x" }); seq.push(performance.now() - t); }
  seq.sort((a, b) => a - b);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 2000 }, (_, i) => proto.send(server.url, users[(i % 2) * 20 + (i % 20)].token, { conversationId: groups[i % 2].conversationId, clientId: crypto.randomUUID(), body: "y" })));
  const el = performance.now() - t0;
  console.log(name, "sequential p50", seq[150].toFixed(2), "p99", seq[297].toFixed(2), "| 2000 concurrent in", el.toFixed(0), "ms =", (2000 / el * 1000).toFixed(0), "/s");
  await server.stop();
}
await seeder.close(); await db.drop();
