import { TRPCError } from "@trpc/server";

export type DomainErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS";

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

const postgresCodeToTRPC: Record<string, DomainErrorCode> = {
  "23505": "CONFLICT", // unique_violation
  "23503": "BAD_REQUEST", // foreign_key_violation: a referenced id does not exist
  "23514": "BAD_REQUEST", // check_violation
  "22P02": "BAD_REQUEST", // invalid_text_representation (a malformed uuid)
  "22001": "BAD_REQUEST", // string_data_right_truncation
};

/** The Postgres SQLSTATE of an error from either driver, if it has one. */
export function postgresErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** The one place domain and database errors become tRPC errors. */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  if (error instanceof DomainError) {
    return new TRPCError({ code: error.code, message: error.message, cause: error });
  }
  const pgCode = postgresErrorCode(error);
  const mapped = pgCode ? postgresCodeToTRPC[pgCode] : undefined;
  if (mapped) {
    return new TRPCError({ code: mapped, message: "The request conflicts with stored data", cause: error });
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error", cause: error });
}
