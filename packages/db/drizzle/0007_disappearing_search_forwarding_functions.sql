-- Disappearing messages, search and forwarding in the SQL that sends, reads and marks read.
-- Expiry is decided against `at`, the API's clock, passed in (not now()), so that every path that
-- reads content agrees on the instant, tests included.

-- Views carry the burn-after-reading timer and where a forwarded copy came from.
CREATE OR REPLACE FUNCTION parley_message_view(m messages, reactions jsonb)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  SELECT jsonb_build_object(
    'id', m.id,
    'conversationId', m.conversation_id,
    'seq', m.seq,
    'senderId', m.sender_id,
    'clientId', m.client_id,
    'kind', m.kind,
    'body', m.body,
    'replyToId', m.reply_to_id,
    'createdAt', to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'editedAt', to_char(m.edited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'deletedAt', to_char(m.deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'expiresAt', to_char(m.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'expiresAfterReadSeconds', m.expires_after_read_seconds,
    'forwardedFrom', CASE WHEN m.forwarded THEN jsonb_build_object(
      'userId', m.forwarded_from_user_id,
      'displayName', (SELECT u.display_name FROM users u WHERE u.id = m.forwarded_from_user_id)
    ) END,
    'reactions', reactions
  )
$$;
--> statement-breakpoint
-- True once the message is gone for this viewer: for everyone (expires_at), or for them alone
-- (their burn-after-reading clock ran out while others have not read it yet).
CREATE FUNCTION parley_expired_for(m messages, viewer uuid, at timestamptz)
RETURNS boolean
LANGUAGE sql
STABLE
AS $$
  SELECT (m.expires_at IS NOT NULL AND m.expires_at <= at)
      OR (m.expires_after_read_seconds IS NOT NULL AND EXISTS (
            SELECT 1 FROM message_expiries e
            WHERE e.message_id = m.id AND e.user_id = viewer AND e.expires_at <= at))
$$;
--> statement-breakpoint
-- A message as one viewer sees it: reactions without the users they blocked, and their own expiry
-- (a burn-after-reading recipient's clock runs from their read).
CREATE FUNCTION parley_viewer_message_view(m messages, viewer uuid)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  SELECT CASE WHEN m.expires_after_read_seconds IS NULL OR m.sender_id = viewer THEN view
    ELSE view || jsonb_build_object('expiresAt', to_char(
      least(m.expires_at, (SELECT e.expires_at FROM message_expiries e WHERE e.message_id = m.id AND e.user_id = viewer))
        AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  END
  FROM (
    SELECT parley_message_view(m, CASE WHEN m.deleted_at IS NOT NULL THEN '[]'::jsonb ELSE coalesce((
      SELECT jsonb_agg(jsonb_build_object('emoji', grouped.emoji, 'userIds', grouped.user_ids) ORDER BY grouped.first_rank)
      FROM (
        SELECT ranked.emoji, jsonb_agg(ranked.user_id ORDER BY ranked.rank) AS user_ids, min(ranked.rank) AS first_rank
        FROM (
          SELECT r.emoji, r.user_id, row_number() OVER (ORDER BY r.created_at, r.user_id) AS rank
          FROM reactions r
          WHERE r.message_id = m.id
            AND r.user_id NOT IN (SELECT b.blocked_id FROM blocks b WHERE b.blocker_id = viewer)
        ) ranked
        GROUP BY ranked.emoji
      ) grouped
    ), '[]'::jsonb) END) AS view
  ) viewed
$$;
--> statement-breakpoint
-- History pages now leave out what expired for the viewer at `at`.
DROP FUNCTION parley_history(uuid, uuid, integer, integer);
--> statement-breakpoint
CREATE FUNCTION parley_history(viewer uuid, conversation uuid, before_seq integer, page_size integer, at timestamptz)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  SELECT CASE
    WHEN NOT EXISTS (
      SELECT 1 FROM conversation_members cm
      WHERE cm.conversation_id = conversation AND cm.user_id = viewer AND cm.left_at IS NULL
    ) THEN NULL
    ELSE (
      SELECT jsonb_build_object(
        'messages', coalesce(jsonb_agg(page.view ORDER BY page.seq DESC) FILTER (WHERE page.rank <= page_size), '[]'::jsonb),
        'more', count(*) > page_size
      )
      FROM (
        -- Numbered after the LIMIT: a window over the unlimited rows would read them all.
        SELECT limited.seq, parley_viewer_message_view(limited.m, viewer) AS view,
               row_number() OVER (ORDER BY limited.seq DESC) AS rank
        FROM (
          SELECT m.seq, m
          FROM messages m
          WHERE m.conversation_id = conversation
            -- A bound rather than "before_seq IS NULL OR …", so the index scan starts at the cursor.
            AND m.seq < coalesce(before_seq, 2147483647)
            AND m.sender_id NOT IN (SELECT b.blocked_id FROM blocks b WHERE b.blocker_id = viewer)
            AND NOT parley_expired_for(m, viewer, at)
          ORDER BY m.seq DESC
          LIMIT page_size + 1
        ) limited
      ) page
    )
  END
$$;
--> statement-breakpoint
-- The other direction, for opening a message in its context: from `from_seq` (included) up,
-- oldest first. Null when the viewer is not a current member.
CREATE FUNCTION parley_history_after(viewer uuid, conversation uuid, from_seq integer, page_size integer, at timestamptz)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  SELECT CASE
    WHEN NOT EXISTS (
      SELECT 1 FROM conversation_members cm
      WHERE cm.conversation_id = conversation AND cm.user_id = viewer AND cm.left_at IS NULL
    ) THEN NULL
    ELSE (
      SELECT jsonb_build_object(
        'messages', coalesce(jsonb_agg(page.view ORDER BY page.seq) FILTER (WHERE page.rank <= page_size), '[]'::jsonb),
        'more', count(*) > page_size
      )
      FROM (
        SELECT limited.seq, parley_viewer_message_view(limited.m, viewer) AS view,
               row_number() OVER (ORDER BY limited.seq) AS rank
        FROM (
          SELECT m.seq, m
          FROM messages m
          WHERE m.conversation_id = conversation
            AND m.seq >= from_seq
            AND m.sender_id NOT IN (SELECT b.blocked_id FROM blocks b WHERE b.blocker_id = viewer)
            AND NOT parley_expired_for(m, viewer, at)
          ORDER BY m.seq
          LIMIT page_size + 1
        ) limited
      ) page
    )
  END
$$;
--> statement-breakpoint
-- Sends take the conversation's timer (expiry counted from `sent_at`) and may be forwarded
-- copies: items gain "forwarded" and "forwardedFromUserId".
DROP FUNCTION parley_send_messages(jsonb);
--> statement-breakpoint
CREATE FUNCTION parley_send_messages(batch jsonb, sent_at timestamptz)
RETURNS TABLE (item_position integer, item_outcome text, item_message jsonb, item_event_id bigint)
LANGUAGE plpgsql
AS $$
DECLARE
  item record;
  target record;
  peer uuid;
  stored messages%ROWTYPE;
  outcomes text[] := '{}';
  views jsonb[] := '{}';
  created_count integer := 0;
  last_event_id bigint;
  next_event_id bigint;
  slot integer;
BEGIN
  PERFORM 1 FROM conversations
  WHERE id IN (SELECT (element->>'conversationId')::uuid FROM jsonb_array_elements(batch) AS element)
  ORDER BY id
  FOR UPDATE;

  FOR item IN
    SELECT (element->>'conversationId')::uuid AS conversation_id,
           (element->>'senderId')::uuid AS sender_id,
           (element->>'clientId')::uuid AS client_id,
           element->>'body' AS body,
           (element->>'replyToId')::uuid AS reply_to_id,
           coalesce((element->>'forwarded')::boolean, false) AS forwarded,
           (element->>'forwardedFromUserId')::uuid AS forwarded_from_user_id
    FROM jsonb_array_elements(batch) WITH ORDINALITY AS elements(element, ordinal)
    ORDER BY ordinal
  LOOP
    views := views || NULL::jsonb;
    IF EXISTS (SELECT 1 FROM messages m WHERE m.sender_id = item.sender_id AND m.client_id = item.client_id) THEN
      outcomes := outcomes || 'duplicate'::text;
      CONTINUE;
    END IF;

    SELECT c.kind, c.direct_key, c.disappearing_seconds, c.disappearing_starts_at INTO target
    FROM conversations c
    JOIN conversation_members cm
      ON cm.conversation_id = c.id AND cm.user_id = item.sender_id AND cm.left_at IS NULL
    WHERE c.id = item.conversation_id;
    IF NOT FOUND THEN
      outcomes := outcomes || 'not_member'::text;
      CONTINUE;
    END IF;

    IF target.kind = 'direct' THEN
      peer := CASE
        WHEN split_part(target.direct_key, ':', 1)::uuid = item.sender_id THEN split_part(target.direct_key, ':', 2)
        ELSE split_part(target.direct_key, ':', 1)
      END::uuid;
      IF EXISTS (
        SELECT 1 FROM blocks b
        WHERE (b.blocker_id = item.sender_id AND b.blocked_id = peer)
           OR (b.blocker_id = peer AND b.blocked_id = item.sender_id)
      ) THEN
        outcomes := outcomes || 'blocked'::text;
        CONTINUE;
      END IF;
      IF NOT EXISTS (
        SELECT 1 FROM friendships f
        WHERE f.status = 'accepted'
          AND ((f.requester_id = item.sender_id AND f.addressee_id = peer)
            OR (f.requester_id = peer AND f.addressee_id = item.sender_id))
      ) THEN
        outcomes := outcomes || 'not_friends'::text;
        CONTINUE;
      END IF;
    END IF;

    -- A reply quotes a message the sender can still read: not one that expired for them.
    IF item.reply_to_id IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM messages m
      WHERE m.id = item.reply_to_id AND m.conversation_id = item.conversation_id
        AND NOT parley_expired_for(m, item.sender_id, sent_at)
    ) THEN
      outcomes := outcomes || 'bad_reply'::text;
      CONTINUE;
    END IF;

    -- The conversation row is ours until the commit, so last_seq + 1 is the next seq; a clientId
    -- that a concurrent transaction stored meanwhile makes the insert do nothing (no seq is used).
    INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, reply_to_id,
                          expires_at, expires_after_read_seconds, forwarded, forwarded_from_user_id)
    SELECT item.conversation_id, c.last_seq + 1, item.sender_id, item.client_id, item.body, item.reply_to_id,
           CASE WHEN target.disappearing_starts_at = 'send' THEN sent_at + target.disappearing_seconds * interval '1 second' END,
           CASE WHEN target.disappearing_starts_at = 'read' THEN target.disappearing_seconds END,
           item.forwarded, item.forwarded_from_user_id
    FROM conversations c WHERE c.id = item.conversation_id
    ON CONFLICT (sender_id, client_id) DO NOTHING
    RETURNING * INTO stored;
    IF NOT FOUND THEN
      outcomes := outcomes || 'duplicate'::text;
      CONTINUE;
    END IF;

    UPDATE conversations SET last_seq = stored.seq, last_activity_at = now() WHERE id = stored.conversation_id;
    UPDATE conversation_members SET last_read_seq = greatest(last_read_seq, stored.seq)
    WHERE conversation_id = stored.conversation_id AND user_id = stored.sender_id;

    outcomes := outcomes || 'created'::text;
    views[array_length(views, 1)] := parley_message_view(stored, '[]'::jsonb);
    created_count := created_count + 1;
  END LOOP;

  IF created_count > 0 THEN
    -- The last write: the counter row stays locked only for the event insert and the commit.
    INSERT INTO event_counter (id, value) VALUES (1, created_count)
    ON CONFLICT (id) DO UPDATE SET value = event_counter.value + created_count
    RETURNING value INTO last_event_id;
    INSERT INTO events (id, conversation_id, type, payload)
    SELECT last_event_id - created_count + row_number() OVER (ORDER BY created.ordinal),
           (created.view->>'conversationId')::uuid,
           'message.created',
           jsonb_build_object('type', 'message.created', 'conversationId', created.view->'conversationId', 'message', created.view)
    FROM unnest(views) WITH ORDINALITY AS created(view, ordinal)
    WHERE created.view IS NOT NULL;
  END IF;

  next_event_id := last_event_id - created_count;
  FOR slot IN 1 .. coalesce(array_length(outcomes, 1), 0) LOOP
    item_position := slot;
    item_outcome := outcomes[slot];
    item_message := views[slot];
    item_event_id := NULL;
    IF item_message IS NOT NULL THEN
      next_event_id := next_event_id + 1;
      item_event_id := next_event_id;
    END IF;
    RETURN NEXT;
  END LOOP;
END;
$$;
--> statement-breakpoint
-- markRead starts each burn-after-reading clock it passes (the reader's own expiry, from `at`),
-- and once every current recipient has read such a message, the message expires for everyone
-- at the last of their expiries.
DROP FUNCTION parley_mark_read(uuid, uuid, integer);
--> statement-breakpoint
CREATE FUNCTION parley_mark_read(viewer uuid, conversation uuid, target_seq integer, at timestamptz)
RETURNS TABLE (last_read_seq integer, event_id bigint)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  moved_to integer;
  moved_from integer;
  current_seq integer;
  appended bigint;
BEGIN
  SELECT cm.last_read_seq INTO moved_from FROM conversation_members cm
  WHERE cm.conversation_id = conversation AND cm.user_id = viewer AND cm.left_at IS NULL
  FOR UPDATE;

  UPDATE conversation_members cm
  SET last_read_seq = least(target_seq, c.last_seq)
  FROM conversations c
  WHERE c.id = conversation
    AND cm.conversation_id = conversation AND cm.user_id = viewer AND cm.left_at IS NULL
    AND cm.last_read_seq < least(target_seq, c.last_seq)
  RETURNING cm.last_read_seq INTO moved_to;

  IF moved_to IS NULL THEN
    SELECT cm.last_read_seq INTO current_seq FROM conversation_members cm
    WHERE cm.conversation_id = conversation AND cm.user_id = viewer AND cm.left_at IS NULL;
    IF FOUND THEN
      last_read_seq := current_seq;
      event_id := NULL;
      RETURN NEXT;
    END IF;
    RETURN;
  END IF;

  WITH started AS (
    INSERT INTO message_expiries (message_id, user_id, expires_at)
    SELECT m.id, viewer, at + m.expires_after_read_seconds * interval '1 second'
    FROM messages m
    WHERE m.conversation_id = conversation AND m.seq > moved_from AND m.seq <= moved_to
      AND m.expires_after_read_seconds IS NOT NULL AND m.sender_id <> viewer
      AND m.deleted_at IS NULL AND m.expires_at IS NULL
    ON CONFLICT DO NOTHING
    RETURNING message_id
  )
  UPDATE messages m
  SET expires_at = greatest(
    at + m.expires_after_read_seconds * interval '1 second',
    (SELECT max(e.expires_at) FROM message_expiries e WHERE e.message_id = m.id)
  )
  WHERE m.id IN (SELECT started.message_id FROM started)
    -- Every current member but the sender has read it, this reader included (whose row the
    -- statement's snapshot does not show yet).
    AND NOT EXISTS (
      SELECT 1 FROM conversation_members cm
      WHERE cm.conversation_id = m.conversation_id AND cm.left_at IS NULL
        AND cm.user_id <> m.sender_id AND cm.user_id <> viewer
        AND NOT EXISTS (SELECT 1 FROM message_expiries e WHERE e.message_id = m.id AND e.user_id = cm.user_id)
    );

  INSERT INTO event_counter (id, value) VALUES (1, 1)
  ON CONFLICT (id) DO UPDATE SET value = event_counter.value + 1
  RETURNING value INTO appended;
  INSERT INTO events (id, conversation_id, type, payload)
  VALUES (appended, conversation, 'receipt.read', jsonb_build_object(
    'type', 'receipt.read', 'conversationId', conversation, 'userId', viewer, 'lastReadSeq', moved_to
  ));
  last_read_seq := moved_to;
  event_id := appended;
  RETURN NEXT;
END;
$$;
--> statement-breakpoint
-- The sweeper: purges up to `batch_size` messages whose expiry passed by `at` (body, reactions,
-- attachments, burn clocks, reply links to them, and the content in their logged events) and
-- appends a message.expired for each. SKIP LOCKED lets sweepers on several nodes share the work
-- without waiting on each other or purging a message twice. Returns the appended events and the
-- storage keys of the attachments whose blobs should go.
CREATE FUNCTION parley_expire_messages(at timestamptz, batch_size integer)
RETURNS TABLE (event_id bigint, event_payload jsonb, storage_keys text[])
LANGUAGE plpgsql
AS $$
DECLARE
  expired_ids uuid[];
  expired_count integer;
  keys text[];
  last_event_id bigint;
BEGIN
  SELECT array_agg(due.id) INTO expired_ids FROM (
    SELECT m.id FROM messages m
    WHERE m.expires_at IS NOT NULL AND m.deleted_at IS NULL AND m.expires_at <= at
    ORDER BY m.expires_at
    LIMIT batch_size
    FOR UPDATE SKIP LOCKED
  ) due;
  IF expired_ids IS NULL THEN
    RETURN;
  END IF;
  expired_count := array_length(expired_ids, 1);

  UPDATE messages SET body = NULL, deleted_at = messages.expires_at WHERE id = ANY (expired_ids);
  DELETE FROM reactions WHERE message_id = ANY (expired_ids);
  DELETE FROM message_expiries WHERE message_id = ANY (expired_ids);
  UPDATE messages SET reply_to_id = NULL WHERE reply_to_id = ANY (expired_ids);
  WITH removed AS (
    DELETE FROM attachments WHERE message_id = ANY (expired_ids) RETURNING storage_key
  )
  SELECT coalesce(array_agg(removed.storage_key), '{}') INTO keys FROM removed;
  UPDATE events SET payload = jsonb_set(events.payload, '{message}', parley_message_view(m, '[]'::jsonb))
  FROM messages m
  WHERE m.id = ANY (expired_ids)
    AND events.type IN ('message.created', 'message.edited')
    AND (events.payload->'message'->>'id') = m.id::text;

  INSERT INTO event_counter (id, value) VALUES (1, expired_count)
  ON CONFLICT (id) DO UPDATE SET value = event_counter.value + expired_count
  RETURNING value INTO last_event_id;
  RETURN QUERY
  INSERT INTO events (id, conversation_id, type, payload)
  SELECT last_event_id - expired_count + row_number() OVER (ORDER BY m.conversation_id, m.seq),
         m.conversation_id,
         'message.expired',
         jsonb_build_object('type', 'message.expired', 'conversationId', m.conversation_id, 'messageId', m.id, 'seq', m.seq)
  FROM messages m
  WHERE m.id = ANY (expired_ids)
  RETURNING events.id, events.payload, keys;
END;
$$;
