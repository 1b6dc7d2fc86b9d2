import { hash, verify } from "@node-rs/argon2";
import type { Algorithm, Options } from "@node-rs/argon2";

import { normalizePassword } from "./password-policy";

// OWASP's minimum argon2id configuration.
export const argon2MemoryCostKibibytes = 19_456;
export const argon2TimeCostPasses = 2;
export const argon2Parallelism = 1;

// `Algorithm` is an ambient const enum, which isolatedModules cannot read: 2 is Argon2id.
const argon2id: Algorithm = 2;

const hashOptions: Options = {
  algorithm: argon2id,
  memoryCost: argon2MemoryCostKibibytes,
  timeCost: argon2TimeCostPasses,
  parallelism: argon2Parallelism,
};

/**
 * An argon2id hash, with the parameters above, of a random password nobody knows. Verify a login
 * for an unknown username against it, so that it costs as long as a login for a real one and
 * timing does not reveal which usernames exist; it never verifies.
 */
export const dummyPasswordHash =
  "$argon2id$v=19$m=19456,t=2,p=1$ZCjyTfIT08aOGSdPAIm22g$ZHR/jZWYG2UweRJV4HLNG/76slLYtuG+E8W5O8XfuD4";

/** A PHC string ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash") with a fresh random salt. */
export function hashPassword(password: string): Promise<string> {
  return hash(normalizePassword(password), hashOptions);
}

/** False for a wrong password and for a hash that is not a valid argon2 string; never throws. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, normalizePassword(password));
  } catch {
    return false;
  }
}
