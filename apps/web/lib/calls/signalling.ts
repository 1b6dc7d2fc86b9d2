/**
 * The calls API as the web app uses it: the SDK's `calls.*` procedures and the `call.*` events of
 * `events.stream`, with the wire form of a signal translated to and from what a PeerLink speaks.
 */
import type { AppRouter, CallEndReason as ServerEndReason, CallJoin, CallView, ParleyClient } from "@parley/client";
import type { inferRouterInputs } from "@trpc/server";

import type { ChatEvent } from "../api-types";
import type { CallMedia } from "./local-media";
import type { LinkSignal } from "./peer-link";

type RouterInputs = inferRouterInputs<AppRouter>;

export type CallEvent = Extract<ChatEvent, { type: `call.${string}` }>;
export type CallSignalEvent = Extract<CallEvent, { type: "call.signal" }>;
/** Every reason a call can stop on this device, including the ones addressed to this user alone. */
export type CallEndReason = ServerEndReason | "answered_elsewhere";
export type { CallView };

export function isCallEvent(event: ChatEvent): event is CallEvent {
  return event.type.startsWith("call.");
}

export interface JoinedCall {
  callId: string;
  call: CallView;
  iceServers: RTCIceServer[];
}

function joined(join: CallJoin): JoinedCall {
  return { callId: join.callId, call: join.call, iceServers: join.iceServers };
}

export class CallSignalling {
  constructor(private readonly client: ParleyClient) {}

  async start(conversationId: string, media: CallMedia): Promise<JoinedCall> {
    return joined(await this.client.api.calls.start.mutate({ conversationId, media }));
  }

  async answer(callId: string): Promise<JoinedCall> {
    return joined(await this.client.api.calls.answer.mutate({ callId }));
  }

  async decline(callId: string): Promise<void> {
    await this.client.api.calls.decline.mutate({ callId });
  }

  /** `failed`: this device could not keep a connection up. */
  async hangup(callId: string, reason: "hangup" | "failed" = "hangup"): Promise<void> {
    await this.client.api.calls.hangup.mutate({ callId, reason });
  }

  /** Leaves the call as the page goes away (closed, reloaded, navigated off), so the others are not left waiting. */
  hangupOnUnload(callId: string): void {
    // Sent here and now with `keepalive`, not through the SDK: its batching sends on a later
    // tick, which a closing page never reaches. Same procedure, same cookie, same input type.
    const input: RouterInputs["calls"]["hangup"] = { callId, reason: "hangup" };
    void fetch("/api/trpc/calls.hangup", {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-parley-session": "cookie" },
      body: JSON.stringify(input),
    }).catch(() => undefined);
  }

  /** Calls not over yet in the user's conversations: one may be ringing for a device that just opened. */
  current(): Promise<CallView[]> {
    return this.client.api.calls.current.query();
  }

  async send(callId: string, toUserId: string, signal: LinkSignal): Promise<void> {
    const description = signal.description;
    await this.client.api.calls.signal.mutate({
      callId,
      toUserId,
      description: description?.type && description.sdp !== undefined ? { type: description.type, sdp: description.sdp } : undefined,
      candidates: (signal.candidates?.candidates ?? []).map((candidate) => ({
        candidate: candidate.candidate ?? "",
        sdpMid: candidate.sdpMid ?? null,
        sdpMLineIndex: candidate.sdpMLineIndex ?? null,
        usernameFragment: candidate.usernameFragment ?? null,
      })),
      endOfCandidates: signal.candidates?.complete ?? false,
    });
  }
}

/** A `call.signal` event as the PeerLink for its sender applies it. */
export function linkSignalOf(event: CallSignalEvent): LinkSignal {
  const hasCandidates = event.candidates.length > 0 || event.endOfCandidates;
  return {
    description: event.description ?? undefined,
    candidates: hasCandidates ? { candidates: event.candidates, complete: event.endOfCandidates } : undefined,
  };
}
