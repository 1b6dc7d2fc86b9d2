import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { appRouter } from "../root";
import type { ParleyServices } from "../services";
import { createContext } from "../trpc";
import { defaultTransportLimits } from "./limits";

export const trpcEndpoint = "/api/trpc";

/** Set by the Node server from the socket's address; a client-sent value is overwritten. */
export const clientAddressHeader = "x-parley-client-address";

/** Largest accepted HTTP request body. */
export const maxRequestBodyBytes = 256 * 1024;

/** Queries are GETs (or POSTs), mutations POSTs; nothing else reaches a procedure. */
export const servedMethods = ["GET", "POST"] as const;

/** A whole-request refusal, in the shape of a tRPC error so that clients report it like one. */
export function refusalBody(status: 400 | 405 | 413, code: string, message: string): string {
  const jsonRpcCodes: Record<number, number> = { 400: -32600, 405: -32005, 413: -32013 };
  return JSON.stringify({ error: { message, code: jsonRpcCodes[status], data: { code, httpStatus: status } } });
}

/** The refusal for a method the API does not serve, or null when it serves it. */
export function refuseUnservedMethod(method: string | undefined): { status: 405; headers: Record<string, string>; body: string } | null {
  if ((servedMethods as readonly string[]).includes(method ?? "")) return null;
  return {
    status: 405,
    headers: { allow: servedMethods.join(", "), "content-type": "application/json" },
    body: refusalBody(405, "METHOD_NOT_SUPPORTED", `The API answers ${servedMethods.join(" and ")} only`),
  };
}

function refuse(status: 400 | 405 | 413, code: string, message: string): Response {
  return new Response(refusalBody(status, code, message), { status, headers: { "content-type": "application/json" } });
}

/** Procedure paths the request names: one, or a comma-separated batch. */
function requestedPaths(url: URL): string[] {
  const rest = url.pathname.slice(trpcEndpoint.length + 1);
  try {
    return decodeURIComponent(rest).split(",");
  } catch {
    return [rest];
  }
}

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } } | undefined>;

/** Serves tRPC over HTTP for any host that speaks fetch `Request`/`Response`. */
export function createFetchHandler(services: ParleyServices): (request: Request) => Promise<Response> {
  const maxBatchCalls = services.config.transportLimits?.maxBatchCalls ?? defaultTransportLimits.maxBatchCalls;
  return async (request) => {
    const unserved = refuseUnservedMethod(request.method);
    if (unserved) return new Response(unserved.body, { status: unserved.status, headers: unserved.headers });
    const declaredLength = Number(request.headers.get("content-length") ?? "0");
    if (declaredLength > maxRequestBodyBytes) return refuse(413, "PAYLOAD_TOO_LARGE", "Request body too large");
    const paths = requestedPaths(new URL(request.url));
    if (paths.length > maxBatchCalls) {
      return refuse(400, "BAD_REQUEST", `A batch may hold at most ${maxBatchCalls} calls`);
    }
    // The stream is served over WebSocket only: one socket per client, with its limits and resume.
    if (paths.some((path) => procedures[path]?._def.type === "subscription")) {
      return refuse(405, "METHOD_NOT_SUPPORTED", "Subscriptions are served over WebSocket only");
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
