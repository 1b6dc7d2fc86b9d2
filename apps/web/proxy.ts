import { NextResponse, type NextRequest } from "next/server";

/** Must match the cookie the API sets (`sessionCookieName` in @parley/api). */
const sessionCookieName = "parley_session";

/** Pages behind sign-in; everything else (sign-in, sign-up) is open. */
const signedInPaths = ["/chats", "/friends", "/settings"];

/**
 * The page's Content-Security-Policy. Scripts run only with this response's nonce (Next.js puts
 * it on its own inline and bootstrap scripts, reading it from the request's copy of this header)
 * and what they load ('strict-dynamic'); nothing is loaded from another origin; no site may frame
 * the app. Styles keep 'unsafe-inline' for React's style attributes. Development adds
 * 'unsafe-eval', which React's dev build needs for its stack traces.
 */
export function contentSecurityPolicy(nonce: string, development: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * A fast path only: visitors with no session cookie are sent to sign in before any app code
 * loads. Whether a cookie is still valid is decided by the API (`auth.me`), never here.
 */
function signInRedirect(request: NextRequest): NextResponse | null {
  const hasSession = request.cookies.has(sessionCookieName);
  const { pathname, search } = request.nextUrl;
  if (pathname === "/") return hasSession ? NextResponse.redirect(new URL("/chats", request.url)) : null;
  const guarded = signedInPaths.some((path) => pathname === path || pathname.startsWith(`${path}/`));
  if (!guarded || hasSession) return null;
  const login = new URL("/login", request.url);
  login.searchParams.set("next", `${pathname}${search}`);
  return NextResponse.redirect(login);
}

export function proxy(request: NextRequest) {
  const redirect = signInRedirect(request);
  if (redirect) return redirect;
  // A fresh nonce for every page view: the pages render per request for it (app/layout.tsx).
  const nonce = btoa(crypto.randomUUID());
  const policy = contentSecurityPolicy(nonce, process.env.NODE_ENV === "development");
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  // Every page; not the API (served by server.ts), health probes, or Next's static files.
  matcher: ["/((?!api/|_next/static|_next/image|favicon.ico|healthz|readyz).*)"],
};
