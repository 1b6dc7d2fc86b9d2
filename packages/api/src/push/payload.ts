/**
 * What a push carries to the service worker, as JSON. Without previews (the default) it names
 * only the conversation: the worker shows a generic line and fetches nothing.
 */
export type PushPayload =
  | {
      type: "message";
      conversationId: string;
      seq: number;
      /** The recipient was named with `@username`. */
      mention: boolean;
      /** Sender and text; present only when the recipient allows previews. */
      preview: { title: string; body: string } | null;
    }
  | {
      type: "call";
      conversationId: string;
      callId: string;
      /** Who is calling; present only when the recipient allows previews. */
      preview: { title: string } | null;
    }
  /** The conversation was read on some device: close its notification. */
  | { type: "close"; conversationId: string; seq: number };

/** Characters of a message's text a preview carries: a lock screen shows a few lines at most. */
export const previewBodyMaxCharacters = 300;

/** How long a push service keeps an undelivered notification for an offline device. */
export const messagePushTtlSeconds = 24 * 60 * 60;
/** A call rings for under a minute; a late ring is worse than none. */
export const callPushTtlSeconds = 60;
/** A withdrawal is worth delivering as long as the notification it closes could be. */
export const closePushTtlSeconds = messagePushTtlSeconds;

export function previewBody(body: string): string {
  const characters = [...body];
  return characters.length <= previewBodyMaxCharacters ? body : `${characters.slice(0, previewBodyMaxCharacters - 1).join("")}…`;
}

/**
 * The push service's Topic header for a conversation: a newer notification (or its withdrawal)
 * replaces one still waiting for an offline device. At most 32 URL-safe characters: the id's hex.
 */
export function conversationTopic(conversationId: string): string {
  return conversationId.replaceAll("-", "");
}
