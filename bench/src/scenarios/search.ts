import { performance } from "node:perf_hooks";

import { createDb } from "@parley/db/client";

import { watchEventLoopLag } from "../event-loop-lag";
import type { ServerProcess } from "../processes";
import { httpCall } from "../protocol/http";
import { reportProgress } from "../progress";
import type { SeededUser } from "../seed";
import { sqlClientOf } from "../sql-client";
import { summarize } from "../statistics";
import { loadGeneratorWarnings } from "../warnings";
import type { BenchContext } from "./context";
import { judgeGoal, notMeasured, row, type ScenarioResult } from "./result";
import { startServers, stopServers } from "./servers";

/** The goal is set for this many messages in the reader's conversations. */
const goalRows = 1_000_000;
const goalP99Ms = 50;
const conversations = 20;
const warmUpQueries = 50;
/** Words are "w0" … "w4999": a word is in about one message in 600. */
const vocabulary = 5_000;
/** Each message ends in four characters drawn from the first 2,000 CJK ideographs (U+4E00 on). */
const cjkCharacters = 2_000;
const cjkRunLength = 4;

/**
 * messages.search over `--history-rows` messages (the history scenario's size) spread over 20
 * conversations the reader belongs to: eight words from a 5,000-word vocabulary plus a run of
 * four Chinese characters in each message. Queries alternate a whole word, a word prefix (a
 * four-digit word less its last digit: eleven words) and two or three characters of a seeded
 * message's Chinese run; one request at a time over loopback. Parley only: the baseline has no search.
 */
export async function searchScenario(context: BenchContext): Promise<ScenarioResult> {
  const rows = context.options.historyRows;
  const queries = context.options.historyQueries;
  const users = await context.seeder.users(2);
  const groups = [];
  for (let index = 0; index < conversations; index += 1) groups.push(...(await context.seeder.groups(users, 2)));
  const reader = users[1] as SeededUser;
  const sender = users[0] as SeededUser;

  context.log(`search: seeding ${rows.toLocaleString("en")} messages in ${conversations} conversations`);
  const seedStartedAt = performance.now();
  const cjkRuns: string[] = [];
  const location = context.database.location;
  const handle = createDb(location.kind === "postgres" ? { url: location.url } : { dataDir: location.dataDir });
  const sql = sqlClientOf(handle);
  try {
    const perConversation = Math.ceil(rows / conversations);
    for (const group of groups) {
      await sql.transaction(async (tx) => {
        // Bulk seeding outlasts the driver's default statement timeout.
        if (handle.postgres) await tx.query("set local statement_timeout = 0");
        await tx.query(
          `insert into messages (conversation_id, seq, sender_id, client_id, body, created_at)
           select $1, i, $2, gen_random_uuid(),
                  -- "0 * i" ties the subquery to its row, so that each message draws its own words.
                  (select string_agg('w' || floor(random() * ${vocabulary})::int, ' ') from generate_series(1, 8 + 0 * i)) ||
                    ' ' || (select string_agg(chr(19968 + floor(random() * ${cjkCharacters})::int), '') from generate_series(1, ${cjkRunLength} + 0 * i)),
                  now() - make_interval(secs => ($3::int - i))
           from generate_series(1, $3::int) as i`,
          [group.conversationId, sender.id, perConversation],
        );
        await tx.query(`update conversations set last_seq = $2 where id = $1`, [group.conversationId, perConversation]);
      });
    }
    if (handle.postgres) {
      await sql.transaction(async (tx) => {
        await tx.query("set local statement_timeout = 0");
        await tx.query("analyze messages");
      });
    }
    // Substring queries are cut from real messages, so that each finds something.
    const sampled = await sql.query<{ run: string }>(
      `select right(body, ${cjkRunLength}) as run from messages where conversation_id = $1 order by seq limit 500`,
      [groups[0]?.conversationId],
    );
    cjkRuns.push(...sampled.map((sample) => sample.run));
  } finally {
    await handle.close();
  }
  const seedSeconds = Math.round((performance.now() - seedStartedAt) / 100) / 10;

  const servers = await startServers(context, "parley", 1);
  const serverUrl = (servers[0] as ServerProcess).url;
  const samples: number[] = [];
  const kinds = ["whole word", "word prefix", "Chinese substring"] as const;
  const samplesByKind = new Map<(typeof kinds)[number], number[]>(kinds.map((kind) => [kind, []]));
  let results = 0;
  let lagP99Ms = 0;
  try {
    const search = async (index: number) => {
      const word = `w${Math.floor(Math.random() * vocabulary)}`;
      const prefix = `w${1_000 + Math.floor(Math.random() * (vocabulary - 1_000))}`.slice(0, 4);
      const run = cjkRuns[Math.floor(Math.random() * cjkRuns.length)] ?? "一二三";
      // Two or three characters: most Chinese words are two, which trigrams cannot index.
      const characters = Math.random() < 0.5 ? 2 : 3;
      const start = Math.floor(Math.random() * (cjkRunLength - characters + 1));
      const query = index % 3 === 0 ? word : index % 3 === 1 ? prefix : run.slice(start, start + characters);
      const input = encodeURIComponent(JSON.stringify({ query, limit: 20 }));
      const result = await httpCall({
        url: `${serverUrl}/api/trpc/messages.search?input=${input}`,
        method: "GET",
        headers: { authorization: `Bearer ${reader.token}` },
      });
      if (result.status !== 200) throw new Error(`messages.search answered ${result.status}: ${result.body.slice(0, 300)}`);
      const parsed = JSON.parse(result.body) as { result: { data: { results: unknown[] } } };
      return parsed.result.data.results.length;
    };
    context.log(`search: ${queries} queries`);
    for (let index = 0; index < Math.min(warmUpQueries, queries); index += 1) await search(index);
    const lag = watchEventLoopLag();
    const stopProgress = reportProgress(context.log, (elapsedSeconds) => `search: ${elapsedSeconds} s, ${samples.length} of ${queries} queries`);
    try {
      for (let index = 0; index < queries; index += 1) {
        const startedAt = performance.now();
        results += await search(index);
        const elapsedMs = performance.now() - startedAt;
        samples.push(elapsedMs);
        samplesByKind.get(kinds[index % 3] as (typeof kinds)[number])?.push(elapsedMs);
      }
    } finally {
      stopProgress();
    }
    lagP99Ms = lag.stop();
  } finally {
    await stopServers(servers);
  }

  const parley = { ...summarize(samples), loadGeneratorLagP99Ms: lagP99Ms };
  const goal = `search p99 ≤ ${goalP99Ms} ms over ${goalRows.toLocaleString("en")} messages`;
  return {
    id: "search",
    title: `Search: messages.search over ${rows.toLocaleString("en")} messages in ${conversations} conversations (${queries} queries)`,
    rows: [
      row("query p50", "ms", parley.p50, Number.NaN, { withRatio: false }),
      row("query p99", "ms", parley.p99, Number.NaN, { withRatio: false }),
      ...kinds.flatMap((kind) => {
        const byKind = summarize(samplesByKind.get(kind) ?? []);
        return [
          row(`${kind}: p50`, "ms", byKind.p50, Number.NaN, { withRatio: false }),
          row(`${kind}: p99`, "ms", byKind.p99, Number.NaN, { withRatio: false }),
        ];
      }),
    ],
    parley,
    baseline: null,
    goals: [
      rows >= goalRows
        ? judgeGoal(goal, { Parley: parley.p99 }, parley.p99 <= goalP99Ms)
        : notMeasured(goal, `this run seeded ${rows.toLocaleString("en")}: use --history-rows ${goalRows}`),
    ],
    warnings: loadGeneratorWarnings("Parley run", parley),
    notes: [
      `seeded in ${seedSeconds} s; a third each: a whole word, a word prefix, a 2- or 3-character Chinese substring; ${Math.round(results / Math.max(1, samples.length))} results per query on average (limit 20)`,
      "the baseline has no search: Parley only",
    ],
  };
}
