import { describe, expect, it } from "vitest";

import { downsampleWaveform, waveformBars } from "./waveform";

describe("downsampleWaveform", () => {
  it("takes each stretch's peak and scales the loudest to 255", () => {
    const samples = [0, 0.1, -0.2, 0.1, 0.5, -1, 0.25, 0];
    expect(downsampleWaveform(samples, 4)).toEqual([26, 51, 255, 64]);
  });

  it("treats a quiet recording's loudest moment as full scale", () => {
    expect(downsampleWaveform([0.01, -0.01, 0.005, 0.02], 2)).toEqual([128, 255]);
  });

  it("gives zeros for silence and nothing for an empty recording", () => {
    expect(downsampleWaveform(new Float32Array(100), 5)).toEqual([0, 0, 0, 0, 0]);
    expect(downsampleWaveform([], 5)).toEqual([]);
  });

  it("never gives more values than samples, nor more than the server keeps", () => {
    expect(downsampleWaveform([0.5, 1], 64)).toEqual([128, 255]);
    const long = Float32Array.from({ length: 48_000 }, (_, index) => Math.sin(index / 10));
    const waveform = downsampleWaveform(long, 10_000);
    expect(waveform).toHaveLength(256);
    expect(waveform.every((value) => Number.isInteger(value) && value >= 0 && value <= 255)).toBe(true);
  });

  it("covers every sample once when the length does not divide evenly", () => {
    const samples = Array.from({ length: 10 }, () => 0);
    samples[9] = 1;
    expect(downsampleWaveform(samples, 3)).toEqual([0, 0, 255]);
  });
});

describe("waveformBars", () => {
  it("keeps each stretch's peak when there are fewer bars than samples", () => {
    expect(waveformBars([0, 255, 51, 0, 102, 0], 3)).toEqual([1, 0.2, 0.4]);
  });

  it("repeats samples when there are more bars than samples", () => {
    expect(waveformBars([255, 0], 4)).toEqual([1, 1, 0, 0]);
  });

  it("draws a missing waveform flat", () => {
    expect(waveformBars(undefined, 3)).toEqual([0, 0, 0]);
  });
});
