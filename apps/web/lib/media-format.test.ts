import { describe, expect, it } from "vitest";

import { fileTypeLabel, formatBytes, formatDuration } from "./media-format";

describe("media formatting", () => {
  it("writes sizes in the unit a person reads", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(25 * 1024 * 1024)).toBe("25 MB");
  });

  it("writes lengths as m:ss and h:mm:ss", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(65_400)).toBe("1:05");
    expect(formatDuration(3_723_000)).toBe("1:02:03");
  });

  it("labels a file by its extension, else its type", () => {
    expect(fileTypeLabel("report.final.pdf", "application/pdf")).toBe("PDF");
    expect(fileTypeLabel("notes", "text/plain")).toBe("PLAIN");
    expect(fileTypeLabel("blob", "application/octet-stream")).toBe("FILE");
  });
});
