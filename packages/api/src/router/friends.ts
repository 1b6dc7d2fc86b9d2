import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { usernameLookupMaxCharacters } from "@parley/db/limits";

import {
  acceptFriendRequest,
  blockUser,
  cancelFriendRequest,
  declineFriendRequest,
  listBlockedUsers,
  listFriendRequests,
  listFriends,
  removeFriend,
  sendFriendRequest,
  unblockUser,
} from "../domain/friends";
import { protectedProcedure } from "../trpc";

const otherUserInput = z.object({ userId: z.uuid("userId must be a user id") });

export const friendsRouter = {
  list: protectedProcedure.query(({ ctx }) => listFriends(ctx.services, ctx.user.id)),

  requests: protectedProcedure.query(({ ctx }) => listFriendRequests(ctx.services.db, ctx.user.id)),

  /** Asks by username; if they had already asked you, you become friends at once. */
  request: protectedProcedure
    .input(
      z.object({
        username: z
          .string()
          .trim()
          .min(1, "Username is required")
          .max(usernameLookupMaxCharacters, "No user with that username"),
      }),
    )
    .mutation(({ ctx, input }) =>
      sendFriendRequest(ctx.services, { userId: ctx.user.id, username: input.username }),
    ),

  accept: protectedProcedure
    .input(otherUserInput)
    .mutation(({ ctx, input }) =>
      acceptFriendRequest(ctx.services, { userId: ctx.user.id, requesterId: input.userId }),
    ),

  decline: protectedProcedure.input(otherUserInput).mutation(async ({ ctx, input }) => {
    await declineFriendRequest(ctx.services, { userId: ctx.user.id, requesterId: input.userId });
  }),

  /** Withdraws your own pending request. */
  cancel: protectedProcedure.input(otherUserInput).mutation(async ({ ctx, input }) => {
    await cancelFriendRequest(ctx.services, { userId: ctx.user.id, addresseeId: input.userId });
  }),

  remove: protectedProcedure.input(otherUserInput).mutation(async ({ ctx, input }) => {
    await removeFriend(ctx.services, { userId: ctx.user.id, friendId: input.userId });
  }),

  /** Also ends any friendship or request between you. Blocking twice is not an error. */
  block: protectedProcedure.input(otherUserInput).mutation(async ({ ctx, input }) => {
    await blockUser(ctx.services, { userId: ctx.user.id, blockedId: input.userId });
  }),

  unblock: protectedProcedure.input(otherUserInput).mutation(async ({ ctx, input }) => {
    await unblockUser(ctx.services, { userId: ctx.user.id, blockedId: input.userId });
  }),

  blocked: protectedProcedure.query(({ ctx }) => listBlockedUsers(ctx.services.db, ctx.user.id)),
} satisfies TRPCRouterRecord;
