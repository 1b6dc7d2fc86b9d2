import { WebSocket } from "ws";

import { clientIdIn, httpCall } from "./http";
import type { ChatProtocol } from "./types";

const subscriptionId = 1;

/**
 * Parley's own wire protocol, spoken directly: tRPC over HTTP for calls, and tRPC over WebSocket
 * with the session token in `connectionParams` for `events.stream`, exactly as @parley/client
 * sends them. (The SDK itself would cost the load generator more CPU than the server it drives.)
 */
export const parleyProtocol: ChatProtocol = {
  name: "parley",
  subscribe: (serverUrl, token, onMessage) =>
    new Promise((resolve, reject) => {
      const url = new URL("/api/trpc?connectionParams=1", serverUrl);
      url.protocol = "ws:";
      const socket = new WebSocket(url);
      let started = false;
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error("events.stream was not ready within 30 s"));
      }, 30_000);
      socket.on("open", () => {
        socket.send(JSON.stringify({ method: "connectionParams", data: { token } }));
        socket.send(
          JSON.stringify({ id: subscriptionId, method: "subscription", params: { path: "events.stream", input: {} } }),
        );
      });
      socket.on("message", (data) => {
        const frame = data.toString();
        if (frame === "PING") {
          socket.send("PONG");
          return;
        }
        if (!started) {
          // The stream's first event says the subscription is live and caught up with the log.
          if (frame.includes('"type":"stream.ready"')) {
            started = true;
            clearTimeout(timer);
            resolve({ close: () => socket.close() });
          } else if (frame.includes('"error"')) {
            clearTimeout(timer);
            socket.terminate();
            reject(new Error(`events.stream refused: ${frame.slice(0, 300)}`));
          }
          return;
        }
        if (!frame.includes('"type":"message.created"')) return;
        const clientId = clientIdIn(frame);
        if (clientId) onMessage({ clientId });
      });
      socket.on("error", (error) => {
        if (!started) {
          clearTimeout(timer);
          reject(error);
        }
      });
    }),
  send: async (serverUrl, token, input) => {
    const result = await httpCall({
      url: `${serverUrl}/api/trpc/messages.send`,
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify(input),
    });
    if (result.status !== 200) throw new Error(`messages.send answered ${result.status}: ${result.body.slice(0, 300)}`);
  },
  history: async (serverUrl, token, input) => {
    const query = encodeURIComponent(JSON.stringify(input));
    const result = await httpCall({
      url: `${serverUrl}/api/trpc/messages.history?input=${query}`,
      method: "GET",
      headers: { authorization: `Bearer ${token}` },
    });
    if (result.status !== 200) throw new Error(`messages.history answered ${result.status}: ${result.body.slice(0, 300)}`);
    const parsed = JSON.parse(result.body) as { result: { data: { messages: unknown[] } } };
    return parsed.result.data.messages.length;
  },
};
