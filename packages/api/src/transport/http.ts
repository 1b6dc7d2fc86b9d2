import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { appRouter } from "../root";
import type { ParleyServices } from "../services";
import { createContext } from "../trpc";

export const trpcEndpoint = "/api/trpc";

/** Set by the Node server from the socket's address; a client-sent value is overwritten. */
export const clientAddressHeader = "x-parley-client-address";

/** Largest accepted HTTP request body. */
export const maxRequestBodyBytes = 256 * 1024;

/** Serves tRPC over HTTP for any host that speaks fetch `Request`/`Response`. */
export function createFetchHandler(services: ParleyServices): (request: Request) => Promise<Response> {
  return async (request) => {
    const declaredLength = Number(request.headers.get("content-length") ?? "0");
    if (declaredLength > maxRequestBodyBytes) {
      return Response.json(
        { error: { message: "Request body too large", code: -32600, data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413 } } },
        { status: 413 },
      );
    }
    return fetchRequestHandler({
      endpoint: trpcEndpoint,
      req: request,
      router: appRouter,
      createContext: ({ req, resHeaders }) =>
        createContext({
          services,
          headers: req.headers,
          resHeaders,
          ipAddress: req.headers.get(clientAddressHeader) ?? undefined,
        }),
      onError: ({ error, path }) => {
        if (error.code === "INTERNAL_SERVER_ERROR") {
          services.logger.error({ path, err: error.cause ? String(error.cause.stack ?? error.cause) : error.message }, "trpc request failed");
        }
      },
    });
  };
}
