import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  attachmentsPerMessageMax,
  forwardMaxConversations,
  historyPageDefaultMessages,
  historyPageMaxMessages,
  messageBodyMaxCharacters,
  messageSearchDefaultResults,
  messageSearchMaxResults,
  messageSearchQueryMaxCharacters,
  reactionEmojiMaxCharacters,
} from "@parley/db/limits";

import {
  addReaction,
  deleteMessage,
  editMessage,
  forwardMessage,
  markRead,
  readHistory,
  removeReaction,
  sendMessage,
} from "../domain/messages";
import { searchMessages } from "../domain/search";
import { protectedProcedure } from "../trpc";

const maxSeq = 2_147_483_647;

/** Counted in code points, as Postgres's char_length counts them. */
const messageBody = z
  .string()
  .max(messageBodyMaxCharacters * 4, `A message can be at most ${messageBodyMaxCharacters} characters`)
  .trim()
  .min(1, "A message cannot be empty")
  .refine((body) => [...body].length <= messageBodyMaxCharacters, `A message can be at most ${messageBodyMaxCharacters} characters`)
  .refine((body) => !body.includes("\u0000"), "A message must not contain NUL (U+0000) characters");

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const emojiCharacter = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;

/** One emoji as people see it: a single grapheme (skin tones, ZWJ families and flags included). */
const emoji = z
  .string()
  .min(1)
  .max(reactionEmojiMaxCharacters, `An emoji can be at most ${reactionEmojiMaxCharacters} characters`)
  .refine((value) => {
    const segments = graphemes.segment(value)[Symbol.iterator]();
    const first = segments.next();
    return !first.done && segments.next().done === true && emojiCharacter.test(value);
  }, "A reaction must be a single emoji");

const byMessage = z.object({ messageId: z.uuid() });

export const messagesRouter = {
  /**
   * Idempotent per clientId: a retry returns the message stored by the first call, unchanged
   * even if the retry's body differs, and does not count against the send rate.
   */
  send: protectedProcedure
    .input(
      z
        .object({
          conversationId: z.uuid(),
          clientId: z.uuid(),
          /** Optional beside attachments, where it is the caption. */
          body: messageBody.optional(),
          replyToId: z.uuid().optional(),
          attachmentIds: z
            .array(z.uuid())
            .max(attachmentsPerMessageMax, `A message can carry at most ${attachmentsPerMessageMax} attachments`)
            .refine((ids) => new Set(ids).size === ids.length, "attachmentIds must not repeat an attachment")
            .optional(),
        })
        .refine((input) => input.body !== undefined || (input.attachmentIds?.length ?? 0) > 0, {
          path: ["body"],
          error: "A message cannot be empty",
        }),
    )
    .mutation(({ ctx, input }) => ctx.services.metrics.measureSend(() => sendMessage(ctx.services, { userId: ctx.user.id, ...input }))),

  /**
   * Newest first; pass `nextBeforeSeq` as `beforeSeq` for older messages. `aroundSeq` opens a
   * message in its context instead: it, the newer half of the page and older ones.
   */
  history: protectedProcedure
    .input(
      z
        .object({
          conversationId: z.uuid(),
          beforeSeq: z.number().int().min(1).max(maxSeq).optional(),
          aroundSeq: z.number().int().min(1).max(maxSeq).optional(),
          limit: z.number().int().min(1).max(historyPageMaxMessages).default(historyPageDefaultMessages),
        })
        .refine((input) => input.beforeSeq === undefined || input.aroundSeq === undefined, "Pass beforeSeq or aroundSeq, not both"),
    )
    .query(({ ctx, input }) => readHistory(ctx.services, { userId: ctx.user.id, ...input })),

  /**
   * Messages the caller can still read that match by word, word prefix or substring (for
   * Chinese, Japanese and Korean), newest first; pass `nextBeforeId` as `beforeId` for older ones.
   */
  search: protectedProcedure
    .input(
      z.object({
        query: z
          .string()
          .trim()
          .min(1, "A search needs some text")
          .max(messageSearchQueryMaxCharacters, `A search can be at most ${messageSearchQueryMaxCharacters} characters`)
          .refine((query) => !query.includes("\u0000"), "A search must not contain NUL (U+0000) characters"),
        conversationId: z.uuid().optional(),
        beforeId: z.uuid().optional(),
        limit: z.number().int().min(1).max(messageSearchMaxResults).default(messageSearchDefaultResults),
      }),
    )
    .query(({ ctx, input }) => searchMessages(ctx.services, { userId: ctx.user.id, ...input })),

  /** A copy of a message you can read, marked forwarded, in each conversation you can write to. */
  forward: protectedProcedure
    .input(byMessage.extend({ toConversationIds: z.array(z.uuid()).min(1).max(forwardMaxConversations) }))
    .mutation(({ ctx, input }) => forwardMessage(ctx.services, { userId: ctx.user.id, ...input })),

  edit: protectedProcedure
    .input(byMessage.extend({ body: messageBody }))
    .mutation(({ ctx, input }) => editMessage(ctx.services, { userId: ctx.user.id, ...input })),

  /** Your own messages; in groups the owner and admins may delete anyone's. */
  delete: protectedProcedure
    .input(byMessage)
    .mutation(({ ctx, input }) => deleteMessage(ctx.services, { userId: ctx.user.id, ...input })),

  react: protectedProcedure
    .input(byMessage.extend({ emoji }))
    .mutation(({ ctx, input }) => addReaction(ctx.services, { userId: ctx.user.id, ...input })),

  unreact: protectedProcedure
    .input(byMessage.extend({ emoji }))
    .mutation(({ ctx, input }) => removeReaction(ctx.services, { userId: ctx.user.id, ...input })),

  /** Moves the read position forward only, and never past the newest message. */
  markRead: protectedProcedure
    .input(z.object({ conversationId: z.uuid(), seq: z.number().int().min(0).max(maxSeq) }))
    .mutation(({ ctx, input }) => markRead(ctx.services, { userId: ctx.user.id, ...input })),
} satisfies TRPCRouterRecord;
