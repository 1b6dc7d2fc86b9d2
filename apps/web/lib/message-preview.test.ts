import { describe, expect, it } from "vitest";

import { messagePreview } from "./message-preview";

describe("messagePreview", () => {
  it("gives the text of a text message", () => {
    expect(messagePreview({ body: "hello" })).toBe("hello");
  });

  it("names what a message without a caption carries", () => {
    expect(messagePreview({ body: "", attachments: [{ kind: "voice", name: "voice.webm" }] })).toBe("🎤 Voice message");
    expect(messagePreview({ body: "", attachments: [{ kind: "file", name: "plan.pdf" }] })).toBe("📎 plan.pdf");
    const photos = [
      { kind: "image" as const, name: "a.jpg" },
      { kind: "image" as const, name: "b.jpg" },
    ];
    expect(messagePreview({ body: "", attachments: photos })).toBe("📷 2 photos");
  });

  it("puts a caption after the media's mark", () => {
    expect(messagePreview({ body: "the view", attachments: [{ kind: "image", name: "a.jpg" }] })).toBe("📷 the view");
  });
});
