import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { pushEndpointMaxCharacters, pushUserAgentMaxCharacters } from "@parley/db/limits";

import { subscribePush, unsubscribePush } from "../domain/notifications";
import { protectedProcedure } from "../trpc";

/** Base64url (as PushSubscription.toJSON() writes it) of exactly `bytes` bytes. */
function base64UrlOfLength(bytes: number, what: string) {
  return z
    .string()
    .max(bytes * 2, `${what} is too long`)
    .refine((value) => /^[A-Za-z0-9_-]+={0,2}$/.test(value) && Buffer.from(value, "base64url").length === bytes, `${what} must be ${bytes} bytes in base64url`);
}

const endpoint = z
  .url({ protocol: /^https$/, error: "endpoint must be an https:// URL" })
  .max(pushEndpointMaxCharacters, `endpoint can be at most ${pushEndpointMaxCharacters} characters`);

export const pushRouter = {
  /** The server's VAPID public key, for PushManager.subscribe's applicationServerKey. */
  publicKey: protectedProcedure.query(({ ctx }) => ({ publicKey: ctx.services.push.publicKey })),

  /** This device's subscription, as PushSubscription.toJSON() gives it; it ends with the session. */
  subscribe: protectedProcedure
    .input(
      z.object({
        endpoint,
        keys: z.object({
          // An uncompressed P-256 point and the 16-byte auth secret (RFC 8291).
          p256dh: base64UrlOfLength(65, "keys.p256dh").refine((value) => Buffer.from(value, "base64url")[0] === 4, "keys.p256dh must be an uncompressed P-256 key"),
          auth: base64UrlOfLength(16, "keys.auth"),
        }),
        userAgent: z.string().max(pushUserAgentMaxCharacters).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await subscribePush(ctx.services, {
        userId: ctx.user.id,
        sessionId: ctx.session.id,
        endpoint: input.endpoint,
        p256dh: input.keys.p256dh,
        auth: input.keys.auth,
        userAgent: input.userAgent ?? null,
      });
      return { subscribed: true };
    }),

  /** Stops pushes to this device (the given endpoint, or whatever this session subscribed). */
  unsubscribe: protectedProcedure
    .input(z.object({ endpoint: endpoint.optional() }).default({}))
    .mutation(({ ctx, input }) => unsubscribePush(ctx.services, { sessionId: ctx.session.id, endpoint: input.endpoint })),
} satisfies TRPCRouterRecord;
