import { describe, expect, it } from "vitest";

import { withDraft } from "./draft-storage";

describe("withDraft", () => {
  it("keeps a conversation's text, replaces it, and drops it when blank", () => {
    const first = withDraft({}, "c1", "half a thought");
    expect(first).toEqual({ c1: "half a thought" });
    expect(withDraft(first, "c2", "another")).toEqual({ c1: "half a thought", c2: "another" });
    expect(withDraft(first, "c1", "a whole thought")).toEqual({ c1: "a whole thought" });
    expect(withDraft(first, "c1", "  \n ")).toEqual({});
  });

  it("answers the same object when nothing changes, so nothing is saved again", () => {
    const drafts = { c1: "same" };
    expect(withDraft(drafts, "c1", "same")).toBe(drafts);
    expect(withDraft(drafts, "c2", "")).toBe(drafts);
  });

  it("cuts a draft far longer than a message can be", () => {
    expect(withDraft({}, "c1", "x".repeat(10_000)).c1).toHaveLength(8_192);
  });
});
