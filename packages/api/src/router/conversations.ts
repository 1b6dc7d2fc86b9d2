import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  conversationPageDefaultConversations,
  conversationPageMaxConversations,
  disappearingTimerSeconds,
  groupMembersMaxPerCall,
  groupTitleMaxCharacters,
} from "@parley/db/limits";

import {
  addGroupMembers,
  announceTyping,
  createGroupConversation,
  getConversationSummary,
  leaveGroup,
  listConversationSummaries,
  openDirectConversation,
  removeGroupMember,
  renameGroup,
  setMemberRole,
} from "../domain/conversations";
import { setDisappearing } from "../domain/disappearing";
import { protectedProcedure } from "../trpc";

const groupTitle = z
  .string()
  .trim()
  .min(1, "A group title cannot be empty")
  .max(groupTitleMaxCharacters, `A group title can be at most ${groupTitleMaxCharacters} characters`)
  .refine((title) => !title.includes("\u0000"), "A group title must not contain NUL (U+0000) characters");

const byConversation = z.object({ conversationId: z.uuid() });

export const conversationsRouter = {
  /** The caller's conversations, newest activity first; pass the last one as `after` for the next page. */
  list: protectedProcedure
    .input(
      z
        .object({
          limit: z.number().int().min(1).max(conversationPageMaxConversations).optional(),
          after: z.object({ lastActivityAt: z.iso.datetime(), id: z.uuid() }).optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) =>
      listConversationSummaries(ctx.services, { userId: ctx.user.id, limit: input?.limit ?? conversationPageDefaultConversations, after: input?.after }),
    ),

  /** FORBIDDEN both when it does not exist and when the caller is not a member. */
  get: protectedProcedure
    .input(byConversation)
    .query(({ ctx, input }) => getConversationSummary(ctx.services, { userId: ctx.user.id, ...input })),

  /** The direct conversation with a friend, created on first use. */
  openDirect: protectedProcedure
    .input(z.object({ userId: z.uuid() }))
    .mutation(({ ctx, input }) =>
      openDirectConversation(ctx.services, { userId: ctx.user.id, otherUserId: input.userId }),
    ),

  createGroup: protectedProcedure
    .input(
      z.object({
        title: groupTitle,
        memberIds: z.array(z.uuid()).max(groupMembersMaxPerCall).default([]),
      }),
    )
    .mutation(({ ctx, input }) => createGroupConversation(ctx.services, { userId: ctx.user.id, ...input })),

  rename: protectedProcedure
    .input(byConversation.extend({ title: groupTitle }))
    .mutation(({ ctx, input }) => renameGroup(ctx.services, { userId: ctx.user.id, ...input })),

  addMembers: protectedProcedure
    .input(byConversation.extend({ userIds: z.array(z.uuid()).min(1).max(groupMembersMaxPerCall) }))
    .mutation(({ ctx, input }) => addGroupMembers(ctx.services, { userId: ctx.user.id, ...input })),

  removeMember: protectedProcedure
    .input(byConversation.extend({ userId: z.uuid() }))
    .mutation(({ ctx, input }) =>
      removeGroupMember(ctx.services, {
        userId: ctx.user.id,
        conversationId: input.conversationId,
        memberId: input.userId,
      }),
    ),

  leave: protectedProcedure
    .input(byConversation)
    .mutation(({ ctx, input }) => leaveGroup(ctx.services, { userId: ctx.user.id, ...input })),

  setRole: protectedProcedure
    .input(byConversation.extend({ userId: z.uuid(), role: z.enum(["admin", "member"]) }))
    .mutation(({ ctx, input }) =>
      setMemberRole(ctx.services, {
        userId: ctx.user.id,
        conversationId: input.conversationId,
        memberId: input.userId,
        role: input.role,
      }),
    ),

  /**
   * The disappearing-message timer for new messages (null: off), counted from the send for
   * everyone or from each recipient's read. Any member in a direct chat; owner or admins in a group.
   */
  setDisappearing: protectedProcedure
    .input(
      byConversation.extend({
        seconds: z
          .number()
          .int()
          .refine(
            (seconds) => (disappearingTimerSeconds as readonly number[]).includes(seconds),
            `The timer must be one of ${disappearingTimerSeconds.join(", ")} seconds`,
          )
          .nullable(),
        startsAt: z.enum(["send", "read"]).default("send"),
      }),
    )
    .mutation(({ ctx, input }) => setDisappearing(ctx.services, { userId: ctx.user.id, ...input })),

  /** An ephemeral "is typing" for the other members, valid for five seconds. */
  typing: protectedProcedure
    .input(byConversation)
    .mutation(({ ctx, input }) => announceTyping(ctx.services, { userId: ctx.user.id, ...input })),
} satisfies TRPCRouterRecord;
