import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import type { MessageView, StreamEvent } from "../src/index";
import { createGroup, createTestDatabase, queryRows, recordEvents, waitUntil, type EventRecorder, type TestDatabase } from "./harness";
import { createNodeClients, startNode, type NodeClients, type NodeUser, type ParleyNode } from "./node-process";

/*
 * Parley as the README deploys it: deploy/nginx/parley.conf in front of two standalone nodes
 * that share Postgres and Redis, every client talking to the balancer only. One node is killed,
 * then both are restarted in turn, while messages stream; what a client would notice is counted.
 */

const shippedConfig = new URL("../../../deploy/nginx/parley.conf", import.meta.url);

function findNginx(): string | null {
  for (const candidate of ["nginx", "/usr/sbin/nginx"]) {
    if (spawnSync(candidate, ["-v"]).status === 0) return candidate;
  }
  return null;
}

const nginxBinary = findNginx();
const enabled = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL && nginxBinary);
if (!enabled) {
  console.info(
    "load balancer tests skipped: they need DATABASE_URL and REDIS_URL (two nodes share Postgres and Redis) " +
      `and nginx on PATH (apt-get install nginx)${nginxBinary ? "" : ": nginx was not found"}`,
  );
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = (probe.address() as AddressInfo);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function replaceOnce(text: string, pattern: RegExp, replacement: string): string {
  const matches = text.match(new RegExp(pattern.source, "g")) ?? [];
  if (matches.length !== 1) throw new Error(`deploy/nginx/parley.conf: expected one match of ${pattern}, found ${matches.length}`);
  return text.replace(pattern, replacement);
}

/** The shipped file with this test's ports, inside the smallest main configuration nginx needs. */
function nginxConfig(options: { balancerPort: number; nodePorts: [number, number]; directory: string }): string {
  let site = readFileSync(shippedConfig, "utf8");
  site = replaceOnce(site, /listen 80;/, `listen 127.0.0.1:${options.balancerPort};`);
  site = replaceOnce(site, /server 127\.0\.0\.1:3001 /, `server 127.0.0.1:${options.nodePorts[0]} `);
  site = replaceOnce(site, /server 127\.0\.0\.1:3002 /, `server 127.0.0.1:${options.nodePorts[1]} `);
  const path = (name: string) => join(options.directory, name);
  return `
daemon off;
master_process off;
pid ${path("nginx.pid")};
error_log ${path("error.log")} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${path("body")};
  proxy_temp_path ${path("proxy")};
  fastcgi_temp_path ${path("fastcgi")};
  uwsgi_temp_path ${path("uwsgi")};
  scgi_temp_path ${path("scgi")};
${site}
}
`;
}

interface Balancer {
  url: string;
  /** The end of nginx's error log, to show beside a failure. */
  errorLogTail: () => string;
  stop: () => Promise<void>;
}

/** nginx in the foreground with its own prefix, pid and logs in a temporary folder. */
async function startBalancer(nodePorts: [number, number]): Promise<Balancer> {
  const directory = mkdtempSync(join(tmpdir(), "parley-nginx-"));
  const balancerPort = await freePort();
  const configPath = join(directory, "nginx.conf");
  writeFileSync(configPath, nginxConfig({ balancerPort, nodePorts, directory }));
  const child: ChildProcess = spawn(nginxBinary as string, ["-p", directory, "-e", join(directory, "error.log"), "-c", configPath], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  // One process (master_process off), so nothing of it can outlive this one.
  process.once("exit", () => child.kill("SIGKILL"));
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${balancerPort}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${errors}${readFileSync(join(directory, "error.log"), "utf8")}`);
    const ready = await fetch(`${url}/healthz`).then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`nginx did not answer on ${url}:\n${errors}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    errorLogTail: () => readFileSync(join(directory, "error.log"), "utf8").split("\n").slice(-20).join("\n"),
    stop: async () => {
      if (child.exitCode === null) {
        // QUIT: a graceful stop, as systemd would ask for it.
        child.kill("SIGQUIT");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

interface Cluster {
  database: TestDatabase;
  balancer: Balancer;
  clients: NodeClients;
  nodes: [ParleyNode, ParleyNode];
  /** Starts node `index` again on its port, as a deploy would. */
  restart: (index: 0 | 1) => Promise<void>;
  stop: () => Promise<void>;
}

async function startCluster(): Promise<Cluster> {
  const database = await createTestDatabase();
  const ports: [number, number] = [await freePort(), await freePort()];
  const nodeEnv = (port: number): Record<string, string> => ({
    DATABASE_URL: database.url ?? "",
    REDIS_URL: process.env.REDIS_URL ?? "",
    HOST: "127.0.0.1",
    PORT: String(port),
    TRUSTED_PROXIES: "127.0.0.1",
    SEND_RATE_BURST: "100000",
    SEND_RATE_PER_SECOND: "100000",
    LOG_LEVEL: "error",
  });
  const nodes = (await Promise.all(ports.map((port) => startNode(nodeEnv(port))))) as [ParleyNode, ParleyNode];
  const balancer = await startBalancer(ports);
  const clients = createNodeClients();
  return {
    database,
    balancer,
    clients,
    nodes,
    restart: async (index) => {
      nodes[index] = await startNode(nodeEnv(ports[index]));
    },
    stop: async () => {
      await clients.closeAll();
      await Promise.all(nodes.map((node) => node.stop()));
      await balancer.stop();
      await database.drop();
    },
  };
}

function createdIn(recorder: EventRecorder, conversationId: string): MessageView[] {
  return recorder.events.flatMap((event: StreamEvent) =>
    event.type === "message.created" && event.conversationId === conversationId ? [event.message] : [],
  );
}

/** What each listener got of `acknowledged`: every one exactly once, in seq order, and nothing else. */
function deliveryReport(listeners: EventRecorder[], conversationId: string, acknowledged: Map<string, MessageView>) {
  let missing = 0;
  let duplicate = 0;
  let unexpected = 0;
  let outOfOrder = 0;
  for (const listener of listeners) {
    const received = createdIn(listener, conversationId);
    const seen = new Set<string>();
    for (const message of received) {
      if (seen.has(message.id)) duplicate += 1;
      seen.add(message.id);
    }
    for (const message of acknowledged.values()) if (!seen.has(message.id)) missing += 1;
    const acknowledgedIds = new Set([...acknowledged.values()].map((message) => message.id));
    unexpected += [...seen].filter((id) => !acknowledgedIds.has(id)).length;
    outOfOrder += received.filter((message, index) => index > 0 && message.seq <= (received[index - 1] as MessageView).seq).length;
  }
  return { missing, duplicate, unexpected, outOfOrder };
}

function percentile(sortedValues: number[], share: number): number {
  if (sortedValues.length === 0) return Number.NaN;
  return sortedValues[Math.min(sortedValues.length - 1, Math.ceil(share * sortedValues.length) - 1)] as number;
}

interface SendLoad {
  acknowledged: Map<string, MessageView>;
  /** Every error a send surfaced to the application: the SDK does not retry mutations. */
  errors: unknown[];
  /** Acknowledgement time of each send, with the moment it started. */
  samples: { startedAt: number; milliseconds: number }[];
  stop: () => Promise<void>;
}

/** Each sender sends one message every `intervalMs`, as a person typing quickly would. */
function startSendLoad(senders: NodeUser[], conversationId: string, intervalMs: number): SendLoad {
  const acknowledged = new Map<string, MessageView>();
  const errors: unknown[] = [];
  const samples: SendLoad["samples"] = [];
  let running = true;
  const loops = senders.map(async (sender, senderIndex) => {
    for (let index = 0; running; index += 1) {
      const clientId = randomUUID();
      const startedAt = performance.now();
      try {
        const message = await sender.client.api.messages.send.mutate({ conversationId, clientId, body: `${senderIndex}/${index}` });
        acknowledged.set(clientId, message);
        samples.push({ startedAt, milliseconds: performance.now() - startedAt });
      } catch (error) {
        errors.push(error);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (performance.now() - startedAt))));
    }
  });
  return {
    acknowledged,
    errors,
    samples,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

interface Audience {
  senders: NodeUser[];
  listeners: EventRecorder[];
  /** How many listeners' sockets dropped (and came back) since the audience was made. */
  reconnections: () => number;
  conversationId: string;
}

/** Users who all talk in one group through the balancer; each listens on a client of its own. */
async function createAudience(cluster: Cluster, options: { senders: number; listeners: number }): Promise<Audience> {
  const { balancer, clients } = cluster;
  const users = await Promise.all(
    Array.from({ length: options.senders + options.listeners }, (_, index) => clients.signUp({ url: balancer.url }, `user${index}`)),
  );
  const [owner, ...members] = users as [NodeUser, ...NodeUser[]];
  const group = await createGroup(owner, members, "Behind nginx");
  let reconnections = 0;
  const listeners = await Promise.all(
    users.slice(options.senders).map(async (user) => {
      const client = clients.connect({ url: balancer.url }, user.client.token ?? undefined);
      client.onConnectionState((state) => {
        if (state === "reconnecting") reconnections += 1;
      });
      const recorder = recordEvents(client);
      await recorder.waitFor((event) => event.type === "stream.ready", 20_000);
      return recorder;
    }),
  );
  return { senders: users.slice(0, options.senders), listeners, reconnections: () => reconnections, conversationId: group.id };
}

let cluster: Cluster | null = null;

describe.skipIf(!enabled)("two nodes behind the shipped nginx configuration", () => {
  afterEach(async () => {
    await cluster?.stop();
    cluster = null;
  });

  it(
    "moves the streams of a killed node to the other one, which resumes them exactly",
    async () => {
      cluster = await startCluster();
      const audience = await createAudience(cluster, { senders: 2, listeners: 8 });
      const load = startSendLoad(audience.senders, audience.conversationId, 40);
      await waitUntil(() => load.acknowledged.size >= 60, 30_000, "60 acknowledged sends before the kill");

      const [victim] = cluster.nodes;
      victim.kill();
      await victim.exited;
      const acknowledgedAtKill = load.acknowledged.size;
      await waitUntil(() => load.acknowledged.size >= acknowledgedAtKill + 60, 30_000, "60 acknowledged sends after the kill");
      await load.stop();
      const { acknowledged } = load;
      await waitUntil(
        () => audience.listeners.every((listener) => createdIn(listener, audience.conversationId).length >= acknowledged.size),
        30_000,
        "every listener to receive every acknowledged message",
      );
      const report = deliveryReport(audience.listeners, audience.conversationId, acknowledged);
      console.info(
        `node killed: ${acknowledged.size} messages acknowledged (${acknowledgedAtKill} before the kill), ` +
          `${audience.listeners.length} listeners, ${audience.reconnections()} of them reconnected through nginx; ` +
          `missing ${report.missing}, duplicate ${report.duplicate}, out of order ${report.outOfOrder}, ` +
          `send errors ${load.errors.length}`,
      );
      // Round robin put some listeners on the killed node: they must have moved.
      expect(audience.reconnections()).toBeGreaterThan(0);
      expect(report).toEqual({ missing: 0, duplicate: 0, unexpected: 0, outOfOrder: 0 });
      expect(load.errors.map(String), cluster.balancer.errorLogTail()).toEqual([]);
    },
    90_000,
  );

  it(
    "loses no acknowledged message and shows clients no error through a rolling restart",
    async () => {
      cluster = await startCluster();
      const audience = await createAudience(cluster, { senders: 4, listeners: 6 });
      const load = startSendLoad(audience.senders, audience.conversationId, 50);
      await waitUntil(() => load.acknowledged.size >= 40, 30_000, "40 acknowledged sends before the roll");

      const rollStartedAt = performance.now();
      for (const index of [0, 1] as const) {
        await cluster.nodes[index].stop();
        await cluster.restart(index);
        // nginx skips a node it saw refuse for fail_timeout (2 s, counted in whole seconds, so
        // up to 3 s): as the README's upgrade steps say, it must be back in the rotation before
        // the next node goes, or both would be skipped at once.
        await new Promise((resolve) => setTimeout(resolve, 3_500));
      }
      const rollEndedAt = performance.now();
      await load.stop();
      const { acknowledged } = load;
      await waitUntil(
        () => audience.listeners.every((listener) => createdIn(listener, audience.conversationId).length >= acknowledged.size),
        30_000,
        "every listener to receive every acknowledged message",
      );

      const stored = await queryRows<{ client_id: string }>(cluster.database, "select client_id from messages where conversation_id = $1", [
        audience.conversationId,
      ]);
      const storedClientIds = new Set(stored.map((row) => row.client_id));
      const lost = [...acknowledged.keys()].filter((clientId) => !storedClientIds.has(clientId)).length;
      const report = deliveryReport(audience.listeners, audience.conversationId, acknowledged);
      const duringRoll = load.samples
        .filter((sample) => sample.startedAt >= rollStartedAt && sample.startedAt <= rollEndedAt)
        .map((sample) => sample.milliseconds)
        .sort((a, b) => a - b);
      console.info(
        `rolling restart: ${acknowledged.size} messages acknowledged, ${duringRoll.length} of them sent during the ` +
          `${((rollEndedAt - rollStartedAt) / 1_000).toFixed(1)} s roll; send p50 ${percentile(duringRoll, 0.5).toFixed(1)} ms, ` +
          `p99 ${percentile(duringRoll, 0.99).toFixed(1)} ms, max ${percentile(duringRoll, 1).toFixed(1)} ms during the roll; ` +
          `acknowledged but lost ${lost}, send errors ${load.errors.length}, ${audience.reconnections()} listener reconnections; ` +
          `missing ${report.missing}, duplicate ${report.duplicate}, out of order ${report.outOfOrder}`,
      );
      expect(load.errors.map(String), cluster.balancer.errorLogTail()).toEqual([]);
      expect(lost).toBe(0);
      expect(stored).toHaveLength(acknowledged.size);
      expect(report).toEqual({ missing: 0, duplicate: 0, unexpected: 0, outOfOrder: 0 });
      expect(duringRoll.length).toBeGreaterThan(0);
    },
    90_000,
  );
});
