-- The send path in one statement: a batch of sends checked, stored and logged in one call, so a
-- send costs one round trip and a batch of concurrent sends one commit and one event-counter bump.
--
-- Each item of `batch` is {"conversationId","senderId","clientId","body","replyToId"}. One row
-- comes back per item, in batch order: item_outcome is 'created' (item_message is the message
-- view, item_event_id its message.created event), 'duplicate' (the sender already used this
-- clientId), 'not_member', 'blocked', 'not_friends' or 'bad_reply'. An item that breaks a rule
-- fails alone; the others commit.
--
-- Locks are taken in one order everywhere: the batch's conversation rows first (sorted by id, so
-- two batches cannot deadlock), the event counter last, just before the commit. Each statement in
-- PL/pgSQL sees what committed before it, so the membership and contact checks, read after the
-- conversation lock, see every change that committed before it (a removal waits for it).
-- A message as the API shows it (MessageView in packages/api/src/domain/views.ts), with its
-- reactions already grouped; dates as ISO-8601 with milliseconds, as JavaScript writes them.
CREATE FUNCTION parley_message_view(m messages, reactions jsonb)
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
    'reactions', reactions
  )
$$;
--> statement-breakpoint
CREATE FUNCTION parley_send_messages(batch jsonb)
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
           (element->>'replyToId')::uuid AS reply_to_id
    FROM jsonb_array_elements(batch) WITH ORDINALITY AS elements(element, ordinal)
    ORDER BY ordinal
  LOOP
    views := views || NULL::jsonb;
    IF EXISTS (SELECT 1 FROM messages m WHERE m.sender_id = item.sender_id AND m.client_id = item.client_id) THEN
      outcomes := outcomes || 'duplicate'::text;
      CONTINUE;
    END IF;

    SELECT c.kind, c.direct_key INTO target
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

    IF item.reply_to_id IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM messages m WHERE m.id = item.reply_to_id AND m.conversation_id = item.conversation_id
    ) THEN
      outcomes := outcomes || 'bad_reply'::text;
      CONTINUE;
    END IF;

    -- The conversation row is ours until the commit, so last_seq + 1 is the next seq; a clientId
    -- that a concurrent transaction stored meanwhile makes the insert do nothing (no seq is used).
    INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, reply_to_id)
    SELECT item.conversation_id, c.last_seq + 1, item.sender_id, item.client_id, item.body, item.reply_to_id
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
