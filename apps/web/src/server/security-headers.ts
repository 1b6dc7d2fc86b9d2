import type { ServerResponse } from "node:http";

/**
 * Headers every page and static file gets (the API's JSON answers do not need them). The
 * Content-Security-Policy is per request, with its nonce: proxy.ts sets it.
 */
export function pageSecurityHeaders(options: { production: boolean }): Record<string, string> {
  return {
    "x-content-type-options": "nosniff",
    // Links to other sites carry no path (a conversation id) in the Referer.
    "referrer-policy": "strict-origin-when-cross-origin",
    // Camera and microphone for the app's own pages only (calls); nothing else.
    "permissions-policy": "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()",
    // For browsers without CSP frame-ancestors.
    "x-frame-options": "DENY",
    // Production is served over HTTPS: browsers keep to it for two years.
    ...(options.production ? { "strict-transport-security": "max-age=63072000; includeSubDomains" } : {}),
  };
}

export function setPageSecurityHeaders(response: ServerResponse, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
}
