import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  listMutes,
  muteDurations,
  readNotificationSettings,
  reportViewing,
  setMute,
  updateNotificationSettings,
} from "../domain/notifications";
import { protectedProcedure } from "../trpc";

export const notificationsRouter = {
  settings: protectedProcedure.query(({ ctx }) => readNotificationSettings(ctx.services, ctx.user.id)),

  updateSettings: protectedProcedure
    .input(z.object({ previews: z.boolean() }))
    .mutation(({ ctx, input }) => updateNotificationSettings(ctx.services, { userId: ctx.user.id, previews: input.previews })),

  /** The caller's conversations muted now. */
  mutes: protectedProcedure.query(({ ctx }) => listMutes(ctx.services, ctx.user.id)),

  /** "1h", "8h", "1w": mentions still notify. "forever": silent until unmuted. */
  mute: protectedProcedure
    .input(z.object({ conversationId: z.uuid(), duration: z.enum(muteDurations, { error: `duration must be one of ${muteDurations.join(", ")}` }) }))
    .mutation(({ ctx, input }) => setMute(ctx.services, { userId: ctx.user.id, conversationId: input.conversationId, duration: input.duration })),

  unmute: protectedProcedure
    .input(z.object({ conversationId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      await setMute(ctx.services, { userId: ctx.user.id, conversationId: input.conversationId, duration: null });
      return { muted: false };
    }),

  /**
   * This device shows the conversation in a visible, focused window (null: none). Repeat it
   * every 20 s while that holds; a report lapses after a minute. Push skips members who would
   * see a message on screen.
   */
  viewing: protectedProcedure
    .input(z.object({ conversationId: z.uuid().nullable() }))
    .mutation(async ({ ctx, input }) => {
      await reportViewing(ctx.services, { userId: ctx.user.id, sessionId: ctx.session.id, conversationId: input.conversationId });
      return { ok: true };
    }),
} satisfies TRPCRouterRecord;
