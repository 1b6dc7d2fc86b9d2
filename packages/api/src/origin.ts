/**
 * Whether a request's Origin may act with the user's cookie. Requests without an Origin header
 * are not from a browser page (browsers send it on every cross-site and state-changing request).
 */
export function isOriginAllowed(origin: string | null, allowedOrigins: readonly string[]): boolean {
  if (origin === null) return true;
  return allowedOrigins.includes(origin);
}
