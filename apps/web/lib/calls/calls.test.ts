import { describe, expect, it } from "vitest";

import { describeEnding, formatCallDuration } from "./call-wording";
import { rateQuality, sampleStats } from "./connection-quality";
import { describeMediaError } from "./local-media";

function statsReport(entries: Array<Record<string, unknown>>): RTCStatsReport {
  return new Map(entries.map((entry, index) => [String(index), entry])) as unknown as RTCStatsReport;
}

describe("connection quality", () => {
  it("rates a short round trip with no loss as good, and past 400 ms or 8 % loss as poor", () => {
    expect(rateQuality({ roundTripMs: 40, lossRatio: 0 })).toBe("good");
    expect(rateQuality({ roundTripMs: 220, lossRatio: 0.01 })).toBe("fair");
    expect(rateQuality({ roundTripMs: 60, lossRatio: 0.05 })).toBe("fair");
    expect(rateQuality({ roundTripMs: 450, lossRatio: 0 })).toBe("poor");
    expect(rateQuality({ roundTripMs: 30, lossRatio: 0.12 })).toBe("poor");
    expect(rateQuality({ roundTripMs: null, lossRatio: null })).toBe("unknown");
  });

  it("reads the nominated pair's round trip and the loss since the previous sample", () => {
    const first = sampleStats(
      statsReport([
        { type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: 0.083 },
        { type: "candidate-pair", nominated: false, state: "failed", currentRoundTripTime: 2 },
        { type: "inbound-rtp", packetsLost: 10, packetsReceived: 990 },
      ]),
      null,
    );
    expect(first.sample).toEqual({ roundTripMs: 83, lossRatio: null });
    const second = sampleStats(
      statsReport([
        { type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: 0.1 },
        { type: "inbound-rtp", packetsLost: 16, packetsReceived: 1_090 },
        { type: "inbound-rtp", packetsLost: 4, packetsReceived: 100 },
      ]),
      first.totals,
    );
    // 10 lost of 110 + 100 expected since the first sample.
    expect(second.sample.roundTripMs).toBe(100);
    expect(second.sample.lossRatio).toBeCloseTo(10 / 210, 5);
  });
});

describe("call wording", () => {
  it("formats a call's length like a phone does", () => {
    expect(formatCallDuration(0)).toBe("0:00");
    expect(formatCallDuration(42.9)).toBe("0:42");
    expect(formatCallDuration(725)).toBe("12:05");
    expect(formatCallDuration(3_729)).toBe("1:02:09");
  });

  it("says why a call ended from the caller's and the callee's side", () => {
    const caller = { outgoing: true, otherName: "Bo", wasConnected: false };
    const callee = { outgoing: false, otherName: "Ada", wasConnected: false };
    expect(describeEnding({ kind: "reason", reason: "declined" }, caller)).toBe("Bo declined the call");
    expect(describeEnding({ kind: "reason", reason: "busy" }, caller)).toBe("Bo is on another call");
    expect(describeEnding({ kind: "reason", reason: "timeout" }, caller)).toBe("No answer");
    expect(describeEnding({ kind: "reason", reason: "timeout" }, callee)).toBe("Missed call");
    expect(describeEnding({ kind: "reason", reason: "failed" }, caller)).toBe("The call couldn’t connect");
    expect(describeEnding({ kind: "reason", reason: "failed" }, { ...caller, wasConnected: true })).toBe("The call dropped");
    expect(describeEnding({ kind: "connection-lost" }, caller)).toBe("The connection was lost");
  });

  it("turns a refused or missing device into an instruction", () => {
    const refused = new DOMException("Permission denied", "NotAllowedError");
    const missing = new DOMException("Requested device not found", "NotFoundError");
    expect(describeMediaError(refused, "audio")).toBe(
      "Parley isn’t allowed to use your microphone. Allow access in the browser’s site settings, then try again.",
    );
    expect(describeMediaError(refused, "video")).toContain("camera and microphone");
    expect(describeMediaError(missing, "audio")).toBe("No microphone was found. Connect one and try again.");
    expect(describeMediaError(missing, "video")).toBe("No camera or microphone was found. Connect one and try again.");
    expect(describeMediaError(new DOMException("busy", "NotReadableError"), "video")).toContain("in use by another app");
  });
});
