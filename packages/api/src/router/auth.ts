import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { sessionAbsoluteLifetimeSeconds } from "@parley/auth";
import {
  usernameLookupMaxCharacters,
  usernameMaxCharacters,
  usernameMinCharacters,
  usernamePattern,
} from "@parley/db/limits";

import {
  changePassword,
  listSessions,
  logIn,
  logOut,
  registerAccount,
  revokeOtherSessions,
  revokeSession,
  type Device,
  type SignedIn,
} from "../domain/accounts";
import { displayNameInput } from "../domain/users";
import { toPublicUser, type PublicUser } from "../domain/views";
import { sessionCookieName } from "../session-cookie";
import { protectedProcedure, publicProcedure, type Context } from "../trpc";

/** Web pages send this header to be signed in by cookie instead of receiving the token. */
export const sessionModeHeader = "x-parley-session";

// Long enough for any password the policy accepts, short enough that hashing stays cheap.
const maxPasswordInputLength = 1_024;
const maxUserAgentLength = 512;

const usernameInput = z
  .string()
  .regex(
    usernamePattern,
    `Username must be ${usernameMinCharacters} to ${usernameMaxCharacters} characters: letters, digits, _ . or -`,
  );

function passwordInput(label: string) {
  return z
    .string()
    .min(1, `${label} is required`)
    .max(maxPasswordInputLength, `${label} is too long`);
}

function deviceOf(ctx: Context): Device {
  return {
    userAgent: ctx.headers.get("user-agent")?.slice(0, maxUserAgentLength) ?? null,
    ipAddress: ctx.ipAddress,
  };
}

function sessionCookie(ctx: Context, value: string, maxAgeSeconds: number): string {
  const secure = ctx.services.config.secureCookies ? "; Secure" : "";
  return `${sessionCookieName}=${encodeURIComponent(value)}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${maxAgeSeconds}${secure}`;
}

/**
 * Web pages get the token as an HttpOnly cookie so page JavaScript never holds it; SDK callers
 * get it in the response.
 */
function deliverSession(ctx: Context, signedIn: SignedIn): { user: PublicUser; token: string | null } {
  if (ctx.resHeaders && ctx.headers.get(sessionModeHeader) === "cookie") {
    ctx.resHeaders.append("set-cookie", sessionCookie(ctx, signedIn.token, sessionAbsoluteLifetimeSeconds));
    return { user: signedIn.user, token: null };
  }
  return { user: signedIn.user, token: signedIn.token };
}

function clearSessionCookie(ctx: Context): void {
  if (ctx.resHeaders && ctx.authSource === "cookie") {
    ctx.resHeaders.append("set-cookie", sessionCookie(ctx, "", 0));
  }
}

export const authRouter = {
  register: publicProcedure
    .input(
      z.object({
        username: usernameInput,
        password: passwordInput("Password"),
        displayName: displayNameInput.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) =>
      deliverSession(ctx, await registerAccount(ctx.services, { ...input, device: deviceOf(ctx) })),
    ),

  login: publicProcedure
    .input(
      z.object({
        // Not held to the username pattern: a malformed name is just another unknown user.
        username: z.string().min(1, "Username is required").max(usernameLookupMaxCharacters, "Username is too long"),
        password: passwordInput("Password"),
      }),
    )
    .mutation(async ({ ctx, input }) =>
      deliverSession(ctx, await logIn(ctx.services, { ...input, device: deviceOf(ctx) })),
    ),

  /** Ends the session this request was made with. */
  logout: protectedProcedure.mutation(async ({ ctx }) => {
    await logOut(ctx.services, { userId: ctx.user.id, sessionId: ctx.session.id });
    clearSessionCookie(ctx);
  }),

  me: protectedProcedure.query(({ ctx }) => toPublicUser(ctx.user)),

  /** Who is signed in, or null: for pages open to visitors, where "nobody" is not an error. */
  currentUser: publicProcedure.query(({ ctx }): PublicUser | null => (ctx.user ? toPublicUser(ctx.user) : null)),

  sessions: protectedProcedure.query(({ ctx }) =>
    listSessions(ctx.services, { userId: ctx.user.id, currentSessionId: ctx.session.id }),
  ),

  revokeSession: protectedProcedure
    .input(z.object({ sessionId: z.string().min(1, "sessionId is required").max(128, "Session not found") }))
    .mutation(async ({ ctx, input }) => {
      await revokeSession(ctx.services, { userId: ctx.user.id, sessionId: input.sessionId });
      if (input.sessionId === ctx.session.id) clearSessionCookie(ctx);
    }),

  /** Signs out every other device; answers how many were signed out. */
  revokeOtherSessions: protectedProcedure.mutation(({ ctx }) =>
    revokeOtherSessions(ctx.services, { userId: ctx.user.id, sessionId: ctx.session.id }),
  ),

  /** Keeps this session and ends every other one. */
  changePassword: protectedProcedure
    .input(
      z.object({
        currentPassword: passwordInput("Current password"),
        newPassword: passwordInput("New password"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await changePassword(ctx.services, {
        ...input,
        userId: ctx.user.id,
        sessionId: ctx.session.id,
        ipAddress: ctx.ipAddress,
      });
    }),
} satisfies TRPCRouterRecord;
