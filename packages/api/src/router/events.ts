import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { eventIdMaxCharacters } from "@parley/db/limits";

import { createExpiredContentFilter } from "../domain/expiry";
import { toTRPCError } from "../errors";
import { streamEvents } from "../realtime/stream";
import { protectedProcedure } from "../trpc";

export const eventsRouter = {
  /** The one subscription: everything addressed to the user, resumable from `lastEventId`. */
  stream: protectedProcedure
    .input(z.object({ lastEventId: z.string().max(eventIdMaxCharacters).nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      // Resume never replays a disappearing message that has expired for this user.
      const expired = createExpiredContentFilter({ db: ctx.services.db, viewerId: ctx.user.id, now: () => ctx.services.clock.now() });
      try {
        for await (const envelope of streamEvents({
          db: ctx.services.db,
          feed: ctx.services.feed,
          presence: ctx.services.presence,
          userId: ctx.user.id,
          sessionId: ctx.session.id,
          lastEventId: input?.lastEventId,
          signal,
        })) {
          const event = envelope[1];
          if (event.type === "stream.ready") expired.markLive();
          else if ("type" in event && event.type !== "typing" && event.type !== "presence" && event.type !== "call.signal") {
            const verdict = expired.isExpired(event);
            if (verdict === true || (verdict !== false && (await verdict))) continue;
          }
          yield envelope;
        }
      } catch (error) {
        throw toTRPCError(error);
      }
    }),
} satisfies TRPCRouterRecord;
