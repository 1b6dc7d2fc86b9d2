import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";

import { themeBootScript } from "../lib/theme";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Parley", template: "%s · Parley" },
  description: "Instant messaging: friends, direct and group conversations, live delivery, history on every device.",
  manifest: "/manifest.webmanifest",
  icons: { icon: [{ url: "/icons/icon.svg", type: "image/svg+xml" }], apple: "/icons/apple-touch-icon.png" },
  appleWebApp: { capable: true, title: "Parley", statusBarStyle: "default" },
};

export const viewport: Viewport = {
  colorScheme: "light dark",
  themeColor: "#0284c7",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Reading the request renders the page per request, so that Next.js can put this response's
  // CSP nonce (proxy.ts) on its scripts; the theme script carries the same nonce.
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  return (
    // The theme script sets data-theme and color-scheme on <html> before React hydrates.
    <html lang="en" suppressHydrationWarning>
      <head>
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: themeBootScript }} />
      </head>
      <body className="min-h-dvh bg-white font-sans text-zinc-900 antialiased dark:bg-zinc-950 dark:text-zinc-100">
        {children}
      </body>
    </html>
  );
}
