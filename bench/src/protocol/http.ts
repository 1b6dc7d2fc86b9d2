import { Agent, request } from "node:http";

/** Keep-alive connections, as a browser or the SDK's fetch would hold them. */
const agent = new Agent({ keepAlive: true, maxSockets: 1_024 });

export interface HttpResult {
  status: number;
  body: string;
}

/** A small HTTP call on loopback; rejects on network errors and on time-outs. */
export function httpCall(options: {
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      options.url,
      {
        method: options.method,
        agent,
        headers: {
          ...options.headers,
          ...(options.body !== undefined
            ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(options.body)) }
            : {}),
        },
        timeout: options.timeoutMs ?? 30_000,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        response.on("error", reject);
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error(`timed out: ${options.method} ${options.url}`)));
    outgoing.on("error", reject);
    outgoing.end(options.body);
  });
}

/** The clientId in a serialised message, found without parsing the whole frame. */
export function clientIdIn(frame: string): string | null {
  const at = frame.indexOf('"clientId":"');
  return at < 0 ? null : frame.slice(at + 12, at + 48);
}
