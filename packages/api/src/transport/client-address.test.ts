import type { IncomingMessage } from "node:http";

import { describe, expect, it } from "vitest";

import { createClientAddressResolver, isProxyAddressOrRange } from "./client-address";

function request(peer: string | undefined, forwardedFor?: string): Pick<IncomingMessage, "headers" | "socket"> {
  return {
    headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
    socket: { remoteAddress: peer } as IncomingMessage["socket"],
  };
}

describe("the client's address", () => {
  it("is the socket's peer when no proxy is trusted, whatever X-Forwarded-For claims", () => {
    const clientAddress = createClientAddressResolver();
    expect(clientAddress(request("203.0.113.7"))).toBe("203.0.113.7");
    expect(clientAddress(request("203.0.113.7", "198.51.100.1"))).toBe("203.0.113.7");
  });

  it("comes from X-Forwarded-For when the peer is a trusted proxy", () => {
    const clientAddress = createClientAddressResolver(["10.0.0.2"]);
    expect(clientAddress(request("10.0.0.2", "198.51.100.1"))).toBe("198.51.100.1");
  });

  it("ignores X-Forwarded-For from a peer that is not trusted", () => {
    const clientAddress = createClientAddressResolver(["10.0.0.2"]);
    expect(clientAddress(request("203.0.113.7", "198.51.100.1"))).toBe("203.0.113.7");
  });

  it("is the rightmost hop that is not a trusted proxy, so a forged hop on the left changes nothing", () => {
    const clientAddress = createClientAddressResolver(["10.0.0.0/8"]);
    // The client claimed 192.0.2.99; nginx appended the real peer 198.51.100.1; an inner proxy 10.1.2.3 forwarded to 10.0.0.2.
    expect(clientAddress(request("10.0.0.2", "192.0.2.99, 198.51.100.1, 10.1.2.3"))).toBe("198.51.100.1");
  });

  it("stops at the leftmost hop when every hop is trusted", () => {
    const clientAddress = createClientAddressResolver(["10.0.0.0/8"]);
    expect(clientAddress(request("10.0.0.2", "10.9.9.9, 10.1.2.3"))).toBe("10.9.9.9");
  });

  it("is the trusted proxy itself when it sends no X-Forwarded-For", () => {
    const clientAddress = createClientAddressResolver(["127.0.0.1"]);
    expect(clientAddress(request("127.0.0.1"))).toBe("127.0.0.1");
  });

  it("treats an IPv4-mapped IPv6 peer as its IPv4 address, and takes IPv6 ranges and names", () => {
    expect(createClientAddressResolver(["127.0.0.1"])(request("::ffff:127.0.0.1", "198.51.100.1"))).toBe("198.51.100.1");
    expect(createClientAddressResolver(["fd00::/8"])(request("fd00::5", "2001:db8::1"))).toBe("2001:db8::1");
    expect(createClientAddressResolver(["loopback"])(request("::1", "198.51.100.1"))).toBe("198.51.100.1");
  });

  it("is 'unknown' once the socket has gone", () => {
    expect(createClientAddressResolver()(request(undefined))).toBe("unknown");
  });

  it("accepts addresses, ranges and proxy-addr's names, and nothing else", () => {
    for (const entry of ["10.0.0.2", "10.0.0.0/8", "10.0.0.0/255.0.0.0", "::1", "fd00::/8", "loopback", "uniquelocal"]) {
      expect(isProxyAddressOrRange(entry), entry).toBe(true);
    }
    for (const entry of ["nginx.internal", "10.0.0.300", "10.0.0.0/33", ""]) {
      expect(isProxyAddressOrRange(entry), entry).toBe(false);
    }
  });
});
