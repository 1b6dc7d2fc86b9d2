import { sql, type SQL } from "drizzle-orm";

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

/** Scripts written without spaces between words, and anything that is not a letter, digit or space. */
const needsSubstring = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[^\p{L}\p{N}\s]/u;

/** How a query matches: by words and prefixes (the tsvector), or by substring (the trigrams). */
export function matchModeOf(query: string): "words" | "substring" {
  return needsSubstring.test(query) || toPrefixQuery(query) === null ? "substring" : "words";
}

/*
 * One statement per match mode, each answered by its own GIN index: words and prefixes through
 * the tsvector, substrings (Chinese, Japanese and Korean have no spaces between words, and
 * punctuation is not part of any word) through pg_trgm. Then the rules of history: the viewer is
 * a current member, the sender is not someone they blocked, the message is not deleted and has
 * not expired for them. Newest first.
 *
 * Membership is a filter on the matches, not an index condition: the index's matches are few
 * next to the caller's messages, and a plan that walked each conversation would re-run the
 * index scan once per conversation.
 */
function searchStatementFor(match: (body: SQL) => SQL, name: string) {
  return preparedPerDatabase((db) =>
    db
      .select({ message: sql<MessageView>`found.view`, conversation: sql<SearchRow["conversation"]>`found.conversation` })
      .from(
        sql`(
          select parley_viewer_message_view(limited, ${sql.placeholder("viewer")}::uuid) as view,
                 jsonb_build_object('id', c.id, 'kind', c.kind, 'title', c.title) as conversation,
                 limited.created_at, limited.id
          from (
            select m.* from messages m
            where m.deleted_at is null
              and m.kind <> 'system'
              and ${match(sql`m.body`)}
              and coalesce(m.conversation_id = any (array(
                select cm.conversation_id from conversation_members cm
                where cm.user_id = ${sql.placeholder("viewer")}::uuid and cm.left_at is null
              )), false)
              and (${sql.placeholder("conversation")}::uuid is null or m.conversation_id = ${sql.placeholder("conversation")}::uuid)
              and (${sql.placeholder("beforeId")}::uuid is null
                or (m.created_at, m.id) < (select b.created_at, b.id from messages b where b.id = ${sql.placeholder("beforeId")}::uuid))
              and m.sender_id not in (select bl.blocked_id from blocks bl where bl.blocker_id = ${sql.placeholder("viewer")}::uuid)
              and not parley_expired_for(m, ${sql.placeholder("viewer")}::uuid, ${sql.placeholder("at")}::timestamptz)
            order by m.created_at desc, m.id desc
            limit ${sql.placeholder("limit")}::integer
          ) limited
          join conversations c on c.id = limited.conversation_id
        ) found`,
      )
      .orderBy(sql`found.created_at desc, found.id desc`)
      .prepare(name),
  );
}

const searchStatements = {
  words: searchStatementFor((body) => sql`to_tsvector('simple', ${body}) @@ to_tsquery('simple', ${sql.placeholder("pattern")}::text)`, "parley_search_words"),
  substring: searchStatementFor((body) => sql`${body} ilike ${sql.placeholder("pattern")}::text`, "parley_search_substring"),
};

/**
 * Messages the caller can still read that match `query`, newest first, with the matches marked:
 * Latin (and other spaced) text by words and word prefixes, CJK text and punctuation by substring.
 */
export async function searchMessages(
  services: Pick<ParleyServices, "db" | "clock">,
  input: MessageSearchInput,
): Promise<MessageSearchPage> {
  const query = input.query.trim();
  const mode = matchModeOf(query);
  const rows = (await searchStatements[mode](services.db).execute({
    viewer: input.userId,
    pattern: mode === "words" ? toPrefixQuery(query) : toSubstringPattern(query),
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
