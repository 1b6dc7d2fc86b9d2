import { TRPCClientError, type AppRouter } from "@parley/client";

export interface ApiProblem {
  /** The tRPC error code, or "NETWORK" when the server could not be reached. */
  code: string;
  /** A sentence to show the user. */
  message: string;
  /** Per-field messages from input validation, keyed by input field. */
  fieldErrors: Record<string, string>;
  retryAfterSeconds: number | null;
}

/** What the server's error formatter attaches to every error it answers with. */
type ErrorData = NonNullable<TRPCClientError<AppRouter>["data"]>;

/** Turns whatever a call threw into something a form can show. */
export function describeProblem(error: unknown): ApiProblem {
  if (error instanceof TRPCClientError) {
    // Absent when no answer came back at all.
    const data: ErrorData | null = error.data ?? null;
    if (!data?.code) {
      return { code: "NETWORK", message: "Can't reach Parley. Check your connection.", fieldErrors: {}, retryAfterSeconds: null };
    }
    const fieldErrors: Record<string, string> = {};
    for (const [field, messages] of Object.entries<string[] | undefined>(data.zodError?.fieldErrors ?? {})) {
      const first = messages?.[0];
      if (first) fieldErrors[field] = first;
    }
    const firstFieldError = Object.values(fieldErrors)[0];
    const message = data.zodError
      ? (firstFieldError ?? data.zodError.formErrors?.[0] ?? "Check what you entered")
      : error.message;
    return { code: data.code, message, fieldErrors, retryAfterSeconds: data.retryAfterSeconds ?? null };
  }
  return {
    code: "UNKNOWN",
    message: error instanceof Error ? error.message : "Something went wrong",
    fieldErrors: {},
    retryAfterSeconds: null,
  };
}

/** True when the call never got an answer: worth retrying once the connection is back. */
export function isNetworkProblem(error: unknown): boolean {
  return describeProblem(error).code === "NETWORK";
}
