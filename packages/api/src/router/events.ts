import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { eventIdMaxCharacters } from "@parley/db/limits";

import { toTRPCError } from "../errors";
import { streamEvents } from "../realtime/stream";
import { protectedProcedure } from "../trpc";

export const eventsRouter = {
  /** The one subscription: everything addressed to the user, resumable from `lastEventId`. */
  stream: protectedProcedure
    .input(z.object({ lastEventId: z.string().max(eventIdMaxCharacters).nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      try {
        yield* streamEvents({
          db: ctx.services.db,
          feed: ctx.services.feed,
          presence: ctx.services.presence,
          userId: ctx.user.id,
          sessionId: ctx.session.id,
          lastEventId: input?.lastEventId,
          signal,
        });
      } catch (error) {
        throw toTRPCError(error);
      }
    }),
} satisfies TRPCRouterRecord;
