import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";

import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";

import type { ParleyServices } from "../services";
import { createClientAddressResolver } from "./client-address";
import { clientAddressHeader, createFetchHandler, maxRequestBodyBytes } from "./http";

/**
 * Serves tRPC over HTTP from a plain Node server (tests, benchmarks, hosts without Next.js),
 * through the same fetch handler the Next.js route uses.
 */
export function createNodeRequestListener(
  services: ParleyServices,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const handle = createFetchHandler(services);
  const clientAddress = createClientAddressResolver(services.config.trustedProxies);
  return async (request, response) => {
    try {
      // The socket's peer, or the client a trusted proxy names; a client-sent value is overwritten.
      request.headers[clientAddressHeader] = clientAddress(request);
      const fetchRequest = incomingMessageToRequest(request, response, { maxBodySize: maxRequestBodyBytes });
      const fetchResponse = await handle(fetchRequest);
      response.statusCode = fetchResponse.status;
      fetchResponse.headers.forEach((value, name) => {
        if (name !== "set-cookie") response.setHeader(name, value);
      });
      const cookies = fetchResponse.headers.getSetCookie();
      if (cookies.length > 0) response.setHeader("set-cookie", cookies);
      if (!fetchResponse.body) {
        response.end();
        return;
      }
      // Only subscriptions over server-sent events stream; a call's answer is one small body,
      // cheaper written at once than piped through a web stream.
      if (fetchResponse.headers.get("content-type")?.startsWith("text/event-stream")) {
        Readable.fromWeb(fetchResponse.body as NodeReadableStream).pipe(response);
        return;
      }
      response.end(Buffer.from(await fetchResponse.arrayBuffer()));
    } catch (error) {
      services.logger.warn({ err: String(error) }, "http request rejected");
      if (!response.headersSent) {
        const tooLarge = String(error).includes("PAYLOAD_TOO_LARGE") || String(error).toLowerCase().includes("too large");
        response.statusCode = tooLarge ? 413 : 400;
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ error: { message: tooLarge ? "Request body too large" : "Bad request" } }));
      } else {
        response.end();
      }
    }
  };
}
