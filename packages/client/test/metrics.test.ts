import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { serveMetrics, type MetricsServer } from "@parley/api";

import { createGroup, listen, startTestServer, waitUntil, type TestServer } from "./harness";

/** One sample of the Prometheus text format: `name{label="value",...} number`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseSamples(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line.length > 0 && !line.startsWith("#"))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a Prometheus sample: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
      return { name: match[1] as string, labels: labels as Record<string, string>, value: Number(match[3]) };
    });
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}

let server: TestServer;
let metrics: MetricsServer;

async function scrape(): Promise<{ response: Response; samples: Sample[] }> {
  const response = await fetch(metrics.url);
  return { response, samples: parseSamples(await response.text()) };
}

describe("/metrics", () => {
  beforeAll(async () => {
    // A burst of 5 that refills very slowly, so the sixth send is refused.
    server = await startTestServer({ sendRate: { burst: 5, perSecond: 0.01 } });
    metrics = await serveMetrics({ metrics: server.services.metrics, port: 0, host: "127.0.0.1", logger: server.services.logger });
  });

  afterAll(async () => {
    await metrics?.close();
    await server?.stop();
  });

  it("counts sends, refusals, deliveries and connections after some traffic", async () => {
    const before = (await scrape()).samples;
    expect(valueOf(before, "parley_send_batches_total")).toBe(0);

    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const group = await createGroup(alice, [bob], "Metered");
    const recorder = await listen(bob.client);
    for (let index = 0; index < 5; index += 1) {
      await alice.client.api.messages.send.mutate({ conversationId: group.id, clientId: randomUUID(), body: `#${index}` });
    }
    await expect(
      alice.client.api.messages.send.mutate({ conversationId: group.id, clientId: randomUUID(), body: "one too many" }),
    ).rejects.toMatchObject({ data: { code: "TOO_MANY_REQUESTS" } });
    await waitUntil(() => recorder.events.filter((event) => event.type === "message.created").length === 5, 5_000, "five deliveries");

    const { response, samples } = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    expect(valueOf(samples, "parley_sends_total", { result: "acknowledged" })).toBe(5);
    expect(valueOf(samples, "parley_sends_total", { result: "refused" })).toBe(1);
    expect(valueOf(samples, "parley_send_duration_seconds_count")).toBe(5);
    expect(valueOf(samples, "parley_send_duration_seconds_bucket", { le: "+Inf" })).toBe(5);
    expect(valueOf(samples, "parley_rate_limit_refusals_total", { procedure: "messages.send" })).toBe(1);
    expect(valueOf(samples, "parley_api_errors_total", { code: "TOO_MANY_REQUESTS" })).toBe(1);
    expect(valueOf(samples, "parley_send_batches_total")).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, "parley_send_batched_messages_total")).toBe(5);
    expect(valueOf(samples, "parley_send_largest_batch")).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, "parley_send_retried_alone_total")).toBe(0);
    expect(valueOf(samples, "parley_expiry_backlog_messages")).toBe(0);
    expect(valueOf(samples, "parley_push_queue_notifications")).toBe(0);
    // Bob's stream: one socket, one subscription, five live deliveries.
    expect(valueOf(samples, "parley_websocket_connections")).toBe(1);
    expect(valueOf(samples, "parley_stream_subscriptions")).toBe(1);
    expect(valueOf(samples, "parley_delivery_lag_seconds_count")).toBe(5);
    expect(valueOf(samples, "parley_delivery_lag_seconds_bucket", { le: "+Inf" })).toBe(5);
    expect(valueOf(samples, "parley_event_bus_connected", { kind: "memory" })).toBe(1);
    expect(valueOf(samples, "parley_database_errors_total")).toBe(0);
    // Node's own series: event-loop lag among them.
    expect(valueOf(samples, "nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
    if (process.env.DATABASE_URL) {
      // The scrape's own query holds one of this process's connections.
      expect(valueOf(samples, "parley_database_connections", { state: "active" })).toBeGreaterThanOrEqual(1);
    }
  });

  it("counts a socket and its subscription out when the client goes", async () => {
    const carol = await server.signUp("carol");
    await listen(carol.client);
    const open = (await scrape()).samples;
    const connections = valueOf(open, "parley_websocket_connections") ?? 0;
    const subscriptions = valueOf(open, "parley_stream_subscriptions") ?? 0;
    await carol.client.close();
    const gone = (samples: Sample[]) =>
      valueOf(samples, "parley_websocket_connections") === connections - 1 &&
      valueOf(samples, "parley_stream_subscriptions") === subscriptions - 1;
    let closed = (await scrape()).samples;
    for (const deadline = Date.now() + 2_000; !gone(closed) && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      closed = (await scrape()).samples;
    }
    expect(valueOf(closed, "parley_websocket_connections")).toBe(connections - 1);
    expect(valueOf(closed, "parley_stream_subscriptions")).toBe(subscriptions - 1);
  });

  it("answers only /metrics", async () => {
    expect((await fetch(new URL("/other", metrics.url))).status).toBe(404);
  });
});
