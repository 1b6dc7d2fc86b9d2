/**
 * One WebRTC connection to one other participant's device, negotiated with the "perfect
 * negotiation" pattern: either side may renegotiate at any time (an ICE restart, a camera
 * turned on in a voice call) and when both offer at once the polite side yields. Who offers
 * first is fixed by the caller of this class (`offerer`): the participant already in the call
 * offers to the one who joins, so a fresh call has no collision at all.
 */
import { callSignalMaxCandidates } from "@parley/db/limits";

import { pollConnectionQuality, type ConnectionQuality } from "./connection-quality";

/** An SDP description or a batch of trickled ICE candidates for one peer. */
export interface LinkSignal {
  description?: RTCSessionDescriptionInit;
  /** Candidates gathered since the last batch; `complete` marks the end of this gathering. */
  candidates?: { candidates: RTCIceCandidateInit[]; complete: boolean };
}

export interface LinkStatus {
  connectionState: RTCPeerConnectionState;
  /** Lost the path and trying again (ICE restart) after it had connected. */
  reconnecting: boolean;
  quality: ConnectionQuality;
  /** `readyState` of the newest remote track of each kind, or null before one arrives. */
  audioTrack: MediaStreamTrackState | null;
  videoTrack: MediaStreamTrackState | null;
  /** The remote camera sends no frames (turned off, or no camera). */
  videoMuted: boolean;
}

export interface PeerLinkOptions {
  iceServers: RTCIceServer[];
  /** Whether this side makes the first offer. */
  offerer: boolean;
  /** Whether this side yields when both offer at once; the two sides must disagree. */
  polite: boolean;
  /** The local tracks to send, with the stream they belong to. */
  localTracks: () => Array<{ track: MediaStreamTrack; stream: MediaStream }>;
  send: (signal: LinkSignal) => Promise<void>;
  onChange: () => void;
}

/** Candidates trickle in bursts; sending them together keeps it to a few requests per gathering. */
const candidateBatchDelayMs = 150;
/** A path that drops for this long gets an ICE restart even before the browser calls it failed. */
const disconnectedGraceMs = 2_500;
const retryRestartAfterMs = 3_000;

export class PeerLink {
  readonly remoteStream = new MediaStream();
  private readonly pc: RTCPeerConnection;
  private readonly options: PeerLinkOptions;
  private status: LinkStatus;
  private makingOffer = false;
  private ignoreOffer = false;
  private settingRemoteAnswer = false;
  private tracksAdded = false;
  private everConnected = false;
  private closed = false;
  private incoming: Promise<void> = Promise.resolve();
  private outgoing: Promise<void> = Promise.resolve();
  private pendingCandidates: RTCIceCandidateInit[] = [];
  private remoteCandidatesBeforeDescription: Array<RTCIceCandidateInit | null> = [];
  private candidateTimer: ReturnType<typeof setTimeout> | null = null;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly stopQuality: () => void;
  /** What sends each kind; kept here because a sender whose track was replaced by none has no kind left. */
  private readonly senders = new Map<"audio" | "video", RTCRtpSender>();

  constructor(options: PeerLinkOptions) {
    this.options = options;
    this.pc = new RTCPeerConnection({ iceServers: options.iceServers, bundlePolicy: "max-bundle" });
    this.status = { connectionState: "new", reconnecting: false, quality: "unknown", audioTrack: null, videoTrack: null, videoMuted: false };
    this.pc.onnegotiationneeded = () => void this.offer();
    this.pc.onicecandidate = ({ candidate }) => this.queueCandidate(candidate);
    this.pc.ontrack = ({ track }) => this.addRemoteTrack(track);
    this.pc.onconnectionstatechange = () => this.onConnectionState();
    this.pc.oniceconnectionstatechange = () => this.onIceState();
    this.stopQuality = pollConnectionQuality(this.pc, (quality) => this.setStatus({ quality }));
    if (options.offerer) this.addLocalTracks();
  }

  get connection(): RTCPeerConnection {
    return this.pc;
  }

  getStatus(): LinkStatus {
    return this.status;
  }

  /** Applies what the other side sent, one signal at a time and in the order received. */
  receive(signal: LinkSignal): Promise<void> {
    this.incoming = this.incoming.then(() => this.apply(signal)).catch(() => {
      // A signal that no longer applies (a stale offer after a collision) changes nothing.
    });
    return this.incoming;
  }

  /** Finds a new path (a network change, a dropped connection): a fresh offer with new ICE credentials. */
  restartIce(): void {
    if (this.closed) return;
    this.clearRestartTimer();
    if (this.everConnected) this.setStatus({ reconnecting: true });
    this.pc.restartIce();
  }

  /** Sends `track` (or nothing) in place of what is sent for that kind, adding a sender if none exists. */
  async replaceTrack(kind: "audio" | "video", track: MediaStreamTrack | null, stream: MediaStream): Promise<void> {
    if (this.closed || !this.tracksAdded) return;
    const sender = this.senders.get(kind);
    if (sender) {
      await sender.replaceTrack(track);
      return;
    }
    // A voice call turning its camera on: a new track needs a new m-line, so a renegotiation.
    if (track) this.senders.set(kind, this.pc.addTrack(track, stream));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearRestartTimer();
    if (this.candidateTimer) clearTimeout(this.candidateTimer);
    this.stopQuality();
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.oniceconnectionstatechange = null;
    this.pc.close();
    for (const track of this.remoteStream.getTracks()) {
      track.stop();
      this.remoteStream.removeTrack(track);
    }
  }

  private addLocalTracks(): void {
    if (this.tracksAdded) return;
    this.tracksAdded = true;
    for (const { track, stream } of this.options.localTracks()) {
      this.senders.set(track.kind === "video" ? "video" : "audio", this.pc.addTrack(track, stream));
    }
  }

  private async offer(): Promise<void> {
    if (this.closed) return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      if (this.pc.localDescription) await this.sendInOrder({ description: this.pc.localDescription.toJSON() as RTCSessionDescriptionInit });
    } catch {
      // Not reachable now: try again while the connection is not up.
      this.scheduleRestart(retryRestartAfterMs);
    } finally {
      this.makingOffer = false;
    }
  }

  private async apply(signal: LinkSignal): Promise<void> {
    if (this.closed) return;
    const { description, candidates } = signal;
    if (description) {
      const readyForOffer = !this.makingOffer && (this.pc.signalingState === "stable" || this.settingRemoteAnswer);
      const collision = description.type === "offer" && !readyForOffer;
      this.ignoreOffer = !this.options.polite && collision;
      if (this.ignoreOffer) return;
      this.settingRemoteAnswer = description.type === "answer";
      await this.pc.setRemoteDescription(description);
      this.settingRemoteAnswer = false;
      if (description.type === "offer") {
        // The answering side adds its tracks now, so they ride on the offered m-lines.
        this.addLocalTracks();
        await this.pc.setLocalDescription();
        if (this.pc.localDescription) await this.sendInOrder({ description: this.pc.localDescription.toJSON() as RTCSessionDescriptionInit });
      }
      const early = this.remoteCandidatesBeforeDescription.splice(0);
      for (const candidate of early) await this.addRemoteCandidate(candidate);
    }
    if (candidates) {
      const all: Array<RTCIceCandidateInit | null> = [...candidates.candidates, ...(candidates.complete ? [null] : [])];
      for (const candidate of all) {
        if (!this.pc.remoteDescription) this.remoteCandidatesBeforeDescription.push(candidate);
        else await this.addRemoteCandidate(candidate);
      }
    }
  }

  private async addRemoteCandidate(candidate: RTCIceCandidateInit | null): Promise<void> {
    try {
      // No argument: the end of the other side's candidates.
      if (candidate) await this.pc.addIceCandidate(candidate);
      else await this.pc.addIceCandidate();
    } catch (error) {
      if (!this.ignoreOffer) throw error;
    }
  }

  private queueCandidate(candidate: RTCIceCandidate | null): void {
    if (this.closed) return;
    if (candidate && candidate.candidate !== "") this.pendingCandidates.push(candidate.toJSON());
    const complete = candidate === null;
    if (complete) {
      this.flushCandidates(true);
      return;
    }
    this.candidateTimer ??= setTimeout(() => this.flushCandidates(false), candidateBatchDelayMs);
  }

  private flushCandidates(complete: boolean): void {
    if (this.candidateTimer) clearTimeout(this.candidateTimer);
    this.candidateTimer = null;
    const pending = this.pendingCandidates.splice(0);
    if (pending.length === 0 && !complete) return;
    // The server takes a bounded batch per signal; the end marker rides on the last one.
    const batches: RTCIceCandidateInit[][] = [];
    for (let start = 0; start < pending.length; start += callSignalMaxCandidates) batches.push(pending.slice(start, start + callSignalMaxCandidates));
    if (batches.length === 0) batches.push([]);
    batches.forEach((batch, index) => {
      const last = index === batches.length - 1;
      void this.sendInOrder({ candidates: { candidates: batch, complete: complete && last } }).catch(() => {
        // Lost candidates are recovered by the ICE restart a failed connection triggers.
      });
    });
  }

  /** Outgoing signals keep their order: a description always reaches the peer before its candidates. */
  private sendInOrder(signal: LinkSignal): Promise<void> {
    const sent = this.outgoing.then(() => (this.closed ? undefined : this.options.send(signal)));
    this.outgoing = sent.catch(() => undefined);
    return sent;
  }

  private addRemoteTrack(track: MediaStreamTrack): void {
    for (const existing of this.remoteStream.getTracks()) {
      if (existing.kind === track.kind && existing !== track) this.remoteStream.removeTrack(existing);
    }
    if (!this.remoteStream.getTracks().includes(track)) this.remoteStream.addTrack(track);
    const refresh = () => this.refreshTracks();
    track.onended = refresh;
    track.onmute = refresh;
    track.onunmute = refresh;
    this.refreshTracks();
  }

  private refreshTracks(): void {
    const audio = this.remoteStream.getAudioTracks()[0];
    const video = this.remoteStream.getVideoTracks()[0];
    this.setStatus({
      audioTrack: audio?.readyState ?? null,
      videoTrack: video?.readyState ?? null,
      videoMuted: !video || video.muted || video.readyState === "ended",
    });
  }

  private onConnectionState(): void {
    const connectionState = this.pc.connectionState;
    if (connectionState === "connected") {
      this.everConnected = true;
      this.clearRestartTimer();
      this.setStatus({ connectionState, reconnecting: false });
      return;
    }
    this.setStatus({ connectionState });
    if (connectionState === "failed") this.restartIce();
  }

  private onIceState(): void {
    const state = this.pc.iceConnectionState;
    if (state === "failed") this.restartIce();
    else if (state === "disconnected") {
      if (this.everConnected) this.setStatus({ reconnecting: true });
      this.scheduleRestart(disconnectedGraceMs);
    } else if (state === "connected" || state === "completed") {
      this.clearRestartTimer();
      this.setStatus({ reconnecting: false });
    }
  }

  private scheduleRestart(afterMs: number): void {
    if (this.closed || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      const ice = this.pc.iceConnectionState;
      if (ice !== "connected" && ice !== "completed") this.restartIce();
    }, afterMs);
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  private setStatus(change: Partial<LinkStatus>): void {
    const next = { ...this.status, ...change };
    const same = (Object.keys(next) as Array<keyof LinkStatus>).every((key) => next[key] === this.status[key]);
    if (same || this.closed) return;
    this.status = next;
    this.options.onChange();
  }
}
