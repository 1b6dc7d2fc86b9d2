import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";

import { WebSocket } from "ws";

import { createParleyClient, type ParleyClient, type PublicUser } from "../src/index";

/*
 * Parley nodes as separate processes (the standalone node entry: the same transports as
 * apps/web's server), and SDK clients attached to them. Two processes cannot share an
 * in-memory PGlite, so a node needs DATABASE_URL in its environment.
 */

const require = createRequire(import.meta.url);
const nodeServerEntry = require.resolve("@parley/api/node-server");

export interface ParleyNode {
  url: string;
  stop: () => Promise<void>;
  /** As a crash would: SIGKILL, no goodbye to the database, Redis or anyone. */
  kill: () => void;
  /** Resolves once the process has exited, however it ended. */
  exited: Promise<void>;
}

/** Forks a node with `env` on top of this process's environment; resolves once it listens. */
export function startNode(env: Record<string, string>): Promise<ParleyNode> {
  const child = fork(nodeServerEntry, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4_000);
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`parley node exited with ${code}:\n${errors}`)));
    child.on("message", (message: { type?: string; url?: string }) => {
      if (message.type !== "listening" || !message.url) return;
      resolve({
        url: message.url,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(timer);
        },
        kill: () => child.kill("SIGKILL"),
        exited,
      });
    });
  });
}

export interface NodeUser {
  client: ParleyClient;
  user: PublicUser;
  username: string;
  password: string;
}

export interface NodeClients {
  /** An SDK client of `node`, signed in when `token` is given. */
  connect: (node: Pick<ParleyNode, "url">, token?: string) => ParleyClient;
  /** Registers a new user through `node` and returns a signed-in client for them. */
  signUp: (node: Pick<ParleyNode, "url">, name: string) => Promise<NodeUser>;
  /** Closes every client made here. */
  closeAll: () => Promise<void>;
}

export function createNodeClients(): NodeClients {
  const clients: ParleyClient[] = [];
  const connect = (node: Pick<ParleyNode, "url">, token?: string): ParleyClient => {
    const client = createParleyClient({
      url: node.url,
      token,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      retryDelayMs: () => 50,
    });
    clients.push(client);
    return client;
  };
  return {
    connect,
    signUp: async (node, name) => {
      const username = `${name}_${randomUUID().slice(0, 8)}`;
      const password = `pw-${randomUUID()}`;
      const client = connect(node);
      const { user } = await client.api.auth.register.mutate({ username, password, displayName: name });
      return { client, user, username, password };
    },
    closeAll: async () => {
      await Promise.all(clients.map((client) => client.close()));
    },
  };
}
