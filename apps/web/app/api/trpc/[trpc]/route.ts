import { createFetchHandler } from "@parley/api";

import { getRegisteredServices } from "~/server/services-registry";

// tRPC answers depend on the caller and the database: never prerender or cache them.
export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** tRPC over HTTP, served with the services instance that server.ts started. */
function handleTrpcRequest(request: Request): Promise<Response> {
  return createFetchHandler(getRegisteredServices())(request);
}

export { handleTrpcRequest as GET, handleTrpcRequest as POST };
