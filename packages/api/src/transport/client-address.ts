import type { IncomingMessage } from "node:http";

import proxyAddr from "proxy-addr";

/**
 * Who is on the other end of a request. Without trusted proxies it is the socket's peer, the
 * only thing a client cannot forge. Behind a load balancer the peer is the balancer, so the
 * client is read from `X-Forwarded-For`: walking it from the right, each hop is believed only
 * while the one that appended it is a trusted proxy, and the first untrusted hop is the client.
 * A client that sends its own `X-Forwarded-For` only adds hops left of the real one.
 */
export type ClientAddressResolver = (request: Pick<IncomingMessage, "headers" | "socket">) => string;

/** What a request gets when its socket has already closed and no hop names it. */
const unknownAddress = "unknown";

/**
 * Compiles `trustedProxies` (addresses and CIDR ranges, IPv4 or IPv6; see TRUSTED_PROXIES) once.
 * Throws on an entry that is neither, which the environment schema checks at start.
 */
export function createClientAddressResolver(trustedProxies: readonly string[] = []): ClientAddressResolver {
  if (trustedProxies.length === 0) return (request) => request.socket.remoteAddress ?? unknownAddress;
  const trust = proxyAddr.compile([...trustedProxies]);
  return (request) => {
    // proxy-addr reads the socket's peer and then the header's hops.
    const address = proxyAddr(request as IncomingMessage, trust) as string | undefined;
    return address ?? unknownAddress;
  };
}

/** Whether `entry` is an address or CIDR range that proxy-addr accepts. */
export function isProxyAddressOrRange(entry: string): boolean {
  try {
    proxyAddr.compile(entry);
    return true;
  } catch {
    return false;
  }
}
