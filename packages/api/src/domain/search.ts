import { sql } from "drizzle-orm";

import type { ParleyServices } from "../services";
import { preparedPerDatabase } from "./prepared";
import type { MessageView } from "./views";

export interface MessageSearchResult {
  message: MessageView;
  conversation: { id: string; kind: "direct" | "group"; title: string | null };
  /** Where the query matched in `message.body`, as [start, end) offsets in UTF-16 code units. */
  highlights: { start: number; end: number }[];
}

export interface MessageSearchPage {
  results: MessageSearchResult[];
  /** Pass as `beforeId` for older results; null when there are none. */
  nextBeforeId: string | null;
}

export interface MessageSearchInput {
  userId: string;
  query: string;
  conversationId?: string;
  beforeId?: string;
  limit: number;
}

/** Letters and digits of any script: what a word is made of, for the prefix query. */
const wordPattern = /[\p{L}\p{N}]+/gu;

/**
 * The query as a prefix tsquery ("crane lake" → "crane:* & lake:*"). Only letters and digits go
 * in, so nothing the user types can be tsquery syntax. Null when the query has no word.
 */
export function toPrefixQuery(query: string): string | null {
  const words = query.toLowerCase().match(wordPattern);
  return words ? words.map((word) => `${word}:*`).join(" & ") : null;
}

/** `%`, `_` and `\` match literally inside the ILIKE pattern. */
function toSubstringPattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** Every place the whole query, or else each of its words, occurs in `body`, case-insensitively, merged. */
export function highlightsOf(body: string, query: string): { start: number; end: number }[] {
  const haystack = body.toLowerCase();
  const needle = query.trim().toLowerCase();
  // toLowerCase keeps the length of nearly all text; where it does not, offsets would drift.
  if (haystack.length !== body.length || needle.length === 0) return [];
  const terms = haystack.includes(needle) ? [needle] : (needle.match(wordPattern) ?? []);
  const ranges: { start: number; end: number }[] = [];
  for (const term of terms) {
    for (let index = haystack.indexOf(term); index !== -1; index = haystack.indexOf(term, index + term.length)) {
      ranges.push({ start: index, end: index + term.length });
    }
  }
  ranges.sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

interface SearchRow {
  message: MessageView;
  conversation: MessageSearchResult["conversation"];
}

/*
 * Matches by words and prefixes through the tsvector index, and by substring (Chinese, Japanese
 * and Korean have no spaces between words) through the trigram index; the planner ORs the two
 * bitmaps. Then the rules of history: the viewer is a current member, the sender is not someone
 * they blocked, the message is not deleted and has not expired for them. Newest first.
 */
const searchStatement = preparedPerDatabase((db) =>
  db
    .select({ message: sql<MessageView>`found.view`, conversation: sql<SearchRow["conversation"]>`found.conversation` })
    .from(
      sql`(
        select parley_viewer_message_view(m, ${sql.placeholder("viewer")}::uuid) as view,
               jsonb_build_object('id', c.id, 'kind', c.kind, 'title', c.title) as conversation,
               m.created_at, m.id
        from messages m
        join conversations c on c.id = m.conversation_id
        join conversation_members cm
          on cm.conversation_id = m.conversation_id and cm.user_id = ${sql.placeholder("viewer")}::uuid and cm.left_at is null
        where m.deleted_at is null
          and m.kind <> 'system'
          and (
            -- No words (only punctuation, say): to_tsquery(null) matches nothing, the substring still may.
            to_tsvector('simple', m.body) @@ to_tsquery('simple', ${sql.placeholder("words")}::text)
            or m.body ilike ${sql.placeholder("pattern")}::text
          )
          and (${sql.placeholder("conversation")}::uuid is null or m.conversation_id = ${sql.placeholder("conversation")}::uuid)
          and (${sql.placeholder("beforeId")}::uuid is null
            or (m.created_at, m.id) < (select b.created_at, b.id from messages b where b.id = ${sql.placeholder("beforeId")}::uuid))
          and m.sender_id not in (select bl.blocked_id from blocks bl where bl.blocker_id = ${sql.placeholder("viewer")}::uuid)
          and not parley_expired_for(m, ${sql.placeholder("viewer")}::uuid, ${sql.placeholder("at")}::timestamptz)
        order by m.created_at desc, m.id desc
        limit ${sql.placeholder("limit")}::integer
      ) found`,
    )
    .prepare("parley_search_messages"),
);

/** Messages the caller can still read that match `query`, newest first, with the matches marked. */
export async function searchMessages(
  services: Pick<ParleyServices, "db" | "clock">,
  input: MessageSearchInput,
): Promise<MessageSearchPage> {
  const query = input.query.trim();
  const rows = (await searchStatement(services.db).execute({
    viewer: input.userId,
    words: toPrefixQuery(query),
    pattern: toSubstringPattern(query),
    conversation: input.conversationId ?? null,
    beforeId: input.beforeId ?? null,
    at: services.clock.now().toISOString(),
    limit: input.limit + 1,
  })) as SearchRow[];
  const page = rows.slice(0, input.limit);
  return {
    results: page.map((row) => ({
      message: row.message,
      conversation: row.conversation,
      highlights: highlightsOf(row.message.body ?? "", query),
    })),
    nextBeforeId: rows.length > input.limit ? (page.at(-1)?.message.id ?? null) : null,
  };
}
