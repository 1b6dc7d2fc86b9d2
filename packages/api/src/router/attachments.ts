import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { mediaMaxDurationMs, waveformMaxSamples } from "@parley/db/limits";

import { completeUpload, createSticker, createUpload } from "../domain/attachments";
import { protectedProcedure } from "../trpc";

const byAttachment = z.object({ attachmentId: z.uuid() });

export const attachmentsRouter = {
  /**
   * Starts an upload to a conversation you are a member of: send the bytes where `upload` says
   * (a PUT body, or a POST form with `fields` then the file), then call `complete`.
   */
  createUpload: protectedProcedure
    .input(
      z.object({
        conversationId: z.uuid(),
        name: z.string().min(1).max(1_000),
        size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
        contentType: z
          .string()
          .max(255)
          .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/, "contentType must be a media type such as image/png"),
      }),
    )
    .mutation(({ ctx, input }) => createUpload(ctx.services, { userId: ctx.user.id, ...input })),

  /**
   * Checks the uploaded bytes (size, sniffed type, image decoding) and makes the attachment
   * sendable; answers with how it will be shown. The device may add what it measured of a
   * recording, used when the server cannot measure it itself.
   */
  complete: protectedProcedure
    .input(
      byAttachment.extend({
        durationMs: z.number().int().min(1).max(mediaMaxDurationMs).optional(),
        waveform: z.array(z.number().int().min(0).max(255)).min(1).max(waveformMaxSamples).optional(),
        width: z.number().int().min(1).max(16_384).optional(),
        height: z.number().int().min(1).max(16_384).optional(),
      }),
    )
    .mutation(({ ctx, input }) => {
      const { attachmentId, ...metadata } = input;
      return completeUpload(ctx.services, { userId: ctx.user.id, attachmentId, metadata });
    }),

  /** A sticker from `stickers.list`, ready to send to this conversation as a `sticker` message. */
  createSticker: protectedProcedure
    .input(z.object({ conversationId: z.uuid(), stickerId: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => createSticker(ctx.services, { userId: ctx.user.id, ...input })),
} satisfies TRPCRouterRecord;
