import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { userSearchDefaultResults, userSearchMaxResults, userSearchQueryMaxCharacters } from "@parley/db/limits";

import { displayNameInput, getVisibleUser, searchUsers, updateProfile } from "../domain/users";
import { protectedProcedure } from "../trpc";

export const usersRouter = {
  /** By username prefix or display-name substring, ignoring case; never yourself. */
  search: protectedProcedure
    .input(
      z.object({
        query: z
          .string()
          .trim()
          .min(1, "Enter something to search for")
          .max(userSearchQueryMaxCharacters, "Search text is too long"),
        limit: z
          .number()
          .int()
          .min(1, "limit must be at least 1")
          .max(userSearchMaxResults, `limit must be at most ${userSearchMaxResults}`)
          .default(userSearchDefaultResults),
      }),
    )
    .query(({ ctx, input }) =>
      searchUsers(ctx.services.db, { viewerId: ctx.user.id, query: input.query, limit: input.limit }),
    ),

  byId: protectedProcedure
    .input(z.object({ userId: z.uuid("userId must be a user id") }))
    .query(({ ctx, input }) => getVisibleUser(ctx.services.db, { viewerId: ctx.user.id, userId: input.userId })),

  updateProfile: protectedProcedure
    .input(z.object({ displayName: displayNameInput }))
    .mutation(({ ctx, input }) =>
      updateProfile(ctx.services, { userId: ctx.user.id, displayName: input.displayName }),
    ),
} satisfies TRPCRouterRecord;
