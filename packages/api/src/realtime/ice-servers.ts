import { createHmac } from "node:crypto";

import type { IceServer } from "../domain/views";

/** TURN with the shared-secret scheme of coturn's `use-auth-secret` (the "TURN REST API" draft). */
export interface TurnConfig {
  secret: string;
  urls: string[];
  /** How long a credential handed out at a call's start stays valid. */
  credentialTtlSeconds: number;
}

export interface CallConfig {
  /** STUN and TURN servers given as they are (ICE_SERVERS); none by default. */
  iceServers: IceServer[];
  turn: TurnConfig | null;
}

export const defaultCallConfig: CallConfig = { iceServers: [], turn: null };

/**
 * A short-lived TURN credential for one user: username `<expiry unix seconds>:<userId>`,
 * credential base64(HMAC-SHA1(secret, username)). coturn recomputes the HMAC and refuses an
 * expired timestamp, so nothing per user is stored on either side.
 */
export function turnCredential(turn: TurnConfig, query: { userId: string; now: Date }): { username: string; credential: string } {
  const expiresAtSeconds = Math.floor(query.now.getTime() / 1_000) + turn.credentialTtlSeconds;
  const username = `${expiresAtSeconds}:${query.userId}`;
  const credential = createHmac("sha1", turn.secret).update(username).digest("base64");
  return { username, credential };
}

/** The ICE servers one user's device connects a call with. */
export function iceServersFor(config: CallConfig, query: { userId: string; now: Date }): IceServer[] {
  if (!config.turn) return config.iceServers;
  return [...config.iceServers, { urls: config.turn.urls, ...turnCredential(config.turn, query) }];
}
