import { decodeBase32 } from "@oslojs/encoding";
import { describe, expect, it } from "vitest";

import { generateSessionToken, hashSessionSecret, parseSessionToken } from "./session-token";

describe("generateSessionToken", () => {
  it("is <id>.<secret>, each 160 random bits in lower-case base32 without padding", () => {
    const token = generateSessionToken();
    expect(token).toMatch(/^[a-z2-7]{32}\.[a-z2-7]{32}$/);
    const parsed = parseSessionToken(token);
    expect(parsed).not.toBeNull();
    expect(decodeBase32(parsed!.id.toUpperCase())).toHaveLength(20);
    expect(decodeBase32(parsed!.secret.toUpperCase())).toHaveLength(20);
  });

  it("never repeats an id or a secret", () => {
    const parts = Array.from({ length: 2000 }, () => parseSessionToken(generateSessionToken())!);
    expect(new Set(parts.map((part) => part.id)).size).toBe(2000);
    expect(new Set(parts.map((part) => part.secret)).size).toBe(2000);
  });
});

describe("parseSessionToken", () => {
  it("splits a well-formed token", () => {
    const id = "a".repeat(32);
    const secret = "b2".repeat(16);
    expect(parseSessionToken(`${id}.${secret}`)).toEqual({ id, secret });
  });

  it("returns null for anything else", () => {
    const good = generateSessionToken();
    const garbage = [
      "",
      ".",
      "no-dot-at-all",
      good.replace(".", ""),
      good.replace(".", ":"),
      good.toUpperCase(),
      ` ${good}`,
      `${good} `,
      `${good}.`,
      `${good.slice(0, 33)}${"1".repeat(32)}`,
      `${"é".repeat(32)}.${"é".repeat(32)}`,
      `${"🙂".repeat(16)}.${"🙂".repeat(16)}`,
      "x".repeat(10_000),
      `${"a".repeat(5000)}.${"a".repeat(5000)}`,
    ];
    for (const token of garbage) expect(parseSessionToken(token)).toBeNull();
  });
});

describe("hashSessionSecret", () => {
  it("is SHA-256: 32 bytes, stable, different per secret", () => {
    const hash = hashSessionSecret("secret");
    expect(hash).toHaveLength(32);
    expect(hashSessionSecret("secret")).toEqual(hash);
    expect(hashSessionSecret("secreu")).not.toEqual(hash);
  });
});
