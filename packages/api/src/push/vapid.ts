import webpush from "web-push";

import type { Database } from "@parley/db/client";
import { pushVapidKeys } from "@parley/db/schema";

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * The key pair push services check our signatures with. Given keys win; otherwise the pair the
 * database holds, made by whichever node started first (the insert that loses the race keeps
 * nothing, and every node reads the one stored row).
 */
export async function loadVapidKeys(db: Database, given?: VapidKeys): Promise<VapidKeys> {
  if (given) return given;
  const generated = webpush.generateVAPIDKeys();
  await db.insert(pushVapidKeys).values({ id: 1, ...generated }).onConflictDoNothing();
  const [stored] = await db.select({ publicKey: pushVapidKeys.publicKey, privateKey: pushVapidKeys.privateKey }).from(pushVapidKeys);
  if (!stored) throw new Error("the VAPID key pair was not stored");
  return stored;
}
