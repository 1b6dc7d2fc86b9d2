import { TRPCError } from "@trpc/server";

export type DomainErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS"
  | "SERVICE_UNAVAILABLE";

/** A failure the client caused and can act on; its message is shown to the user as is. */
export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly retryAfterSeconds?: number;

  constructor(code: DomainErrorCode, message: string, options?: { retryAfterSeconds?: number }) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

const conflictsWithStoredData = "The request conflicts with stored data";

const postgresCodeToTRPC: Record<string, { code: DomainErrorCode; message: string }> = {
  "23505": { code: "CONFLICT", message: conflictsWithStoredData }, // unique_violation
  // foreign_key_violation: a referenced id does not exist
  "23503": { code: "BAD_REQUEST", message: conflictsWithStoredData },
  "23514": { code: "BAD_REQUEST", message: conflictsWithStoredData }, // check_violation
  // invalid_text_representation (a malformed uuid)
  "22P02": { code: "BAD_REQUEST", message: conflictsWithStoredData },
  "22001": { code: "BAD_REQUEST", message: conflictsWithStoredData }, // string_data_right_truncation
  // character_not_in_repertoire: Postgres text cannot hold U+0000, which JSON input can carry.
  "22021": { code: "BAD_REQUEST", message: "Text must not contain NUL (U+0000) characters" },
  // invalid_datetime_format, datetime_field_overflow, numeric_value_out_of_range: a value the
  // input schema let through but Postgres cannot represent (year 0, a seq beyond int4).
  "22007": { code: "BAD_REQUEST", message: "A date in the request is not valid" },
  "22008": { code: "BAD_REQUEST", message: "A date in the request is out of range" },
  "22003": { code: "BAD_REQUEST", message: "A number in the request is out of range" },
};

/** The Postgres SQLSTATE of an error from either driver, if it has one. */
export function postgresErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** What the driver reports when it cannot reach the database: postgres.js's and Node's codes. */
const unreachableCodes = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a database that is away, restarting or overloaded: connection exceptions (08…),
 * shutdown and startup (57P01–57P03), a statement or idle transaction cut by its timeout (57014,
 * 25P03), and too many connections (53300). The request did nothing lasting; a retry may succeed.
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith("08") || ["57P01", "57P02", "57P03", "57014", "25P03", "53300"].includes(code);
}

/** Whether an error from either driver means the database could not serve the request just now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && (unreachableCodes.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isUnavailableSqlState(code)))) {
      return true;
    }
    if (current instanceof AggregateError && current.errors.some(isDatabaseUnavailable)) return true;
  }
  return false;
}

export const databaseUnavailableMessage = "The service is briefly unavailable; try again in a moment";

/** The one place domain and database errors become tRPC errors. */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  if (error instanceof DomainError) {
    return new TRPCError({ code: error.code, message: error.message, cause: error });
  }
  if (isDatabaseUnavailable(error)) {
    return new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: databaseUnavailableMessage,
      cause: new DomainError("SERVICE_UNAVAILABLE", databaseUnavailableMessage, { retryAfterSeconds: 1 }),
    });
  }
  const pgCode = postgresErrorCode(error);
  const mapped = pgCode ? postgresCodeToTRPC[pgCode] : undefined;
  if (mapped) {
    return new TRPCError({ code: mapped.code, message: mapped.message, cause: error });
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error", cause: error });
}
