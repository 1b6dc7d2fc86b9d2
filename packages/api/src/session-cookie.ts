import { parseCookie } from "cookie";

export const sessionCookieName = "parley_session";

/**
 * The session token a `Cookie` header carries, or undefined. One parser for HTTP and WebSocket
 * upgrades alike, so that no spelling of the header (spaces around `=`, quotes, several cookies)
 * is read one way by the origin check and another by the session lookup.
 */
export function readSessionCookie(cookieHeader: string | null | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  const value = parseCookie(cookieHeader)[sessionCookieName];
  return value === undefined || value.length === 0 ? undefined : value;
}
