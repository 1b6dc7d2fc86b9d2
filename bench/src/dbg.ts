import { readFileSync } from "node:fs";
import { createBenchDatabase } from "./environment";
import { openSeeder } from "./seed";
import { startParleyNode, startBaselineServer } from "./processes";
import { parleyProtocol } from "./protocol/parley";
import { baselineProtocol } from "./protocol/baseline";
import { connectClients, closeClients, DeliveryTracker } from "./load";
import { performance } from "node:perf_hooks";
const cpuMs = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); return (Number(f[11]) + Number(f[12])) * 10; };
const db = await createBenchDatabase({ keep: false });
const seeder = openSeeder(db.location);
const users = await seeder.users(200);
const groups = await seeder.groups(users, 20);
for (const which of (process.argv[2] ?? "parley,baseline").split(",")) {
  const server = which === "baseline" ? await startBaselineServer({ database: db.location }) : await startParleyNode({ database: db.location });
  const protocol = which === "baseline" ? baselineProtocol : parleyProtocol;
  const tracker = new DeliveryTracker();
  const clients = await connectClients({ protocol, users: users.map((user) => ({ user, serverUrl: server.url })), tracker });
  for (const withReceivers of [false]) {
    if (!withReceivers) closeClients(clients);
    const conns = withReceivers ? await connectClients({ protocol, users: users.map((user) => ({ user, serverUrl: server.url })), tracker }) : [];
    await new Promise((r) => setTimeout(r, 500));
    const total = 3000, concurrency = 20; let next = 0;
    const c0 = cpuMs(server.pid); const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => { while (next < total) { const i = next++; const u = i % 200; await protocol.send(server.url, users[u]!.token, { conversationId: groups[Math.floor(u / 20)]!.conversationId, clientId: crypto.randomUUID(), body: "z" }); } }));
    const wall = performance.now() - t0; const cpu = cpuMs(server.pid) - c0;
    console.log(which, withReceivers ? "200 subscribers" : "no subscribers", `${(total / wall * 1000).toFixed(0)} msg/s closed-loop(20),`, `server CPU ${(cpu / total).toFixed(2)} ms/msg`);
    closeClients(conns);
  }
  await server.stop();
}
await seeder.close(); await db.drop();
