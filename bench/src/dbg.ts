import { createBenchDatabase } from "./environment";
import { openSeeder } from "./seed";
import { startParleyNode } from "./processes";
import { parleyProtocol as proto } from "./protocol/parley";
import { performance } from "node:perf_hooks";
const db = await createBenchDatabase({ keep: false });
const seeder = openSeeder(db.location);
const users = await seeder.users(200);
const groups = await seeder.groups(users, 20);
const server = await startParleyNode({ database: db.location });
const seq: number[] = [];
for (let i = 0; i < 300; i++) { const t = performance.now(); await proto.send(server.url, users[i % 20]!.token, { conversationId: groups[0]!.conversationId, clientId: crypto.randomUUID(), body: "x" }); seq.push(performance.now() - t); }
seq.sort((a, b) => a - b);
const t0 = performance.now();
await Promise.all(Array.from({ length: 2000 }, (_, i) => proto.send(server.url, users[i % 200]!.token, { conversationId: groups[Math.floor((i % 200) / 20)]!.conversationId, clientId: crypto.randomUUID(), body: "y" })));
const el = performance.now() - t0;
console.log(process.argv[2], "sequential p50", seq[150]!.toFixed(2), "p99", seq[297]!.toFixed(2), "| 2000 concurrent over 10 groups in", el.toFixed(0), "ms =", (2000 / el * 1000).toFixed(0), "/s");
await server.stop(); await seeder.close(); await db.drop();
