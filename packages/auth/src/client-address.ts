import { isIPv4, isIPv6 } from "node:net";

const ipv6GroupCount = 8;
// An IPv6 subscriber is usually handed a whole /64, so its 2^64 addresses count as one client.
const ipv6NetworkGroups = 4;

/**
 * The unit a client is counted as when throttling: an IPv4 address as is, an IPv6 address as its
 * /64 network (an IPv4-mapped one as the IPv4 address), anything else lower-cased as given.
 */
export function throttledNetwork(address: string): string {
  const trimmed = address.trim().toLowerCase();
  const withoutZone = trimmed.replace(/%.*$/, "");
  if (isIPv4(withoutZone)) return withoutZone;
  if (!isIPv6(withoutZone)) return trimmed;

  const groups = ipv6Groups(withoutZone);
  const isIPv4Mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (isIPv4Mapped) {
    const high = groups[6] ?? 0;
    const low = groups[7] ?? 0;
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  const network = groups.slice(0, ipv6NetworkGroups).map((group) => group.toString(16));
  return `${network.join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, "::" and a trailing dotted quad expanded. */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dottedQuad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dottedQuad) {
    const [a, b, c, d] = dottedQuad.slice(1).map(Number) as [number, number, number, number];
    const high = ((a << 8) | b).toString(16);
    const low = ((c << 8) | d).toString(16);
    text = `${text.slice(0, dottedQuad.index)}${high}:${low}`;
  }
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeroGroups =
    tail === undefined ? 0 : ipv6GroupCount - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(zeroGroups).fill("0"), ...tailGroups].map((group) =>
    Number.parseInt(group, 16),
  );
}
