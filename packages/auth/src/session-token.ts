import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";

// 160 bits each: above the 120 the Lucia guide asks for, and 32 base32 characters exactly.
const sessionIdBytes = 20;
const sessionSecretBytes = 20;
const sessionPartLength = 32;
const sessionPartPattern = /^[a-z2-7]{32}$/;

export const sessionTokenLength = sessionPartLength * 2 + 1;

export interface ParsedSessionToken {
  id: string;
  secret: string;
}

/** "<id>.<secret>": the id finds the row, the secret proves the bearer holds the token. */
export function generateSessionToken(): string {
  return formatSessionToken(generateSessionTokenParts());
}

export function generateSessionTokenParts(): ParsedSessionToken {
  return { id: randomBase32(sessionIdBytes), secret: randomBase32(sessionSecretBytes) };
}

export function formatSessionToken(parts: ParsedSessionToken): string {
  return `${parts.id}.${parts.secret}`;
}

/** Null for anything that is not exactly the shape generateSessionToken() produces. */
export function parseSessionToken(token: string): ParsedSessionToken | null {
  // Checked before any other work, so a megabyte of garbage costs nothing.
  if (typeof token !== "string" || token.length !== sessionTokenLength) return null;
  const id = token.slice(0, sessionPartLength);
  const separator = token.charAt(sessionPartLength);
  const secret = token.slice(sessionPartLength + 1);
  if (separator !== "." || !sessionPartPattern.test(id) || !sessionPartPattern.test(secret)) {
    return null;
  }
  return { id, secret };
}

/** What the database keeps instead of the secret: a leaked row cannot be turned into a token. */
export function hashSessionSecret(secret: string): Uint8Array {
  return sha256(new TextEncoder().encode(secret));
}

function randomBase32(byteCount: number): string {
  const bytes = new Uint8Array(byteCount);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}
