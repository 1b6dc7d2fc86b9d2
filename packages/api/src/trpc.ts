/**
 * The tRPC setup in three parts: the context every procedure receives, initialisation, and the
 * reusable procedures. This is the only module that exports base procedures.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError, z } from "zod";

import { toTRPCError } from "./errors";
import { isOriginAllowed } from "./origin";
import { readSessionCookie } from "./session-cookie";
import type { ParleyServices } from "./services";

export { sessionCookieName } from "./session-cookie";

/* 1. Context */

export interface CreateContextOptions {
  services: ParleyServices;
  /** The HTTP request's headers, or the WebSocket upgrade request's. */
  headers: Headers;
  /** The WebSocket's `connectionParams`, as the client sent them. */
  connectionParams?: Record<string, string | undefined> | null;
  /** The HTTP response's headers, where procedures set cookies; absent over WebSocket. */
  resHeaders?: Headers;
  ipAddress?: string;
  /** A WebSocket context lives as long as its connection, so its session is re-checked per call. */
  transport?: "http" | "websocket";
}

export type AuthSource = "bearer" | "connection-params" | "cookie";

function findToken(options: CreateContextOptions): { token: string; source: AuthSource } | null {
  const authorization = options.headers.get("authorization");
  if (authorization?.startsWith("Bearer ")) {
    return { token: authorization.slice("Bearer ".length).trim(), source: "bearer" };
  }
  const paramToken = options.connectionParams?.token;
  if (typeof paramToken === "string" && paramToken.length > 0) {
    return { token: paramToken, source: "connection-params" };
  }
  const cookie = readSessionCookie(options.headers.get("cookie"));
  return cookie ? { token: cookie, source: "cookie" } : null;
}

async function validateSession(services: ParleyServices, token: string) {
  try {
    return await services.sessions.validate(token);
  } catch (error) {
    // Raised before any procedure runs, so it is mapped here: a typed error, never the query.
    throw toTRPCError(error);
  }
}

export async function createContext(options: CreateContextOptions) {
  const found = findToken(options);
  const auth = found ? await validateSession(options.services, found.token) : null;
  return {
    services: options.services,
    headers: options.headers,
    resHeaders: options.resHeaders,
    ipAddress: options.ipAddress ?? "unknown",
    authSource: auth ? (found?.source ?? null) : null,
    session: auth?.session ?? null,
    user: auth?.user ?? null,
    /** Validates the connection's token again (WebSocket only: it may have been revoked since). */
    recheckSession:
      options.transport === "websocket" && found
        ? () => validateSession(options.services, found.token)
        : null,
  };
}

export type Context = Awaited<ReturnType<typeof createContext>>;

/* 2. Initialisation */

function describeInputError(error: ZodError): string {
  const [first] = error.issues;
  if (!first) return "Invalid input";
  const where = first.path.length > 0 ? `${first.path.join(".")}: ` : "";
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : "";
  return `${where}${first.message}${more}`;
}

const t = initTRPC.context<Context>().create({
  // Stack traces never leave the server.
  isDev: false,
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    // Input errors read as a sentence ("body: Too big…") rather than a JSON dump of issues. An
    // unexpected error says nothing more: its message may hold SQL, parameters or paths.
    message:
      error.cause instanceof ZodError
        ? describeInputError(error.cause)
        : error.code === "INTERNAL_SERVER_ERROR"
          ? "Internal server error"
          : shape.message,
    data: {
      code: shape.data.code,
      httpStatus: shape.data.httpStatus,
      path: shape.data.path,
      zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
      retryAfterSeconds:
        error.cause && "retryAfterSeconds" in error.cause && typeof error.cause.retryAfterSeconds === "number"
          ? error.cause.retryAfterSeconds
          : null,
    },
  }),
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/* 3. Procedures */

/** Domain and database errors thrown by a handler become typed tRPC errors here, once. */
const mapErrors = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  if (result.ok) return result;
  const error = result.error.code === "INTERNAL_SERVER_ERROR" && result.error.cause ? toTRPCError(result.error.cause) : result.error;
  ctx.services.metrics.recordProcedureError(error, path);
  if (error !== result.error) throw error;
  return result;
});

/**
 * Sends have a per-user rate limit of their own and are committed in batches: holding a burst of
 * them back in turns would only split the batches.
 */
const pacedElsewhere = new Set(["messages.send"]);

/**
 * Queries and mutations take turns per caller (fair-share.ts). A subscription is only set up
 * here (its generator runs later, outside), so it takes no turn.
 */
const takeTurns = t.middleware(({ ctx, type, path, next }) => {
  if (type === "subscription" || pacedElsewhere.has(path)) return next();
  const caller = ctx.user ? `user:${ctx.user.id}` : `address:${ctx.ipAddress}`;
  return ctx.services.fairShare.run(caller, () => next());
});

export const publicProcedure = t.procedure.use(mapErrors).use(takeTurns);

/** Signed in; the context's `user` and `session` are non-null from here on. */
export const protectedProcedure = publicProcedure.use(async ({ ctx, type, next }) => {
  // Over WebSocket the session was read when the socket opened: a logout, revoke or password
  // change since then must end its access too.
  let { user, session } = ctx;
  if (session && ctx.recheckSession) {
    const current = await ctx.recheckSession();
    user = current?.user ?? null;
    session = current?.session ?? null;
  }
  if (!user || !session) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue" });
  }
  // A cookie rides along on cross-site requests; only our own pages may use it to change state.
  if (
    ctx.authSource === "cookie" &&
    type !== "query" &&
    !isOriginAllowed(ctx.headers.get("origin"), ctx.services.config.allowedOrigins)
  ) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Request origin is not allowed" });
  }
  return next({ ctx: { ...ctx, user, session } });
});

export type ProtectedContext = Context & {
  user: NonNullable<Context["user"]>;
  session: NonNullable<Context["session"]>;
};
