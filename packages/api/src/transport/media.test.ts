import { describe, expect, it } from "vitest";

import { sanitiseFileName } from "../domain/attachments";
import { contentDisposition, parseRange } from "./media";

describe("parseRange", () => {
  it("reads a start and end, an open end and a suffix, clamped to the file", () => {
    expect(parseRange("bytes=0-99", 1_000)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=900-", 1_000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=900-5000", 1_000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=-10", 1_000)).toEqual({ start: 990, end: 999 });
    expect(parseRange("bytes=-5000", 1_000)).toEqual({ start: 0, end: 999 });
  });

  it("refuses ranges outside the file, and sends the whole file for forms it does not serve", () => {
    expect(parseRange("bytes=1000-", 1_000)).toBe("unsatisfiable");
    expect(parseRange("bytes=50-10", 1_000)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", 1_000)).toBe("unsatisfiable");
    expect(parseRange("bytes=-", 1_000)).toBe("unsatisfiable");
    expect(parseRange(undefined, 1_000)).toBeNull();
    expect(parseRange("bytes=0-1,5-6", 1_000)).toBeNull();
    expect(parseRange("items=0-1", 1_000)).toBeNull();
  });
});

describe("file names", () => {
  it("keeps the last path segment, without control, bidirectional or reserved characters", () => {
    expect(sanitiseFileName("../../etc/passwd")).toBe("passwd");
    expect(sanitiseFileName("C:\\Users\\me\\report.pdf")).toBe("report.pdf");
    expect(sanitiseFileName("invoice\u202Efdp.exe")).toBe("invoicefdp.exe");
    expect(sanitiseFileName("a\u0000b\nc.txt")).toBe("abc.txt");
    expect(sanitiseFileName("...hidden")).toBe("hidden");
    expect(sanitiseFileName('say "hi" <now>.txt')).toBe("say _hi_ _now_.txt");
    expect(sanitiseFileName("///")).toBe("file");
    expect([...sanitiseFileName("é".repeat(500))]).toHaveLength(200);
  });

  it("puts the exact name in Content-Disposition beside an ASCII fallback", () => {
    expect(contentDisposition("attachment", "Résumé (final).pdf")).toBe(
      `attachment; filename="R_sum_ (final).pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%28final%29.pdf`,
    );
    expect(contentDisposition("inline", "it's.png")).toBe(`inline; filename="it's.png"; filename*=UTF-8''it%27s.png`);
  });
});
