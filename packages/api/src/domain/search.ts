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

/**
 * Chinese, Japanese and Korean characters: Hangul Jamo, Hiragana and Katakana, Hangul compatibility
 * Jamo, CJK ideographs (extension A, unified, compatibility), Hangul syllables, halfwidth Katakana.
 * The same ranges as parley_search_vector's in migration 0014, which indexes their pairs.
 */
const cjkRun = /[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]+/gu;

/**
 * The CJK part of a query as a tsquery of the pairs parley_search_vector indexes: every adjacent
 * pair of a run ("北京烤鸭" → '北京' & '京烤' & '烤鸭'), or a lone character as a prefix of them ('北':*).
 * Null when the query has no CJK character. These characters are never tsquery syntax.
 */
export function toBigramQuery(query: string): string | null {
  const terms: string[] = [];
  for (const run of query.toLowerCase().match(cjkRun) ?? []) {
    const characters = Array.from(run);
    if (characters.length === 1) terms.push(`'${run}':*`);
    for (let index = 0; index + 1 < characters.length; index += 1) terms.push(`'${characters[index]}${characters[index + 1]}'`);
  }
  return terms.length > 0 ? terms.join(" & ") : null;
}

/** Anything that is not a letter, digit or space: found by substring (trigrams), as no word holds it. */
const punctuation = /[^\p{L}\p{N}\s]/u;

/** What parley_search_messages matches: each part given must match. */
export interface SearchTerms {
  /** Words and word prefixes, for to_tsquery('simple', …). */
  words: string | null;
  /** CJK pairs, a tsquery as it is. */
  bigrams: string | null;
  /** ILIKE patterns: the whole query through the trigram index, or each part of a CJK query. */
  patterns: string[] | null;
}

/**
 * How a query matches. With Chinese, Japanese or Korean characters (written without spaces, so a
 * word is any substring): their pairs through the tsvector, the rest as words, then each
 * space-separated part as a substring, so the pairs are adjacent and in order. With punctuation (no
 * word holds it): the whole query as a substring, through the trigrams. Otherwise by words and
 * word prefixes.
 */
export function searchTermsOf(query: string): SearchTerms {
  const bigrams = toBigramQuery(query);
  if (bigrams !== null) {
    return {
      words: toPrefixQuery(query.replace(cjkRun, " ")),
      bigrams,
      patterns: query.split(/\s+/u).filter(Boolean).map(toSubstringPattern),
    };
  }
  const words = toPrefixQuery(query);
  if (punctuation.test(query) || words === null) return { words: null, bigrams: null, patterns: [toSubstringPattern(query)] };
  return { words, bigrams: null, patterns: null };
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
 * Matching and the reader's rules are parley_search_messages (migration 0014): words, prefixes and
 * CJK pairs through the tsvector index, other substrings through pg_trgm; the viewer is a current member,
 * the sender is not someone they blocked, the message is not deleted and has not expired for them.
 * It returns the newest matches, reading backwards one time window at a time, so that a prefix that
 * matches tens of thousands of messages does not read them all. Here each becomes its view.
 */
const searchStatement = preparedPerDatabase((db) =>
  db
    .select({ message: sql<MessageView>`found.view`, conversation: sql<SearchRow["conversation"]>`found.conversation` })
    .from(
      sql`(
        select parley_viewer_message_view(limited, ${sql.placeholder("viewer")}::uuid) as view,
               jsonb_build_object('id', c.id, 'kind', c.kind, 'title', c.title) as conversation,
               limited.created_at, limited.id
        from parley_search_messages(
          ${sql.placeholder("viewer")}::uuid, ${sql.placeholder("words")}::text, ${sql.placeholder("bigrams")}::text,
          ${sql.placeholder("patterns")}::text[],
          ${sql.placeholder("conversation")}::uuid, ${sql.placeholder("beforeId")}::uuid,
          ${sql.placeholder("at")}::timestamptz, ${sql.placeholder("limit")}::integer
        ) limited
        join conversations c on c.id = limited.conversation_id
      ) found`,
    )
    .orderBy(sql`found.created_at desc, found.id desc`)
    .prepare("parley_search"),
);

/**
 * Messages the caller can still read that match `query`, newest first, with the matches marked:
 * Latin (and other spaced) text by words and word prefixes, CJK text and punctuation by substring
 * (see searchTermsOf).
 */
export async function searchMessages(
  services: Pick<ParleyServices, "db" | "clock">,
  input: MessageSearchInput,
): Promise<MessageSearchPage> {
  const query = input.query.trim();
  const rows = (await searchStatement(services.db).execute({
    viewer: input.userId,
    ...searchTermsOf(query),
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
