/**
 * Which push services the server sends to. A subscription names its endpoint, and the server
 * POSTs there; without a list, any signed-in user could make it POST to any https address,
 * including ones only the server can reach. The default is the services browsers use.
 */

/** FCM (Chrome and other Chromium browsers), Mozilla autopush (Firefox), WNS (Edge), APNs (Safari). */
export const defaultPushServiceHosts: readonly string[] = [
  "fcm.googleapis.com",
  "android.googleapis.com",
  "updates.push.services.mozilla.com",
  "*.notify.windows.com",
  "*.push.apple.com",
];

/** `*`, `*.example.com` (any host under it) or a host name or address. */
export const pushServiceHostPattern = /^(\*|(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$/;

export interface PushServiceList {
  /** Whether the server sends to this endpoint: https, on a listed host (any port). */
  accepts: (endpoint: string) => boolean;
  /** For the error a refused endpoint gets. */
  describe: () => string;
}

export function pushServiceList(hosts: readonly string[] = defaultPushServiceHosts): PushServiceList {
  const patterns = hosts.map((host) => host.toLowerCase());
  const anyHost = patterns.includes("*");
  return {
    accepts(endpoint) {
      let url: URL;
      try {
        url = new URL(endpoint);
      } catch {
        return false;
      }
      if (url.protocol !== "https:" || url.username !== "" || url.password !== "") return false;
      if (anyHost) return true;
      const host = url.hostname;
      return patterns.some((pattern) => (pattern.startsWith("*.") ? host.endsWith(pattern.slice(1)) : host === pattern));
    },
    describe: () => (anyHost ? "any https:// push service" : patterns.join(", ")),
  };
}
