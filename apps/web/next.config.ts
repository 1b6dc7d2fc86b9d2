import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The internal packages ship TypeScript source; Next.js compiles them with the app.
  transpilePackages: ["@parley/api", "@parley/auth", "@parley/db"],
  // Native addons, WebAssembly and socket clients load from node_modules at run time.
  serverExternalPackages: ["@node-rs/argon2", "@electric-sql/pglite", "postgres", "ws", "ioredis"],
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [
      {
        // A new service worker must reach browsers at their next visit, never from a stale cache.
        source: "/sw.js",
        headers: [
          { key: "Cache-Control", value: "no-cache, max-age=0" },
          { key: "Service-Worker-Allowed", value: "/" },
        ],
      },
      { source: "/manifest.webmanifest", headers: [{ key: "Content-Type", value: "application/manifest+json" }] },
    ];
  },
};

export default nextConfig;
