import { isCommonPassword } from "./common-passwords";

export const passwordMinLength = 8;
export const passwordMaxLength = 256;

export interface PasswordPolicyContext {
  username?: string;
}

// Usernames shorter than this are allowed inside a password ("bob" in "bobsleigh-rocket").
const usernameContainmentMinLength = 4;

/**
 * The one form of a password that is measured, hashed and verified: NFKC, so the same password
 * typed on two keyboards that compose accents differently is the same password.
 */
export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

/** Returns null when the password may be used, otherwise a message to show the user. */
export function checkPasswordPolicy(
  password: string,
  context: PasswordPolicyContext = {},
): string | null {
  const normalized = normalizePassword(password);
  // Counted in code points: an emoji is one character to the person typing it.
  const length = Array.from(normalized).length;
  if (length < passwordMinLength) {
    return `Password must be at least ${passwordMinLength} characters`;
  }
  if (length > passwordMaxLength) {
    return `Password must be at most ${passwordMaxLength} characters`;
  }

  const lowered = normalized.toLowerCase();
  const username = context.username?.toLowerCase();
  if (username) {
    if (lowered === username) return "Password must not be your username";
    if (username.length >= usernameContainmentMinLength && lowered.includes(username)) {
      return "Password must not contain your username";
    }
  }
  if (new Set(normalized).size === 1) {
    return "Password must not be a single character repeated";
  }
  if (isCommonPassword(normalized)) {
    return "This password is too common";
  }
  return null;
}
