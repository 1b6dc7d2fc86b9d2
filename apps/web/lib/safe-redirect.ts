/**
 * Where to go after signing in: only a path on this site, never another origin
 * ("//evil.example", "/\evil.example" and "https://…" are all refused).
 */
export function safeNextPath(next: string | null | undefined, fallback = "/chats"): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return fallback;
  try {
    const url = new URL(next, "http://parley.invalid");
    if (url.origin !== "http://parley.invalid") return fallback;
    if (url.pathname === "/login" || url.pathname === "/register") return fallback;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return fallback;
  }
}
