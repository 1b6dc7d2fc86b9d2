import { NextResponse, type NextRequest } from "next/server";

/** Must match the cookie the API sets (`sessionCookieName` in @parley/api). */
const sessionCookieName = "parley_session";

/**
 * A fast path only: visitors with no session cookie are sent to sign in before any app code
 * loads. Whether a cookie is still valid is decided by the API (`auth.me`), never here.
 */
export function proxy(request: NextRequest) {
  const hasSession = request.cookies.has(sessionCookieName);
  const { pathname, search } = request.nextUrl;
  if (pathname === "/") {
    return hasSession ? NextResponse.redirect(new URL("/chats", request.url)) : NextResponse.next();
  }
  if (!hasSession) {
    const login = new URL("/login", request.url);
    login.searchParams.set("next", `${pathname}${search}`);
    return NextResponse.redirect(login);
  }
  return NextResponse.next();
}

export const config = {
  matcher: ["/", "/chats/:path*", "/friends/:path*", "/settings/:path*"],
};
