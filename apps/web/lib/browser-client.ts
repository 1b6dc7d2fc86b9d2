import { createParleyClient, type ParleyClient } from "@parley/client";

/** The header that makes login and register answer with the HttpOnly cookie instead of a token. */
const sessionModeHeaders = { "x-parley-session": "cookie" };

/**
 * The SDK as this page uses it: same origin, signed in by the HttpOnly session cookie that
 * the browser attaches to every request and to the WebSocket upgrade, so page JavaScript
 * never holds the token.
 */
export function createBrowserClient(): ParleyClient {
  return createParleyClient({
    url: window.location.origin,
    credentials: "same-origin",
    headers: sessionModeHeaders,
  });
}

/** A v4 UUID; `crypto.randomUUID` exists only in secure contexts (https or localhost). */
export function newClientId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
