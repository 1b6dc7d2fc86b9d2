import { WebSocket } from "ws";

import { clientIdIn, httpCall } from "./http";
import type { ChatProtocol } from "./types";

/** The baseline server's minimal protocol: bearer token on every request and on the upgrade. */
export const baselineProtocol: ChatProtocol = {
  name: "baseline",
  subscribe: (serverUrl, token, onMessage) =>
    new Promise((resolve, reject) => {
      const url = new URL("/ws", serverUrl);
      url.protocol = "ws:";
      const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
      let ready = false;
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error("baseline socket not ready within 30 s"));
      }, 30_000);
      socket.on("message", (data) => {
        const frame = data.toString();
        if (!ready) {
          if (frame === '{"type":"ready"}') {
            ready = true;
            clearTimeout(timer);
            resolve({ close: () => socket.close() });
          }
          return;
        }
        const clientId = clientIdIn(frame);
        if (clientId) onMessage({ clientId });
      });
      socket.on("error", (error) => {
        if (!ready) {
          clearTimeout(timer);
          reject(error);
        }
      });
    }),
  send: async (serverUrl, token, input) => {
    const result = await httpCall({
      url: `${serverUrl}/send`,
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify(input),
    });
    if (result.status !== 200) throw new Error(`baseline /send answered ${result.status}: ${result.body.slice(0, 300)}`);
  },
  history: async (serverUrl, token, input) => {
    const query = new URLSearchParams({ conversationId: input.conversationId, limit: String(input.limit) });
    if (input.beforeSeq !== undefined) query.set("beforeSeq", String(input.beforeSeq));
    const result = await httpCall({
      url: `${serverUrl}/history?${query.toString()}`,
      method: "GET",
      headers: { authorization: `Bearer ${token}` },
    });
    if (result.status !== 200) throw new Error(`baseline /history answered ${result.status}: ${result.body.slice(0, 300)}`);
    return (JSON.parse(result.body) as { messages: unknown[] }).messages.length;
  },
};
