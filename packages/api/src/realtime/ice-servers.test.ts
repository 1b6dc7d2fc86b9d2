import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { iceServersFor, turnCredential, type TurnConfig } from "./ice-servers";

const turn: TurnConfig = { secret: "a-shared-secret-of-some-length", urls: ["turn:127.0.0.1:3478"], credentialTtlSeconds: 3_600 };

describe("TURN credentials", () => {
  it("follow the TURN REST scheme: <expiry>:<userId>, base64(HMAC-SHA1(secret, username))", () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const { username, credential } = turnCredential(turn, { userId: "user-1", now });
    expect(username).toBe(`${Date.parse("2030-01-01T01:00:00Z") / 1_000}:user-1`);
    expect(credential).toBe(createHmac("sha1", turn.secret).update(username).digest("base64"));
  });

  it("are added after the configured servers, and absent without TURN", () => {
    const config = { iceServers: [{ urls: ["stun:stun.example.com:3478"] }], turn };
    const servers = iceServersFor(config, { userId: "u", now: new Date() });
    expect(servers.map((server) => server.urls)).toEqual([["stun:stun.example.com:3478"], turn.urls]);
    expect(iceServersFor({ ...config, turn: null }, { userId: "u", now: new Date() })).toEqual(config.iceServers);
  });
});

/*
 * The credential against a real coturn (Debian's `turnserver`) with `use-auth-secret`: a TURN
 * Allocate over UDP, answered 401 with a realm and nonce, then sent again with the credential
 * and MESSAGE-INTEGRITY (RFC 5389 long-term credentials, RFC 5766 Allocate).
 */
const turnserverAvailable = spawnSync("turnserver", ["--version"]).status === 0;
if (!turnserverAvailable) console.info("coturn test skipped: the turnserver binary (Debian package coturn) is not installed");

const magicCookie = 0x2112a442;
const attribute = { username: 0x0006, messageIntegrity: 0x0008, errorCode: 0x0009, realm: 0x0014, nonce: 0x0015, requestedTransport: 0x0019 };
const allocateRequest = 0x0003;
const allocateSuccess = 0x0103;

function encodeAttribute(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(value.length, 2);
  const padding = Buffer.alloc((4 - (value.length % 4)) % 4);
  return Buffer.concat([header, value, padding]);
}

function encodeMessage(type: number, attributes: Buffer[], integrityKey?: Buffer): Buffer {
  const transactionId = randomBytes(12);
  const body = Buffer.concat(attributes);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(body.length + (integrityKey ? 24 : 0), 2);
  header.writeUInt32BE(magicCookie, 4);
  transactionId.copy(header, 8);
  const message = Buffer.concat([header, body]);
  if (!integrityKey) return message;
  const integrity = createHmac("sha1", integrityKey).update(message).digest();
  return Buffer.concat([message, encodeAttribute(attribute.messageIntegrity, integrity)]);
}

function decodeMessage(message: Buffer): { type: number; attributes: Map<number, Buffer> } {
  const attributes = new Map<number, Buffer>();
  for (let offset = 20; offset + 4 <= message.length; ) {
    const type = message.readUInt16BE(offset);
    const length = message.readUInt16BE(offset + 2);
    attributes.set(type, message.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length + ((4 - (length % 4)) % 4);
  }
  return { type: message.readUInt16BE(0), attributes };
}

async function exchange(socket: Socket, port: number, message: Buffer): Promise<{ type: number; attributes: Map<number, Buffer> }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("coturn did not answer")), 2_000);
    socket.once("message", (reply) => {
      clearTimeout(timer);
      resolve(decodeMessage(reply));
    });
    socket.send(message, port, "127.0.0.1");
  });
}

/** Allocates a relay with the credential; resolves with the final answer's type and error code. */
async function allocate(port: number, credential: { username: string; credential: string }): Promise<{ type: number; errorCode: number | null }> {
  const socket = createSocket("udp4");
  try {
    const transport = encodeAttribute(attribute.requestedTransport, Buffer.from([17, 0, 0, 0]));
    const challenge = await exchange(socket, port, encodeMessage(allocateRequest, [transport]));
    const realm = challenge.attributes.get(attribute.realm);
    const nonce = challenge.attributes.get(attribute.nonce);
    if (!realm || !nonce) throw new Error("coturn sent no realm and nonce");
    const key = createHash("md5").update(`${credential.username}:${realm.toString()}:${credential.credential}`).digest();
    const answer = await exchange(
      socket,
      port,
      encodeMessage(
        allocateRequest,
        [
          transport,
          encodeAttribute(attribute.username, Buffer.from(credential.username)),
          encodeAttribute(attribute.realm, realm),
          encodeAttribute(attribute.nonce, nonce),
        ],
        key,
      ),
    );
    const error = answer.attributes.get(attribute.errorCode);
    return { type: answer.type, errorCode: error ? (error.readUInt8(2) & 0x7) * 100 + error.readUInt8(3) : null };
  } finally {
    socket.close();
  }
}

async function freeUdpPort(): Promise<number> {
  const probe = createSocket("udp4");
  await new Promise<void>((resolve) => probe.bind(0, "127.0.0.1", resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe.skipIf(!turnserverAvailable)("against coturn with use-auth-secret", () => {
  let coturn: ChildProcess;
  let port: number;
  let folder: string;

  beforeAll(async () => {
    port = await freeUdpPort();
    folder = mkdtempSync(join(tmpdir(), "parley-coturn-"));
    coturn = spawn(
      "turnserver",
      [
        "-n",
        "--listening-ip=127.0.0.1",
        "--relay-ip=127.0.0.1",
        `--listening-port=${port}`,
        "--min-port=49152",
        "--max-port=65535",
        "--use-auth-secret",
        `--static-auth-secret=${turn.secret}`,
        "--realm=parley.test",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--no-tcp",
        `--db=${join(folder, "turndb")}`,
        `--pidfile=${join(folder, "turnserver.pid")}`,
        "--log-file=stdout",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    // Ready once it answers a binding-less Allocate with its 401 challenge.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await allocate(port, { username: "probe", credential: "probe" });
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }, 15_000);

  afterAll(() => {
    coturn?.kill("SIGTERM");
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it("accepts a credential Parley computes", async () => {
    const credential = turnCredential(turn, { userId: randomUUID(), now: new Date() });
    expect(await allocate(port, credential)).toEqual({ type: allocateSuccess, errorCode: null });
  });

  it("refuses one computed from another secret, and one that has expired", async () => {
    const userId = randomUUID();
    const forged = turnCredential({ ...turn, secret: "not-the-shared-secret" }, { userId, now: new Date() });
    expect((await allocate(port, forged)).errorCode).toBe(401);
    const expired = turnCredential(turn, { userId, now: new Date(Date.now() - 2 * turn.credentialTtlSeconds * 1_000) });
    expect((await allocate(port, expired)).errorCode).toBe(401);
  });
});
