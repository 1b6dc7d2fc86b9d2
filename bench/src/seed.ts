import { createSession, dummyPasswordHash } from "@parley/auth";
import { createDb, type DatabaseHandle } from "@parley/db/client";

import { sqlClientOf, type DatabaseLocation, type SqlClient } from "./sql-client";

/*
 * Users, groups and history are written straight into the database (much faster than the API);
 * sessions are made with @parley/auth's createSession, so tokens are exactly what login issues.
 * Everything measured afterwards goes through the servers' real request paths.
 */

export interface SeededUser {
  id: string;
  token: string;
}

export interface SeededGroup {
  conversationId: string;
  members: SeededUser[];
}

export interface Seeder {
  users: (count: number) => Promise<SeededUser[]>;
  /** Groups of `size` consecutive users; the first of each is its owner. */
  groups: (users: SeededUser[], size: number) => Promise<SeededGroup[]>;
  /** `rows` messages in one conversation, seq 1..rows, in bulk. */
  history: (group: SeededGroup, rows: number) => Promise<void>;
  close: () => Promise<void>;
}

let batch = 0;

async function mapConcurrently<TItem, TResult>(
  items: TItem[],
  concurrency: number,
  work: (item: TItem) => Promise<TResult>,
): Promise<TResult[]> {
  const results: TResult[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as TItem);
      }
    }),
  );
  return results;
}

export function openSeeder(location: DatabaseLocation): Seeder {
  // Postgres keeps one pool for the whole run. A PGlite folder belongs to one process at a time,
  // and a server process writes to it between seedings: open it for each seeding, then close it.
  const shared: DatabaseHandle | null =
    location.kind === "postgres" ? createDb({ url: location.url, maxConnections: 8, statementTimeoutMs: 0 }) : null;
  async function withDatabase<TResult>(
    work: (handle: DatabaseHandle, sql: SqlClient) => Promise<TResult>,
  ): Promise<TResult> {
    if (shared) return work(shared, sqlClientOf(shared));
    const handle = createDb({ dataDir: (location as { dataDir: string }).dataDir });
    try {
      return await work(handle, sqlClientOf(handle));
    } finally {
      await handle.close();
    }
  }

  return {
    users: (count) => withDatabase(async (handle, sql) => {
      batch += 1;
      const prefix = `b${Date.now().toString(36)}${batch}_`;
      const rows = await sql.query<{ id: string }>(
        `insert into users (username, display_name, password_hash)
         select $1 || i, 'Bench user ' || i, $2 from generate_series(1, $3::int) as i
         returning id`,
        [prefix, dummyPasswordHash, count],
      );
      return mapConcurrently(rows, 8, async (row) => {
        const { token } = await createSession(handle.db, { userId: row.id, userAgent: "parley-bench" });
        return { id: row.id, token };
      });
    }),
    groups: (users, size) => withDatabase(async (_handle, sql) => {
      const groups: SeededGroup[] = [];
      for (let start = 0; start + size <= users.length; start += size) {
        const members = users.slice(start, start + size);
        const owner = members[0] as SeededUser;
        const [conversation] = await sql.query<{ id: string }>(
          `insert into conversations (kind, title, creator_id) values ('group', $1, $2) returning id`,
          [`Bench group ${groups.length + 1}`, owner.id],
        );
        if (!conversation) throw new Error("could not create a group");
        await sql.query(
          `insert into conversation_members (conversation_id, user_id, role)
           select $1, member, case when member = $2::uuid then 'owner'::member_role else 'member'::member_role end
           from unnest($3::uuid[]) as member`,
          [conversation.id, owner.id, members.map((member) => member.id)],
        );
        groups.push({ conversationId: conversation.id, members });
      }
      return groups;
    }),
    history: (group, rows) => withDatabase(async (handle, sql) => {
      const sender = group.members[0] as SeededUser;
      const chunk = 1_000_000;
      for (let from = 1; from <= rows; from += chunk) {
        const to = Math.min(rows, from + chunk - 1);
        await sql.query(
          `insert into messages (conversation_id, seq, sender_id, client_id, body, created_at)
           select $1, i, $2, gen_random_uuid(), 'History message number ' || i || ', long enough to look like a sentence.',
                  now() - make_interval(secs => ($4::int - i))
           from generate_series($3::int, $4::int) as i`,
          [group.conversationId, sender.id, from, to],
        );
      }
      await sql.query(`update conversations set last_seq = $2 where id = $1`, [group.conversationId, rows]);
      if (handle.postgres) await sql.query("analyze messages");
    }),
    close: async () => {
      await shared?.close();
    },
  };
}
