/**
 * How good a call's connection is, read from `RTCPeerConnection.getStats()`: the round-trip
 * time of the pair of candidates in use and the share of incoming packets lost since the last look.
 */

export type ConnectionQuality = "unknown" | "good" | "fair" | "poor";

export interface QualitySample {
  roundTripMs: number | null;
  /** Lost packets as a share of expected ones (0 to 1) since the previous sample. */
  lossRatio: number | null;
}

const pollIntervalMs = 2_000;

/** The bands a person feels: under 150 ms and 2 % loss is a clean call; past 400 ms or 8 % it breaks up. */
export function rateQuality({ roundTripMs, lossRatio }: QualitySample): ConnectionQuality {
  if (roundTripMs === null && lossRatio === null) return "unknown";
  const rtt = roundTripMs ?? 0;
  const loss = lossRatio ?? 0;
  if (rtt > 400 || loss > 0.08) return "poor";
  if (rtt > 150 || loss > 0.02) return "fair";
  return "good";
}

interface PacketTotals {
  lost: number;
  received: number;
}

/** One reading of the stats report; `previous` totals turn the loss counters into a rate. */
export function sampleStats(report: RTCStatsReport, previous: PacketTotals | null): { sample: QualitySample; totals: PacketTotals } {
  let roundTripMs: number | null = null;
  const totals: PacketTotals = { lost: 0, received: 0 };
  report.forEach((stat: RTCStats & Record<string, unknown>) => {
    if (stat.type === "candidate-pair" && stat.nominated === true && stat.state === "succeeded") {
      const rtt = stat.currentRoundTripTime;
      if (typeof rtt === "number") roundTripMs = Math.round(rtt * 1_000);
    } else if (stat.type === "inbound-rtp") {
      if (typeof stat.packetsLost === "number") totals.lost += Math.max(0, stat.packetsLost);
      if (typeof stat.packetsReceived === "number") totals.received += stat.packetsReceived;
    }
  });
  let lossRatio: number | null = null;
  if (previous) {
    const lost = totals.lost - previous.lost;
    const expected = lost + (totals.received - previous.received);
    if (expected > 0) lossRatio = Math.max(0, lost) / expected;
  }
  return { sample: { roundTripMs, lossRatio }, totals };
}

/** Rates the connection every two seconds until the returned function is called. */
export function pollConnectionQuality(pc: RTCPeerConnection, onQuality: (quality: ConnectionQuality, sample: QualitySample) => void): () => void {
  let previous: PacketTotals | null = null;
  let stopped = false;
  const timer = setInterval(() => {
    if (pc.connectionState !== "connected") return;
    pc.getStats().then(
      (report) => {
        if (stopped) return;
        const { sample, totals } = sampleStats(report, previous);
        previous = totals;
        onQuality(rateQuality(sample), sample);
      },
      () => undefined,
    );
  }, pollIntervalMs);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
