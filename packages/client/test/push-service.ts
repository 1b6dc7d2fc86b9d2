import { execFile } from "node:child_process";
import { createECDH, randomBytes, randomUUID, type ECDH } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { Agent, createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

import ece from "http_ece";

/** One push as a browser's push service received it, decrypted with the subscription's keys. */
export interface ReceivedPush {
  payload: Record<string, unknown>;
  /** The decrypted bytes as text, for checking what is absent. */
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A subscription as a browser would make it: its own P-256 key pair and 16-byte auth secret. */
export interface TestDevice {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  received: ReceivedPush[];
}

export interface TestPushService {
  url: string;
  /** Trusts the service's self-signed certificate, for the server's push requests. */
  agent: Agent;
  /** What the server is started with to send here: the certificate and PUSH_SERVICE_HOSTS. */
  serverOptions: { agent: Agent; serviceHosts: string[] };
  newDevice: () => TestDevice;
  /** Answers this device's pushes with `status` from now on (410: gone). */
  respondWith: (device: TestDevice, status: number, delayMs?: number) => void;
  /** Every request, including refused ones, in arrival order. */
  requests: { endpoint: string; status: number }[];
  stop: () => Promise<void>;
}

const runFile = promisify(execFile);

/**
 * A local HTTPS push service: it takes Web Push requests (RFC 8030), answers 201 like a real one,
 * and decrypts each payload (RFC 8291, aes128gcm) with the receiving device's private key.
 */
export async function startTestPushService(): Promise<TestPushService> {
  const folder = await mkdtemp(join(tmpdir(), "parley-push-"));
  await runFile("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", join(folder, "key.pem"), "-out", join(folder, "cert.pem"),
  ]);
  const [key, cert] = await Promise.all([readFile(join(folder, "key.pem")), readFile(join(folder, "cert.pem"))]);
  await rm(folder, { recursive: true, force: true });

  const devices = new Map<string, { device: TestDevice; ecdh: ECDH; status: number; delayMs: number }>();
  const requests: { endpoint: string; status: number }[] = [];
  const server: Server = createServer({ key, cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "";
      const entry = devices.get(path);
      const status = entry?.status ?? 404;
      const answer = (): void => {
        requests.push({ endpoint: path, status });
        if (entry && status === 201) {
          const plain = ece.decrypt(Buffer.concat(chunks), {
            version: "aes128gcm",
            privateKey: entry.ecdh,
            authSecret: entry.device.keys.auth,
          });
          const text = plain.toString("utf8");
          entry.device.received.push({ payload: JSON.parse(text) as Record<string, unknown>, text, headers: request.headers });
        }
        response.writeHead(status).end();
      };
      if (entry?.delayMs) setTimeout(answer, entry.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ ca: cert, keepAlive: true });

  return {
    url,
    agent,
    serverOptions: { agent, serviceHosts: ["127.0.0.1"] },
    requests,
    newDevice: () => {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const path = `/push/${randomUUID()}`;
      const device: TestDevice = {
        endpoint: `${url}${path}`,
        keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") },
        received: [],
      };
      devices.set(path, { device, ecdh, status: 201, delayMs: 0 });
      return device;
    },
    respondWith: (device, status, delayMs = 0) => {
      const entry = devices.get(new URL(device.endpoint).pathname);
      if (entry) Object.assign(entry, { status, delayMs });
    },
    stop: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
