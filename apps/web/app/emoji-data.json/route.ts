import emojiData from "emoji-picker-element-data/en/emojibase/data.json";

/**
 * The emoji picker's data, served by the app itself so that nothing is fetched from another
 * origin. Built once at build time; the picker keeps it in IndexedDB and checks it with an ETag.
 */
export const dynamic = "force-static";

export function GET(): Response {
  return Response.json(emojiData, { headers: { "cache-control": "public, max-age=86400" } });
}
