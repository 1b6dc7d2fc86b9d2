import { describe, expect, it } from "vitest";

import { albumRows } from "./media-layout";

const square = { width: 100, height: 100 };

describe("albumRows", () => {
  it("lays 1 to 10 pictures in rows that hold every picture once, in order", () => {
    for (let count = 1; count <= 10; count++) {
      const rows = albumRows(Array.from({ length: count }, () => square));
      expect(rows.flat().map((tile) => tile.index)).toEqual(Array.from({ length: count }, (_, index) => index));
      expect(rows.every((row) => row.length >= 1 && row.length <= 4)).toBe(true);
    }
    expect(albumRows(Array.from({ length: 3 }, () => square)).map((row) => row.length)).toEqual([1, 2]);
  });

  it("keeps a lone picture's shape within limits and treats unknown sizes as square", () => {
    expect(albumRows([{ width: 1600, height: 900 }])[0]?.[0]?.aspect).toBeCloseTo(16 / 9);
    expect(albumRows([{ width: 100, height: 1000 }])[0]?.[0]?.aspect).toBe(0.5);
    expect(albumRows([{}])[0]?.[0]?.aspect).toBe(1);
  });
});
