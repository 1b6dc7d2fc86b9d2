import { describe, expect, it } from "vitest";

import { isJumboEmoji, splitEmoji } from "./emoji-runs";

describe("splitEmoji", () => {
  it("marks runs of emoji, whole sequences included, and leaves text as it is", () => {
    expect(splitEmoji("so funny 😂😂 right?")).toEqual([
      { emoji: false, text: "so funny " },
      { emoji: true, text: "😂😂" },
      { emoji: false, text: " right?" },
    ]);
    // A family (ZWJ), a skin tone, a flag (two regional indicators) and a heart asked for as emoji.
    expect(splitEmoji("👨‍👩‍👧 👍🏽 🇩🇪 ❤️")).toEqual([
      { emoji: true, text: "👨‍👩‍👧" },
      { emoji: false, text: " " },
      { emoji: true, text: "👍🏽" },
      { emoji: false, text: " " },
      { emoji: true, text: "🇩🇪" },
      { emoji: false, text: " " },
      { emoji: true, text: "❤️" },
    ]);
  });

  it("leaves text-style symbols, digits and CJK alone", () => {
    expect(splitEmoji("© 2026 ® ™ #1 起重机")).toEqual([{ emoji: false, text: "© 2026 ® ™ #1 起重机" }]);
    expect(splitEmoji("")).toEqual([]);
  });

  it("calls one to three emoji alone large, not four, nor emoji with words", () => {
    expect(isJumboEmoji("🚀")).toBe(true);
    expect(isJumboEmoji(" 👨‍👩‍👧🇩🇪❤️ ")).toBe(true);
    expect(isJumboEmoji("😂😂😂😂")).toBe(false);
    expect(isJumboEmoji("ok 👍")).toBe(false);
    expect(isJumboEmoji("👍 👍")).toBe(false);
    expect(isJumboEmoji("©")).toBe(false);
  });
});
