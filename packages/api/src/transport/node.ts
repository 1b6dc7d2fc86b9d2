import type { IncomingMessage, ServerResponse } from "node:http";

import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";

import type { ParleyServices } from "../services";
import { createClientAddressResolver } from "./client-address";
import { mediaEndpoint } from "../domain/attachments";
import { clientAddressHeader, createFetchHandler, maxRequestBodyBytes, refuseUnservedMethod } from "./http";
import { createMediaRequestListener } from "./media";

/**
 * Serves tRPC over HTTP from a plain Node server (tests, benchmarks, hosts without Next.js),
 * through the same fetch handler the Next.js route uses.
 */
export function createNodeRequestListener(
  services: ParleyServices,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const handle = createFetchHandler(services);
  const clientAddress = createClientAddressResolver(services.config.trustedProxies);
  const handleMedia = createMediaRequestListener(services);
  return async (request, response) => {
    if (request.url?.startsWith(`${mediaEndpoint}/`)) return handleMedia(request, response);
    // Before the fetch Request is built: it cannot even represent some methods (TRACE, CONNECT).
    const unserved = refuseUnservedMethod(request.method);
    if (unserved) {
      response.writeHead(unserved.status, unserved.headers).end(unserved.body);
      return;
    }
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
      // A call's answer is one small body (subscriptions are refused over HTTP).
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
