import { describe, expect, it } from "vitest";

import { hrefOf, splitLinks } from "./links";

describe("splitLinks", () => {
  it("keeps text without links as one plain part", () => {
    expect(splitLinks("no links here")).toEqual([{ kind: "text", text: "no links here" }]);
  });

  it("finds http and https links between words", () => {
    expect(splitLinks("see https://example.com/a?b=1#c and http://parley.chat now")).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", text: "https://example.com/a?b=1#c", href: "https://example.com/a?b=1#c" },
      { kind: "text", text: " and " },
      { kind: "link", text: "http://parley.chat", href: "http://parley.chat/" },
      { kind: "text", text: " now" },
    ]);
  });

  it("leaves sentence punctuation and an unmatched bracket outside the link", () => {
    expect(splitLinks("Read https://example.com/page.")).toEqual([
      { kind: "text", text: "Read " },
      { kind: "link", text: "https://example.com/page", href: "https://example.com/page" },
      { kind: "text", text: "." },
    ]);
    expect(splitLinks("(https://example.com/x)")).toEqual([
      { kind: "text", text: "(" },
      { kind: "link", text: "https://example.com/x", href: "https://example.com/x" },
      { kind: "text", text: ")" },
    ]);
    expect(splitLinks("https://en.wikipedia.org/wiki/Mercury_(planet)")[0]).toEqual({
      kind: "link",
      text: "https://en.wikipedia.org/wiki/Mercury_(planet)",
      href: "https://en.wikipedia.org/wiki/Mercury_(planet)",
    });
  });

  it("opens a bare www. host over https and an address as mailto", () => {
    expect(splitLinks("www.example.org")).toEqual([{ kind: "link", text: "www.example.org", href: "https://www.example.org/" }]);
    expect(splitLinks("write to ada@example.com!")).toEqual([
      { kind: "text", text: "write to " },
      { kind: "link", text: "ada@example.com", href: "mailto:ada@example.com" },
      { kind: "text", text: "!" },
    ]);
  });

  it("never makes a link of another scheme or of markup", () => {
    expect(splitLinks("javascript:alert(1)")).toEqual([{ kind: "text", text: "javascript:alert(1)" }]);
    expect(splitLinks("data:text/html,<b>x</b>")).toEqual([{ kind: "text", text: "data:text/html,<b>x</b>" }]);
    const parts = splitLinks('<a href="https://evil.example">x</a>');
    expect(parts.filter((part) => part.kind === "link").map((part) => part.text)).toEqual(["https://evil.example"]);
    expect(parts.map((part) => part.text).join("")).toBe('<a href="https://evil.example">x</a>');
  });

  it("gives back the whole text, in order, whatever it holds", () => {
    const text = "a https://x.io/1, b www.y.io c@d.io (e) mailto:f@g.io.";
    expect(splitLinks(text).map((part) => part.text).join("")).toBe(text);
  });
});

describe("hrefOf", () => {
  it("refuses hosts without a dot and schemes other than http, https and mailto", () => {
    expect(hrefOf("http://intranet")).toBeNull();
    expect(hrefOf("ftp://example.com")).toBeNull();
    expect(hrefOf("mailto:nobody")).toBeNull();
    expect(hrefOf("https://example.com")).toBe("https://example.com/");
  });
});
