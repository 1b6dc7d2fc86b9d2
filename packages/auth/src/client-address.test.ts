import { describe, expect, it } from "vitest";

import { throttledNetwork } from "./client-address";

describe("throttledNetwork", () => {
  it("keeps an IPv4 address as it is", () => {
    expect(throttledNetwork("203.0.113.7")).toBe("203.0.113.7");
    expect(throttledNetwork(" 203.0.113.7 ")).toBe("203.0.113.7");
  });

  it("counts an IPv6 address as its /64", () => {
    expect(throttledNetwork("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(throttledNetwork("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(throttledNetwork("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(throttledNetwork("::1")).toBe("0:0:0:0::/64");
    expect(throttledNetwork("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(throttledNetwork("2001:db8::1.2.3.4")).toBe("2001:db8:0:0::/64");
  });

  it("unwraps an IPv4-mapped IPv6 address", () => {
    expect(throttledNetwork("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(throttledNetwork("::ffff:cb00:7107")).toBe("203.0.113.7");
  });

  it("passes through what is not an address", () => {
    expect(throttledNetwork("unknown")).toBe("unknown");
    expect(throttledNetwork("")).toBe("");
  });
});
