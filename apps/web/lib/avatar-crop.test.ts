import { describe, expect, it } from "vitest";

import { centredCrop, movedCrop, roundedCrop, zoomedCrop } from "./avatar-crop";

describe("avatar crop", () => {
  it("starts from the largest centred square", () => {
    expect(centredCrop(1200, 800)).toEqual({ x: 200, y: 0, side: 800 });
    expect(centredCrop(600, 900)).toEqual({ x: 0, y: 150, side: 600 });
  });

  it("moves within the picture and stops at its edges", () => {
    const start = centredCrop(1200, 800);
    expect(movedCrop(start, 150, 50, 1200, 800)).toEqual({ x: 350, y: 0, side: 800 });
    expect(movedCrop(start, 5_000, -5_000, 1200, 800)).toEqual({ x: 400, y: 0, side: 800 });
  });

  it("zooms around the centre, between the whole square and a quarter of it", () => {
    const zoomed = zoomedCrop(centredCrop(1200, 800), 2, 1200, 800);
    expect(zoomed).toEqual({ x: 400, y: 200, side: 400 });
    expect(zoomedCrop(zoomed, 10, 1200, 800).side).toBe(200);
    expect(zoomedCrop(zoomed, 0.5, 1200, 800)).toEqual({ x: 200, y: 0, side: 800 });
  });

  it("gives the server whole pixels inside the picture", () => {
    expect(roundedCrop({ x: 399.6, y: -0.2, side: 800.4 }, 1200, 800)).toEqual({ x: 400, y: 0, side: 800 });
  });
});
