import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { MessageView, ParleyClient } from "../src/index";
import { createGroup, createTestDatabase, queryRows, waitUntil, type TestDatabase } from "./harness";
import { createNodeClients, startNode, type NodeUser, type ParleyNode } from "./node-process";

/*
 * A node is killed with SIGKILL while batches of sends are being stored, and a new node takes
 * over the same database. Whatever the kill interrupted, a message is either stored once (and a
 * retry of its clientId answers with it) or not at all (and a retry stores it), and the
 * conversation's seqs and event log carry no trace of the interrupted batches.
 */

const enabled = Boolean(process.env.DATABASE_URL);
if (!enabled) {
  console.info(
    "crash tests skipped: they need DATABASE_URL (the killed node and its replacement are two processes, " +
      "which cannot share an in-memory PGlite)",
  );
}

const senderCount = 6;
const sendsPerSender = 60;
const lanesPerSender = 6;
/** The node is killed once this share of the sends has been acknowledged. */
const killAfterAcknowledgedShare = 0.4;
const acknowledgedResendCount = 12;

interface PlannedSend {
  sender: NodeUser;
  clientId: string;
  body: string;
}

interface StoredRow {
  id: string;
  sender_id: string;
  client_id: string;
  seq: number;
  body: string;
}

let database: TestDatabase;
const nodeClients = createNodeClients();
const nodes: ParleyNode[] = [];

describe.skipIf(!enabled)("a node killed in the middle of batched sends", () => {
  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await nodeClients.closeAll();
    await Promise.all(nodes.map((node) => node.stop()));
    await database?.drop();
  });

  it(
    "keeps every acknowledged message exactly once, and a retry of each unacknowledged one stores it once",
    async () => {
      const nodeEnv = {
        DATABASE_URL: database.url ?? "",
        // A single node: the bus stays in-process, whatever the environment running the tests says.
        REDIS_URL: "",
        PORT: "0",
        SEND_RATE_BURST: "100000",
        SEND_RATE_PER_SECOND: "100000",
        LOG_LEVEL: "error",
      };
      const first = await startNode(nodeEnv);
      nodes.push(first);
      const [owner, ...members] = await Promise.all(
        Array.from({ length: senderCount }, (_, index) => nodeClients.signUp(first, `sender${index}`)),
      );
      if (!owner) throw new Error("no owner");
      const group = await createGroup(owner, members, "Through a crash");
      const senders = [owner, ...members];

      const planned: PlannedSend[] = senders.flatMap((sender) =>
        Array.from({ length: sendsPerSender }, (_, index) => ({
          sender,
          clientId: randomUUID(),
          body: `${sender.username} #${index}`,
        })),
      );
      const sendThrough = (client: ParleyClient, send: PlannedSend) =>
        client.api.messages.send.mutate({ conversationId: group.id, clientId: send.clientId, body: send.body });

      const acknowledged = new Map<string, MessageView>();
      let started = 0;
      let settled = 0;
      let killed = false;
      const unexpectedErrors: unknown[] = [];
      const sendUntilKilled = async (queue: PlannedSend[]) => {
        for (let send = queue.shift(); send && !killed; send = queue.shift()) {
          started += 1;
          try {
            acknowledged.set(send.clientId, await sendThrough(send.sender.client, send));
          } catch (error) {
            // Only the kill may make a send fail; anything else is a bug the test must show.
            if (!killed) unexpectedErrors.push(error);
          } finally {
            settled += 1;
          }
        }
      };
      const lanes = senders.flatMap((sender) => {
        const queue = planned.filter((send) => send.sender === sender);
        return Array.from({ length: lanesPerSender }, () => sendUntilKilled(queue));
      });

      await waitUntil(
        () => acknowledged.size >= planned.length * killAfterAcknowledgedShare || unexpectedErrors.length > 0,
        120_000,
        `${killAfterAcknowledgedShare * 100}% of the sends to be acknowledged`,
      );
      expect(unexpectedErrors).toEqual([]);
      killed = true;
      const inFlightAtKill = started - settled;
      first.kill();
      await first.exited;
      await Promise.all(lanes);
      const sentBeforeKill = started;
      const acknowledgedBeforeKill = acknowledged.size;
      // The kill must land among sends in flight, or this test would prove nothing about batches.
      expect(inFlightAtKill).toBeGreaterThan(0);

      const second = await startNode(nodeEnv);
      nodes.push(second);
      const [atRestart] = await queryRows<{ stored: number }>(
        database,
        "select count(*)::int as stored from messages where conversation_id = $1",
        [group.id],
      );
      const storedAtRestart = atRestart?.stored ?? 0;
      const clientsOnSecond = new Map(
        senders.map((sender) => [sender, nodeClients.connect(second, sender.client.token ?? undefined)]),
      );
      const clientOf = (send: PlannedSend) => clientsOnSecond.get(send.sender) as ParleyClient;

      // Each unacknowledged send is retried as a client would: same clientId, now on the new node.
      const unacknowledged = planned.filter((send) => !acknowledged.has(send.clientId));
      const resent = planned.filter((send) => acknowledged.has(send.clientId)).slice(0, acknowledgedResendCount);
      const [retries, resends] = await Promise.all([
        Promise.all(unacknowledged.map((send) => sendThrough(clientOf(send), send))),
        Promise.all(resent.map((send) => sendThrough(clientOf(send), send))),
      ]);
      // A resend of an acknowledged message answers with that message, unchanged.
      expect(resends).toEqual(resent.map((send) => acknowledged.get(send.clientId)));
      unacknowledged.forEach((send, index) => acknowledged.set(send.clientId, retries[index] as MessageView));

      const rows = await queryRows<StoredRow>(
        database,
        "select id, sender_id, client_id, seq, body from messages where conversation_id = $1 order by seq",
        [group.id],
      );
      // Rows written by one transaction share its xmin: one batch of the writer. The ones stored
      // before the restart are the first node's.
      const [largest] = await queryRows<{ messages: number }>(
        database,
        `select count(*)::int as messages from messages where conversation_id = $1 and seq <= $2
         group by xmin::text order by 1 desc limit 1`,
        [group.id, storedAtRestart],
      );
      console.info(
        `crash test: ${planned.length} sends planned, ${sentBeforeKill} sent before the kill ` +
          `(${inFlightAtKill} in flight when it landed), ${acknowledgedBeforeKill} acknowledged before the kill, ` +
          `${storedAtRestart} stored when the new node started ` +
          `(${storedAtRestart - acknowledgedBeforeKill} committed but never acknowledged), ` +
          `${unacknowledged.length} retried, ${rows.length} stored in the end; largest batch before the kill ${largest?.messages} messages`,
      );
      expect(largest?.messages).toBeGreaterThan(1);

      // Every message stored once, each clientId once, seqs 1..N with no gap.
      expect(rows).toHaveLength(planned.length);
      expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: planned.length }, (_, index) => index + 1));
      expect(new Set(rows.map((row) => row.client_id)).size).toBe(planned.length);
      const rowByClientId = new Map(rows.map((row) => [row.client_id, row]));
      for (const send of planned) {
        const message = acknowledged.get(send.clientId);
        expect(message, `an acknowledgement for ${send.body}`).toBeDefined();
        expect(rowByClientId.get(send.clientId)).toEqual({
          id: message?.id,
          sender_id: send.sender.user.id,
          client_id: send.clientId,
          seq: message?.seq,
          body: send.body,
        });
      }

      // One message.created event per stored message, and none for anything else.
      const events = await queryRows<{ message_id: string; events: number }>(
        database,
        `select payload->'message'->>'id' as message_id, count(*)::int as events
         from events where type = 'message.created' and conversation_id = $1 group by 1`,
        [group.id],
      );
      expect(events).toHaveLength(rows.length);
      expect(new Set(events.map((event) => event.message_id))).toEqual(new Set(rows.map((row) => row.id)));
      expect(events.every((event) => event.events === 1)).toBe(true);

      // The conversation goes on from where its log left off.
      const next = await clientOf(planned[0] as PlannedSend).api.messages.send.mutate({
        conversationId: group.id,
        clientId: randomUUID(),
        body: "after the crash",
      });
      expect(next.seq).toBe(planned.length + 1);
    },
    300_000,
  );
});
