import { describe, expect, it } from "vitest";

import { commonPasswordCount, isCommonPassword } from "./common-passwords";
import { checkPasswordPolicy, passwordMaxLength, passwordMinLength } from "./password-policy";

describe("checkPasswordPolicy", () => {
  it("accepts 8 to 256 characters and rejects 7 and 257", () => {
    expect(passwordMinLength).toBe(8);
    expect(passwordMaxLength).toBe(256);
    expect(checkPasswordPolicy("tr0ub4d")).toBe("Password must be at least 8 characters");
    expect(checkPasswordPolicy("tr0ub4dr")).toBeNull();
    const exactly256 = "Zebra-lamp-7 ".repeat(20).slice(0, 255) + "!";
    expect(exactly256).toHaveLength(256);
    expect(checkPasswordPolicy(exactly256)).toBeNull();
    expect(checkPasswordPolicy(`${exactly256}!`)).toBe("Password must be at most 256 characters");
  });

  it("counts characters as a person does, not UTF-16 units", () => {
    const eightEmoji = "🙂🙃😀😁😂🤣😃😄";
    expect(eightEmoji.length).toBe(16);
    expect(checkPasswordPolicy(eightEmoji)).toBeNull();
    expect(checkPasswordPolicy(eightEmoji.slice(0, 14))).toBe(
      "Password must be at least 8 characters",
    );
  });

  it("rejects common passwords whatever their case", () => {
    for (const password of [
      "password1",
      "PASSWORD1",
      "12345678",
      "qwertyuiop",
      "QwErTyUiOp",
      "iloveyou1",
      "1q2w3e4r",
      "trustno1",
    ]) {
      expect(checkPasswordPolicy(password)).toBe("This password is too common");
    }
    expect(checkPasswordPolicy("violet-harbour-93")).toBeNull();
  });

  it("rejects the username and passwords built around it", () => {
    const context = { username: "Alice_Smith" };
    expect(checkPasswordPolicy("alice_smith", context)).toBe("Password must not be your username");
    expect(checkPasswordPolicy("ALICE_SMITH2024!", context)).toBe(
      "Password must not contain your username",
    );
    expect(checkPasswordPolicy("violet-harbour-93", context)).toBeNull();
    // Three letters inside a long password are a coincidence, not a hint.
    expect(checkPasswordPolicy("bobsleigh-rocket", { username: "bob" })).toBeNull();
    expect(checkPasswordPolicy("bobbobbob", { username: "bobbobbob" })).toBe(
      "Password must not be your username",
    );
  });

  it("rejects one character repeated", () => {
    expect(checkPasswordPolicy("kkkkkkkkkkkk")).toBe(
      "Password must not be a single character repeated",
    );
  });
});

describe("the common-password list", () => {
  it("holds at least a thousand passwords", () => {
    expect(commonPasswordCount).toBeGreaterThanOrEqual(1000);
  });

  it("matches case-insensitively and only whole passwords", () => {
    expect(isCommonPassword("Sunshine1")).toBe(true);
    expect(isCommonPassword("sunshine1 and then some")).toBe(false);
    expect(isCommonPassword("")).toBe(false);
  });
});
