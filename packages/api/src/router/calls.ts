import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  callCandidateFieldMaxCharacters,
  callCandidateMaxCharacters,
  callSdpMaxCharacters,
  callSignalMaxCandidates,
} from "@parley/db/limits";

import { answerCall, declineCall, hangUpCall, listCurrentCalls, sendCallSignal, startCall } from "../domain/calls";
import { protectedProcedure } from "../trpc";

const byCall = z.object({ callId: z.uuid() });

const sessionDescription = z.object({
  type: z.enum(["offer", "answer", "pranswer", "rollback"]),
  sdp: z.string().max(callSdpMaxCharacters, `An SDP description can be at most ${callSdpMaxCharacters} characters`),
});

const iceCandidate = z.object({
  candidate: z.string().max(callCandidateMaxCharacters, `An ICE candidate can be at most ${callCandidateMaxCharacters} characters`),
  sdpMid: z.string().max(callCandidateFieldMaxCharacters).nullable().default(null),
  sdpMLineIndex: z.number().int().min(0).max(255).nullable().default(null),
  usernameFragment: z.string().max(callCandidateFieldMaxCharacters).nullable().default(null),
});

export const callsRouter = {
  /** Rings the conversation's other members from this device; returns the call and its ICE servers. */
  start: protectedProcedure
    .input(z.object({ conversationId: z.uuid(), media: z.enum(["audio", "video"]) }))
    .mutation(({ ctx, input }) => startCall(ctx.services, { userId: ctx.user.id, sessionId: ctx.session.id, ...input })),

  /** Answers (or joins a group call) on this device, which becomes the call's device for the caller. */
  answer: protectedProcedure
    .input(byCall)
    .mutation(({ ctx, input }) => answerCall(ctx.services, { userId: ctx.user.id, sessionId: ctx.session.id, ...input })),

  decline: protectedProcedure.input(byCall).mutation(({ ctx, input }) => declineCall(ctx.services, { userId: ctx.user.id, ...input })),

  /** Leaves the call; `failed` when this device could not connect. */
  hangup: protectedProcedure
    .input(byCall.extend({ reason: z.enum(["hangup", "failed"]).default("hangup") }))
    .mutation(({ ctx, input }) => hangUpCall(ctx.services, { userId: ctx.user.id, ...input })),

  /**
   * SDP and a batch of ICE candidates for one other participant's call device (`toUserId`, which
   * a two-person call may leave out). `endOfCandidates` says gathering is complete.
   */
  signal: protectedProcedure
    .input(
      byCall
        .extend({
          toUserId: z.uuid().optional(),
          description: sessionDescription.optional(),
          candidates: z
            .array(iceCandidate)
            .max(callSignalMaxCandidates, `Send at most ${callSignalMaxCandidates} ICE candidates in one signal`)
            .default([]),
          endOfCandidates: z.boolean().default(false),
        })
        .refine((input) => input.description !== undefined || input.candidates.length > 0 || input.endOfCandidates, {
          error: "A signal needs a description, candidates or endOfCandidates",
        }),
    )
    .mutation(({ ctx, input }) =>
      sendCallSignal(ctx.services, {
        userId: ctx.user.id,
        sessionId: ctx.session.id,
        callId: input.callId,
        toUserId: input.toUserId,
        signal: { description: input.description ?? null, candidates: input.candidates, endOfCandidates: input.endOfCandidates },
      }),
    ),

  /** Calls not yet over in the caller's conversations, for a device that opens mid-ring or mid-call. */
  current: protectedProcedure.query(({ ctx }) => listCurrentCalls(ctx.services, { userId: ctx.user.id })),
} satisfies TRPCRouterRecord;
