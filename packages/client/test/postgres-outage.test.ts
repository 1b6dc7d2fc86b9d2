import { execFile, execFileSync, fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

import { createParleyClient, TRPCClientError, type ParleyClient } from "../src/index";

/*
 * A real Postgres stopped under load and started again: a private cluster on a free port, made
 * by this test with initdb and pg_ctl (never the machine's shared server), behind a Parley node
 * process. The node must not die, every call must end within seconds with a typed error while
 * the database is away, /readyz must follow the database, and every acknowledged send must be
 * stored once.
 */

const require = createRequire(import.meta.url);
const nodeServerEntry = require.resolve("@parley/api/node-server");

function findPostgresBinaries(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, "bin");
    if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
  }
  return null;
}

const binaries = findPostgresBinaries();
if (!binaries) console.info("Postgres outage test skipped: it needs initdb and pg_ctl under /usr/lib/postgresql");

/** initdb refuses to run as root: the cluster then belongs to the system's postgres user. */
const runAs = process.getuid?.() === 0 ? "postgres" : null;

/** Asynchronous, so that the load keeps running while the server stops and starts. */
async function run(command: string, args: string[]): Promise<void> {
  const [file, argv] = runAs ? ["runuser", ["-u", runAs, "--", command, ...args]] : [command, args];
  await promisify(execFile)(file, argv, { timeout: 60_000 });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

class PrivateCluster {
  readonly directory = mkdtempSync(join(tmpdir(), "parley-outage-pg-"));
  readonly dataDir = join(this.directory, "data");
  constructor(
    readonly bin: string,
    readonly port: number,
  ) {
    if (runAs) chownSync(this.directory, Number(execFileSync("id", ["-u", runAs]).toString()), Number(execFileSync("id", ["-g", runAs]).toString()));
  }

  async create(): Promise<void> {
    await run(join(this.bin, "initdb"), ["-D", this.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.directory} -c listen_addresses=127.0.0.1 -c fsync=off`;
    return run(join(this.bin, "pg_ctl"), ["-D", this.dataDir, "-o", options, "-l", join(this.directory, "log"), "-w", "-t", "30", "start"]);
  }

  /** Fast shutdown: every backend is told to end at once, as in a failover or a restart. */
  stop(): Promise<void> {
    return run(join(this.bin, "pg_ctl"), ["-D", this.dataDir, "-m", "fast", "-w", "-t", "30", "stop"]);
  }

  async remove(): Promise<void> {
    await this.stop().catch(() => {
      // Already stopped.
    });
    rmSync(this.directory, { recursive: true, force: true });
  }
}

interface NodeProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
}

function startNode(databaseUrl: string): Promise<NodeProcess> {
  const child = fork(nodeServerEntry, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: "0", HOST: "127.0.0.1", REDIS_URL: "", SEND_RATE_BURST: "100000", LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`node exited with ${code}:\n${output}`)));
    child.on("message", (message: { type?: string; url?: string }) => {
      if (message.type === "listening" && message.url) resolve({ url: message.url, child, output: () => output });
    });
  });
}

async function isReady(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) })).status === 200;
  } catch {
    return false;
  }
}

async function timeUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const startedAt = performance.now();
  while (performance.now() - startedAt < timeoutMs) {
    if (await condition()) return performance.now() - startedAt;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Number.POSITIVE_INFINITY;
}

interface CallRecord {
  clientId: string;
  startedAt: number;
  endedAt: number;
  outcome: "acknowledged" | string;
}

describe.skipIf(!binaries)("a Postgres outage under load", () => {
  let cluster: PrivateCluster;
  let node: NodeProcess;
  const clients: ParleyClient[] = [];

  beforeAll(async () => {
    cluster = new PrivateCluster(binaries ?? "", await freePort());
    await cluster.create();
    await cluster.start();
    node = await startNode(cluster.url);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    node?.child.kill("SIGKILL");
    await cluster?.remove();
  });

  it("keeps the node alive, answers typed errors within seconds, follows the database on /readyz and loses no acknowledged send", async () => {
    const connect = (token?: string) => {
      const client = createParleyClient({ url: node.url, token, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, retryDelayMs: () => 100 });
      clients.push(client);
      return client;
    };
    const signUp = async (name: string) => {
      const client = connect();
      const username = `${name}_${randomUUID().slice(0, 8)}`;
      const { user } = await client.api.auth.register.mutate({ username, password: `pw-${randomUUID()}` });
      return { client, user, username };
    };
    const alice = await signUp("alice");
    const bob = await signUp("bob");
    await alice.client.api.friends.request.mutate({ username: bob.username });
    await bob.client.api.friends.accept.mutate({ userId: alice.user.id });
    const conversation = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });

    const records: CallRecord[] = [];
    let loadRunning = true;
    const sendLoop = async (sender: typeof alice) => {
      while (loadRunning) {
        const record: CallRecord = { clientId: randomUUID(), startedAt: performance.now(), endedAt: 0, outcome: "pending" };
        records.push(record);
        try {
          await sender.client.api.messages.send.mutate({ conversationId: conversation.id, clientId: record.clientId, body: "under load" });
          record.outcome = "acknowledged";
        } catch (error) {
          record.outcome = error instanceof TRPCClientError ? String(error.data?.code ?? "NO_CODE") : `untyped: ${String(error)}`;
          // A refused send is not retried at once: this loop stands for a client that backs off.
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        record.endedAt = performance.now();
      }
    };
    const loops = [alice, bob, alice, bob].map((sender) => sendLoop(sender));

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const stoppedAt = performance.now();
    await cluster.stop();
    const notReadyAfterMs = await timeUntil(async () => !(await isReady(node.url)), 5_000);
    // Longer than the SDK's retries of SERVICE_UNAVAILABLE, so that some calls give up.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    await cluster.start();
    const restartedAt = performance.now();
    const readyAfterMs = await timeUntil(() => isReady(node.url), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    loadRunning = false;
    await Promise.all(loops);

    expect(node.child.exitCode, node.output()).toBeNull();
    expect(node.child.signalCode).toBeNull();
    expect(notReadyAfterMs).toBeLessThan(2_000);
    expect(readyAfterMs).toBeLessThan(2_000);

    const duringOutage = records.filter((record) => record.startedAt >= stoppedAt && record.startedAt < restartedAt);
    expect(duringOutage.length).toBeGreaterThan(0);
    const failures = duringOutage.filter((record) => record.outcome !== "acknowledged");
    expect(failures.length).toBeGreaterThan(0);
    // Typed and retryable, never a 500 or a hang.
    expect(new Set(failures.map((record) => record.outcome))).toEqual(new Set(["SERVICE_UNAVAILABLE"]));
    const slowest = Math.max(...duringOutage.map((record) => record.endedAt - record.startedAt));
    expect(slowest).toBeLessThan(8_000);
    // Sends work again once the database is back.
    const afterRecovery = records.filter((record) => record.startedAt >= restartedAt + readyAfterMs);
    expect(afterRecovery.some((record) => record.outcome === "acknowledged")).toBe(true);

    const acknowledged = records.filter((record) => record.outcome === "acknowledged").map((record) => record.clientId);
    const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ client_id: string; copies: number }[]>`
        select client_id::text, count(*)::int as copies from messages
        where conversation_id = ${conversation.id} group by client_id`;
      const stored = new Map(rows.map((row) => [row.client_id, row.copies]));
      const lost = acknowledged.filter((clientId) => stored.get(clientId) !== 1);
      expect(lost).toEqual([]);
    } finally {
      await sql.end({ timeout: 5 });
    }
    console.info(
      `outage: ${records.length} sends, ${acknowledged.length} acknowledged; /readyz 503 after ${Math.round(notReadyAfterMs)} ms, ` +
        `200 again ${Math.round(readyAfterMs)} ms after Postgres accepted connections; slowest call during the outage ${Math.round(slowest)} ms`,
    );
  }, 90_000);
});
