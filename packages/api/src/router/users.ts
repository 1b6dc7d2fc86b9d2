import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { userSearchDefaultResults, userSearchMaxResults, userSearchQueryMaxCharacters } from "@parley/db/limits";

import { createAvatarUpload, removeAvatar, setAvatar } from "../domain/avatars";
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

  /** Starts a profile picture upload: send the bytes where `upload` says, then call `setAvatar`. */
  createAvatarUpload: protectedProcedure
    .input(
      z.object({
        size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
        contentType: z.string().min(1).max(255),
      }),
    )
    .mutation(({ ctx, input }) => createAvatarUpload(ctx.services, { userId: ctx.user.id, ...input })),

  /**
   * Makes the uploaded image your profile picture, cropped to a square: `crop` in the upright
   * image's pixels, or the centre. Friends and your other devices get `profile.updated`.
   */
  setAvatar: protectedProcedure
    .input(
      z.object({
        uploadId: z.uuid(),
        crop: z
          .object({ x: z.number().int().min(0).max(100_000), y: z.number().int().min(0).max(100_000), side: z.number().int().min(1).max(100_000) })
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => setAvatar(ctx.services, { userId: ctx.user.id, ...input })),

  removeAvatar: protectedProcedure.mutation(({ ctx }) => removeAvatar(ctx.services, { userId: ctx.user.id })),
} satisfies TRPCRouterRecord;
