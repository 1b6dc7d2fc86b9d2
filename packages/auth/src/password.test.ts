import { parseOptions } from "@node-rs/argon2";
import { describe, expect, it } from "vitest";

import { dummyPasswordHash, hashPassword, verifyPassword } from "./password";

describe("hashPassword / verifyPassword", () => {
  it("round-trips and rejects a wrong password", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(await verifyPassword(hash, "correct horse battery staple")).toBe(true);
    expect(await verifyPassword(hash, "correct horse battery stapler")).toBe(false);
    expect(await verifyPassword(hash, "Correct horse battery staple")).toBe(false);
  });

  it("uses argon2id with m=19456, t=2, p=1, visible in the stored string", async () => {
    const hash = await hashPassword("parameters are recorded");
    expect(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
    expect(parseOptions(hash)).toMatchObject({
      algorithm: 2,
      memoryCost: 19_456,
      timeCost: 2,
      parallelism: 1,
    });
  });

  it("salts every hash", async () => {
    const first = await hashPassword("same password twice");
    const second = await hashPassword("same password twice");
    expect(first).not.toBe(second);
    expect(await verifyPassword(second, "same password twice")).toBe(true);
  });

  it("hashes the whole of a 256-character password: the last character matters", async () => {
    const prefix = "x".repeat(255);
    const hash = await hashPassword(`${prefix}a`);
    expect(await verifyPassword(hash, `${prefix}a`)).toBe(true);
    expect(await verifyPassword(hash, `${prefix}b`)).toBe(false);
    expect(await verifyPassword(hash, prefix)).toBe(false);
  });

  it("does not truncate even past 256 characters", async () => {
    const prefix = "long-passphrase ".repeat(40);
    const hash = await hashPassword(`${prefix}1`);
    expect(await verifyPassword(hash, `${prefix}2`)).toBe(false);
    expect(await verifyPassword(hash, `${prefix}1`)).toBe(true);
  });

  it("treats differently composed accents as the same password", async () => {
    const composed = "caf\u00e9-au-lait";
    const decomposed = "cafe\u0301-au-lait";
    const hash = await hashPassword(composed);
    expect(await verifyPassword(hash, decomposed)).toBe(true);
  });

  it("returns false, without throwing, for malformed hashes", async () => {
    const malformed = [
      "",
      "not-a-hash",
      "$argon2id$v=19$m=19456",
      "$argon2id$v=19$m=19456,t=2,p=1$!!!$!!!",
      "$2b$10$abcdefghijklmnopqrstuuJ3W7o9Pq8K1jv4R2vO0z3y5w6x7y8z9",
      "\u0000".repeat(50),
    ];
    for (const hash of malformed) {
      await expect(verifyPassword(hash, "whatever-password")).resolves.toBe(false);
    }
  });
});

describe("dummyPasswordHash", () => {
  it("costs what a real hash costs: same algorithm and parameters", async () => {
    const real = parseOptions(await hashPassword("some user password"));
    expect(parseOptions(dummyPasswordHash)).toEqual(real);
  });

  it("verifies no password", async () => {
    for (const guess of ["", "password", "12345678", dummyPasswordHash]) {
      expect(await verifyPassword(dummyPasswordHash, guess)).toBe(false);
    }
  });
});
