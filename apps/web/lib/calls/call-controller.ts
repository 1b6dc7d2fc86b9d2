/**
 * This device's side of a call: the phase it is in (ringing out, ringing in, in the call, just
 * ended), the local microphone, camera and screen, and one PeerLink per other participant (a
 * mesh, for groups of up to four). It follows the `call.*` events the chat store hands it and
 * releases every track and connection on every way a call can end.
 */
import type { ParleyClient } from "@parley/client";

import { describeProblem } from "../api-errors";
import { canShareScreen, listCameras, MediaAccessError, openCamera, openLocalMedia, openScreen, stopStream, type CallMedia } from "./local-media";
import { PeerLink, type LinkStatus } from "./peer-link";
import { Ringtone } from "./ringtone";
import { CallSignalling, linkSignalOf, type CallEndReason, type CallEvent, type CallView } from "./signalling";

export type CallPhase = "idle" | "outgoing" | "incoming" | "active" | "ended";

/** Why the call screen closed, for the person to read. */
export type CallEnding =
  | { kind: "reason"; reason: CallEndReason }
  /** This device could not take part: a refused microphone, an unreachable server. */
  | { kind: "problem"; message: string }
  | { kind: "connection-lost" };

export interface CallParticipant {
  userId: string;
  stream: MediaStream;
  status: LinkStatus;
}

export interface CallSnapshot {
  phase: CallPhase;
  callId: string | null;
  conversationId: string | null;
  media: CallMedia;
  /** Who rang: the signed-in user for an outgoing call. */
  callerId: string | null;
  /** Getting the microphone or camera, or waiting for the server, before anything rings. */
  preparing: boolean;
  /** When the first connection came up, for the call timer (ms since the epoch). */
  connectedAt: number | null;
  /** When the call ended on this device, for how long it lasted. */
  endedAt: number | null;
  localStream: MediaStream | null;
  micMuted: boolean;
  cameraOn: boolean;
  screenSharing: boolean;
  canSwitchCamera: boolean;
  canShareScreen: boolean;
  participants: CallParticipant[];
  ending: CallEnding | null;
  /** A problem that did not end the call (the camera could not start, the screen could not be shared). */
  problem: string | null;
}

const idle: CallSnapshot = {
  phase: "idle",
  callId: null,
  conversationId: null,
  media: "audio",
  callerId: null,
  preparing: false,
  connectedAt: null,
  endedAt: null,
  localStream: null,
  micMuted: false,
  cameraOn: false,
  screenSharing: false,
  canSwitchCamera: false,
  canShareScreen: false,
  participants: [],
  ending: null,
  problem: null,
};

/** An ended call stays on screen this long, so the reason can be read. */
const endedVisibleMs = 4_000;
/** A call whose every connection has been trying to come back this long is over. */
const reconnectGiveUpMs = 30_000;
/** Ringing stops this long after the server's deadline if no `call.ended` came. */
const ringDeadlineGraceMs = 2_000;
/** Early signals are replayed only if their call is adopted within this long. */
const earlyEventLifetimeMs = 10_000;
const earlyEventsKept = 64;

export interface CallControllerOptions {
  client: ParleyClient;
  meId: () => string;
}

export class CallController {
  private readonly signalling: CallSignalling;
  private readonly meId: () => string;
  private snapshot: CallSnapshot = idle;
  private readonly listeners = new Set<() => void>();
  private readonly links = new Map<string, PeerLink>();
  private readonly ringtone = new Ringtone();
  private iceServers: RTCIceServer[] = [];
  private localStream: MediaStream | null = null;
  private cameraTrack: MediaStreamTrack | null = null;
  private screenTrack: MediaStreamTrack | null = null;
  private cameraDeviceId: string | null = null;
  /** Set while this device is answering, so its own `call.accepted` is not taken for another device's. */
  private answering = false;
  /** Offers and other joiners that reach this device while its answer is still on the way to the server. */
  private heardWhileAnswering: CallEvent[] = [];
  private endedTimer: ReturnType<typeof setTimeout> | null = null;
  private ringTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Signals and joins for a call this device does not know yet: they can overtake the answer to
   * `calls.start`, or the `call.ended` that hands this device the call that replaced its own.
   */
  private earlyEvents: Array<{ heardAt: number; event: CallEvent }> = [];
  private giveUpTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly detachPage: () => void;

  constructor(options: CallControllerOptions) {
    this.signalling = new CallSignalling(options.client);
    this.meId = options.meId;
    this.detachPage = this.watchPage();
  }

  getSnapshot = (): CallSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /* Starting and answering */

  async start(conversationId: string, media: CallMedia): Promise<void> {
    if (this.busy()) return;
    this.reset();
    this.set({ ...idle, phase: "outgoing", conversationId, media, callerId: this.meId(), preparing: true, canShareScreen: canShareScreen() });
    try {
      await this.openMedia(media);
    } catch (error) {
      // Hung up while the browser was still asking for the microphone: nothing more to say.
      if (this.snapshot.phase !== "outgoing") return;
      this.finish({ kind: "problem", message: error instanceof MediaAccessError ? error.message : "Your microphone couldn’t be started." });
      return;
    }
    if (this.snapshot.phase !== "outgoing") return;
    try {
      const started = await this.signalling.start(conversationId, media);
      if (this.snapshot.phase !== "outgoing") {
        // Hung up while the server was starting it.
        void this.signalling.hangup(started.callId).catch(() => undefined);
        return;
      }
      this.iceServers = started.iceServers;
      const { call } = started;
      if (call.state === "ended") {
        // The other side is in another call: the server ends it at once as busy.
        this.set({ callId: call.id });
        this.finish({ kind: "reason", reason: call.endReason ?? "hangup" });
        return;
      }
      // Both called at once and this start joined the other side's call, or replaced it: connected already.
      const connected = call.state === "active";
      this.set({ callId: call.id, preparing: false, phase: connected ? "active" : "outgoing" });
      if (!connected) this.ringtone.start("ringback");
      this.replayEarlyEvents();
    } catch (error) {
      this.finish({ kind: "problem", message: describeProblem(error).message });
    }
  }

  async accept(media: CallMedia): Promise<void> {
    const { phase, callId } = this.snapshot;
    if (phase !== "incoming" || !callId || this.snapshot.preparing) return;
    this.ringtone.stop();
    this.answering = true;
    this.set({ preparing: true, problem: null, media });
    try {
      await this.openMedia(media);
    } catch (error) {
      this.answering = false;
      if (this.snapshot.callId !== callId || this.snapshot.phase !== "incoming") return;
      // Still ringing: the person may answer with voice only, or decline.
      this.set({ preparing: false, problem: error instanceof MediaAccessError ? error.message : "Your microphone couldn’t be started." });
      return;
    }
    if (this.snapshot.callId !== callId) return;
    try {
      const answered = await this.signalling.answer(callId);
      if (this.snapshot.callId !== callId) return;
      this.iceServers = answered.iceServers;
      // The participants already in the call offer to this device (see PeerLink).
      this.set({ phase: "active", preparing: false });
      for (const heard of this.heardWhileAnswering.splice(0)) this.handleEvent(heard);
    } catch (error) {
      this.finish({ kind: "problem", message: describeProblem(error).message });
    } finally {
      this.answering = false;
    }
  }

  decline(): void {
    const { phase, callId } = this.snapshot;
    if (phase !== "incoming" || !callId) return;
    void this.signalling.decline(callId).catch(() => undefined);
    this.close();
  }

  hangUp(): void {
    const { phase, callId } = this.snapshot;
    if (phase !== "outgoing" && phase !== "active") return;
    if (callId) void this.signalling.hangup(callId).catch(() => undefined);
    this.finish({ kind: "reason", reason: "hangup" });
  }

  /** Closes the ended-call screen before it goes by itself. */
  dismiss(): void {
    if (this.snapshot.phase !== "ended") return;
    this.close();
  }

  /* In the call */

  toggleMute(): void {
    const muted = !this.snapshot.micMuted;
    for (const track of this.localStream?.getAudioTracks() ?? []) track.enabled = !muted;
    this.set({ micMuted: muted });
  }

  /** Turns the camera off (releasing it, so its light goes out) or on (adding video to a voice call). */
  async toggleCamera(): Promise<void> {
    if (this.snapshot.cameraOn) {
      this.cameraTrack?.stop();
      if (this.cameraTrack) this.localStream?.removeTrack(this.cameraTrack);
      this.cameraTrack = null;
      if (!this.screenTrack) await this.sendVideo(null);
      this.set({ cameraOn: false, localStream: this.refreshedLocalStream() });
      return;
    }
    try {
      const track = await openCamera(this.cameraDeviceId ?? undefined);
      if (!this.stillInCall()) {
        track.stop();
        return;
      }
      this.useCameraTrack(track);
      if (!this.screenTrack) await this.sendVideo(track);
      this.set({ cameraOn: true, problem: null, canSwitchCamera: (await listCameras()).length > 1 });
    } catch (error) {
      this.set({ problem: error instanceof MediaAccessError ? error.message : "Your camera couldn’t be started." });
    }
  }

  /** Moves to the next camera the browser lists (front and back on a phone). */
  async switchCamera(): Promise<void> {
    if (!this.snapshot.cameraOn) return;
    const cameras = await listCameras();
    if (cameras.length < 2) return;
    const currentId = this.cameraTrack?.getSettings().deviceId ?? this.cameraDeviceId;
    const index = cameras.findIndex((camera) => camera.deviceId === currentId);
    const next = cameras[(index + 1) % cameras.length];
    if (!next) return;
    try {
      // One camera at a time: many phones cannot open the second while the first runs.
      this.cameraTrack?.stop();
      const track = await openCamera(next.deviceId);
      if (!this.stillInCall()) {
        track.stop();
        return;
      }
      this.useCameraTrack(track);
      if (!this.screenTrack) await this.sendVideo(track);
      this.set({ problem: null });
    } catch (error) {
      // The old camera is already closed: show the camera as off rather than a frozen picture.
      if (this.cameraTrack) this.localStream?.removeTrack(this.cameraTrack);
      this.cameraTrack = null;
      if (!this.screenTrack) await this.sendVideo(null);
      this.set({ cameraOn: false, localStream: this.refreshedLocalStream(), problem: error instanceof MediaAccessError ? error.message : "That camera couldn’t be started." });
    }
  }

  /** Shares a screen in place of the camera; stopping (here or in the browser's bar) brings the camera back. */
  async toggleScreenShare(): Promise<void> {
    if (this.screenTrack) {
      this.stopScreenShare();
      return;
    }
    try {
      const track = await openScreen();
      if (!track) return;
      if (!this.stillInCall()) {
        track.stop();
        return;
      }
      this.screenTrack = track;
      track.onended = () => this.stopScreenShare();
      await this.sendVideo(track);
      this.set({ screenSharing: true, problem: null });
    } catch (error) {
      this.set({ problem: error instanceof MediaAccessError ? error.message : "Your screen couldn’t be shared." });
    }
  }

  private stopScreenShare(): void {
    const track = this.screenTrack;
    if (!track) return;
    this.screenTrack = null;
    track.onended = null;
    track.stop();
    void this.sendVideo(this.cameraTrack);
    this.set({ screenSharing: false });
  }

  /* Events from the stream */

  handleEvent(event: CallEvent): void {
    const meId = this.meId();
    const { callId, phase } = this.snapshot;
    switch (event.type) {
      case "call.ringing": {
        const call = event.call;
        if (call.id === callId || call.state !== "ringing") return;
        // This user's own call from another device.
        if (call.initiatorId === meId) return;
        // A second call while in one: the server answers it busy.
        if (this.busy()) return;
        this.ring(call);
        return;
      }
      case "call.accepted": {
        if (event.callId !== callId) {
          this.keepEarly(event);
          return;
        }
        if (event.userId === meId) {
          // Answered on another of this user's devices: this one stops ringing.
          if (phase === "incoming" && !this.answering) this.close();
          return;
        }
        if (phase === "incoming" && this.answering) {
          // Someone else joined as this device answers: it offers to them once it is in.
          this.heardWhileAnswering.push(event);
          return;
        }
        if (phase === "outgoing") {
          this.ringtone.stop();
          this.set({ phase: "active" });
        }
        // Whoever is in the call offers to whoever joins.
        if (this.snapshot.phase === "active") this.linkTo(event.userId, true);
        return;
      }
      case "call.signal": {
        if (event.callId !== callId) {
          this.keepEarly(event);
          return;
        }
        if (phase === "incoming" && this.answering) {
          this.heardWhileAnswering.push(event);
          return;
        }
        if (phase !== "active") return;
        const link = this.links.get(event.fromUserId) ?? this.linkTo(event.fromUserId, false);
        void link.receive(linkSignalOf(event));
        return;
      }
      case "call.left": {
        if (event.callId !== callId) return;
        this.unlink(event.userId);
        return;
      }
      case "call.ended": {
        if (event.callId !== callId) {
          // Both called at once: the end of this device's own call, replaced by the other side's,
          // can overtake the answer to `calls.start` that names it.
          this.keepEarly(event);
          return;
        }
        if (phase === "ended" || phase === "idle") return;
        if (event.reason === "replaced" && "replacedBy" in event && event.replacedBy && phase === "outgoing") {
          // Both called at once and the other side's call won: the server has joined this device to it.
          this.ringtone.stop();
          this.set({ callId: event.replacedBy, phase: "active", preparing: false });
          this.replayEarlyEvents();
          return;
        }
        if (phase === "incoming" && event.reason !== "failed") {
          // Answered elsewhere, declined elsewhere, or the caller gave up: nothing to read beyond the timeline's record.
          this.close();
          return;
        }
        this.finish({ kind: "reason", reason: event.reason });
        return;
      }
      default:
        return;
    }
  }

  /** After a page load: a call that is ringing for this user rings here too. */
  async resume(): Promise<void> {
    if (this.busy()) return;
    let current: CallView[];
    try {
      current = await this.signalling.current();
    } catch {
      return;
    }
    const meId = this.meId();
    const ringing = current.find(
      (call) =>
        call.state === "ringing" &&
        call.initiatorId !== meId &&
        call.participants.some((participant) => participant.userId === meId && participant.state === "invited"),
    );
    if (ringing && !this.busy()) this.ring(ringing);
  }

  private ring(call: CallView): void {
    this.reset();
    this.set({ ...idle, phase: "incoming", callId: call.id, conversationId: call.conversationId, media: call.media, callerId: call.initiatorId, canShareScreen: canShareScreen() });
    this.ringtone.start("incoming");
    // The server ends a call that rings out; this stops the ringing even if that news never arrives.
    const ringsForMs = Date.parse(call.ringsUntil) - Date.now();
    this.ringTimer = setTimeout(() => {
      this.ringTimer = null;
      if (this.snapshot.phase === "incoming" && this.snapshot.callId === call.id && !this.answering) this.close();
    }, Math.max(0, ringsForMs) + ringDeadlineGraceMs);
  }

  private keepEarly(event: CallEvent): void {
    if (!this.busy()) return;
    const now = Date.now();
    this.earlyEvents = this.earlyEvents.filter((early) => now - early.heardAt < earlyEventLifetimeMs).slice(-(earlyEventsKept - 1));
    this.earlyEvents.push({ heardAt: now, event });
  }

  /**
   * Hands over what was heard early for the call this device now has. The rest stays: when this
   * device's call was replaced, the replacing call's events wait for the `call.ended` that names it.
   */
  private replayEarlyEvents(): void {
    const callId = this.snapshot.callId;
    const isFor = ({ event }: { event: CallEvent }) => "callId" in event && event.callId === callId;
    const early = this.earlyEvents.filter(isFor);
    this.earlyEvents = this.earlyEvents.filter((heard) => !isFor(heard));
    for (const { event } of early) this.handleEvent(event);
  }

  /** Back to no call, with nothing to show. */
  private close(): void {
    this.reset();
    this.set(idle);
  }

  /** Ends everything when the app signs out or closes. */
  stop(): void {
    const { phase, callId } = this.snapshot;
    if (callId && (phase === "outgoing" || phase === "active")) void this.signalling.hangup(callId).catch(() => undefined);
    this.reset();
    this.detachPage();
    this.listeners.clear();
  }

  /* Internals */

  private busy(): boolean {
    const phase = this.snapshot.phase;
    return phase === "outgoing" || phase === "incoming" || phase === "active";
  }

  private stillInCall(): boolean {
    return this.snapshot.phase === "active" || this.snapshot.phase === "outgoing";
  }

  private async openMedia(media: CallMedia): Promise<void> {
    const stream = await openLocalMedia(media);
    if (!this.busy()) {
      stopStream(stream);
      throw new MediaAccessError("The call is over.");
    }
    this.localStream = stream;
    this.cameraTrack = stream.getVideoTracks()[0] ?? null;
    this.cameraDeviceId = this.cameraTrack?.getSettings().deviceId ?? null;
    const cameras = this.cameraTrack ? await listCameras() : [];
    this.set({ localStream: stream, cameraOn: this.cameraTrack !== null, micMuted: false, canSwitchCamera: cameras.length > 1 });
  }

  private useCameraTrack(track: MediaStreamTrack): void {
    const stream = this.localStream ?? new MediaStream();
    if (this.cameraTrack) stream.removeTrack(this.cameraTrack);
    stream.addTrack(track);
    this.localStream = stream;
    this.cameraTrack = track;
    this.cameraDeviceId = track.getSettings().deviceId ?? null;
    this.set({ localStream: this.refreshedLocalStream() });
  }

  /** A new MediaStream object around the same tracks, so the preview element sees the change. */
  private refreshedLocalStream(): MediaStream | null {
    if (!this.localStream) return null;
    this.localStream = new MediaStream(this.localStream.getTracks());
    return this.localStream;
  }

  private async sendVideo(track: MediaStreamTrack | null): Promise<void> {
    const stream = this.localStream ?? new MediaStream();
    await Promise.all([...this.links.values()].map((link) => link.replaceTrack("video", track, stream).catch(() => undefined)));
  }

  private linkTo(userId: string, offerer: boolean): PeerLink {
    const existing = this.links.get(userId);
    if (existing) return existing;
    const callId = this.snapshot.callId;
    const link = new PeerLink({
      iceServers: this.iceServers,
      offerer,
      // Ids differ, so exactly one side of each pair is polite.
      polite: this.meId() < userId,
      localTracks: () => {
        const stream = this.localStream;
        if (!stream) return [];
        const video = this.screenTrack ?? this.cameraTrack;
        return [...stream.getAudioTracks(), ...(video ? [video] : [])].map((track) => ({ track, stream }));
      },
      send: async (signal) => {
        if (callId) await this.signalling.send(callId, userId, signal);
      },
      onChange: () => this.refreshParticipants(),
    });
    this.links.set(userId, link);
    this.refreshParticipants();
    return link;
  }

  private unlink(userId: string): void {
    const link = this.links.get(userId);
    if (!link) return;
    link.close();
    this.links.delete(userId);
    this.refreshParticipants();
  }

  private refreshParticipants(): void {
    const participants = [...this.links.entries()].map(([userId, link]) => ({ userId, stream: link.remoteStream, status: link.getStatus() }));
    const connected = participants.some((participant) => participant.status.connectionState === "connected");
    const allReconnecting = participants.length > 0 && participants.every((participant) => participant.status.reconnecting);
    this.set({ participants, connectedAt: this.snapshot.connectedAt ?? (connected ? Date.now() : null) });
    if (allReconnecting && !this.giveUpTimer) {
      this.giveUpTimer = setTimeout(() => {
        this.giveUpTimer = null;
        if (this.snapshot.participants.every((participant) => participant.status.reconnecting)) {
          const callId = this.snapshot.callId;
          if (callId) void this.signalling.hangup(callId, "failed").catch(() => undefined);
          this.finish({ kind: "connection-lost" });
        }
      }, reconnectGiveUpMs);
    } else if (!allReconnecting && this.giveUpTimer) {
      clearTimeout(this.giveUpTimer);
      this.giveUpTimer = null;
    }
  }

  /** A new network (Wi-Fi to mobile, back online): every connection looks for a new path. */
  private watchPage(): () => void {
    if (typeof window === "undefined") return () => undefined;
    const restart = () => {
      for (const link of this.links.values()) link.restartIce();
    };
    // The page going away ends this device's part: a ringing call is left to ring on other devices.
    const leave = () => {
      const { phase, callId } = this.snapshot;
      if (callId && (phase === "outgoing" || phase === "active")) this.signalling.hangupOnUnload(callId);
      this.reset();
    };
    const connection = (navigator as Navigator & { connection?: EventTarget }).connection;
    window.addEventListener("online", restart);
    window.addEventListener("pagehide", leave);
    connection?.addEventListener("change", restart);
    return () => {
      window.removeEventListener("online", restart);
      window.removeEventListener("pagehide", leave);
      connection?.removeEventListener("change", restart);
    };
  }

  /** Releases everything and shows why the call ended. */
  private finish(ending: CallEnding): void {
    const { conversationId, callId, callerId, media, connectedAt } = this.snapshot;
    this.reset();
    this.set({ ...idle, phase: "ended", ending, conversationId, callId, callerId, media, connectedAt, endedAt: Date.now() });
    this.endedTimer = setTimeout(() => {
      this.endedTimer = null;
      if (this.snapshot.phase === "ended") this.set(idle);
    }, endedVisibleMs);
  }

  /** Every ending path comes through here: no track, connection, sound or timer outlives the call. */
  private reset(): void {
    this.ringtone.stop();
    for (const link of this.links.values()) link.close();
    this.links.clear();
    stopStream(this.localStream);
    this.cameraTrack?.stop();
    this.screenTrack?.stop();
    this.localStream = null;
    this.cameraTrack = null;
    this.screenTrack = null;
    this.answering = false;
    this.heardWhileAnswering = [];
    this.earlyEvents = [];
    this.iceServers = [];
    if (this.endedTimer) clearTimeout(this.endedTimer);
    if (this.ringTimer) clearTimeout(this.ringTimer);
    this.ringTimer = null;
    if (this.giveUpTimer) clearTimeout(this.giveUpTimer);
    this.endedTimer = null;
    this.giveUpTimer = null;
  }

  private set(change: Partial<CallSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener();
  }
}
