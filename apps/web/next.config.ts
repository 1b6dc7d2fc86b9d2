import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The internal packages ship TypeScript source; Next.js compiles them with the app.
  transpilePackages: ["@parley/api", "@parley/auth", "@parley/db"],
  // Native addons, WebAssembly and socket clients load from node_modules at run time.
  serverExternalPackages: ["@node-rs/argon2", "@electric-sql/pglite", "postgres", "ws", "ioredis"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
