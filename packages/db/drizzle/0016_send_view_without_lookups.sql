-- The send path, as in migration 0012, with the message's view built from what the send already
-- has: parley_message_view looked up attachments and a forwarded-from name for every message, and
-- as a SQL function called from PL/pgSQL its body was planned again for every batch. A text message
-- now runs no attachment statement at all; the view is the same JSON.
CREATE OR REPLACE FUNCTION parley_send_messages(batch jsonb, sent_at timestamptz)
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
  attachment_ids uuid[];
  claimed_count integer;
  claimed_kinds text[];
  message_kind text;
  attachment_views jsonb;
  forwarded_from_name text;
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
           (element->>'forwardedFromUserId')::uuid AS forwarded_from_user_id,
           ARRAY(SELECT jsonb_array_elements_text(coalesce(element->'attachmentIds', '[]'::jsonb))::uuid) AS attachment_ids
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

    -- Each attachment is the sender's own upload to this conversation, checked and never sent
    -- before. The row locks make a concurrent send of the same upload wait, then find it taken.
    attachment_views := NULL;
    forwarded_from_name := NULL;
    attachment_ids := item.attachment_ids;
    message_kind := 'text';
    IF cardinality(attachment_ids) > 0 THEN
      SELECT count(*), array_agg(DISTINCT claimable.kind::text) INTO claimed_count, claimed_kinds
      FROM (
        SELECT a.kind FROM attachments a
        WHERE a.id = ANY (attachment_ids) AND a.uploader_id = item.sender_id
          AND a.conversation_id = item.conversation_id AND a.message_id IS NULL AND a.ready_at IS NOT NULL
        FOR UPDATE
      ) claimable;
      -- A sticker or a voice message travels alone.
      IF claimed_count <> cardinality(attachment_ids)
         OR (cardinality(attachment_ids) > 1 AND claimed_kinds && ARRAY['sticker', 'voice']) THEN
        outcomes := outcomes || 'bad_attachment'::text;
        CONTINUE;
      END IF;
      message_kind := CASE
        WHEN cardinality(claimed_kinds) = 1 THEN claimed_kinds[1]
        WHEN claimed_kinds <@ ARRAY['image', 'video'] THEN 'image'
        ELSE 'file'
      END;
    END IF;

    -- The conversation row is ours until the commit, so last_seq + 1 is the next seq; a clientId
    -- that a concurrent transaction stored meanwhile makes the insert do nothing (no seq is used).
    INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body, reply_to_id,
                          expires_at, expires_after_read_seconds, forwarded, forwarded_from_user_id)
    SELECT item.conversation_id, c.last_seq + 1, item.sender_id, item.client_id, message_kind::message_kind, item.body, item.reply_to_id,
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

    IF cardinality(attachment_ids) > 0 THEN
      UPDATE attachments a SET message_id = stored.id, position = claimed.ordinal - 1
      FROM unnest(attachment_ids) WITH ORDINALITY AS claimed(id, ordinal)
      WHERE a.id = claimed.id;
      SELECT attached.attachments INTO attachment_views FROM parley_attachments_for(ARRAY[stored.id]) attached;
    END IF;
    IF stored.forwarded THEN
      SELECT u.display_name INTO forwarded_from_name FROM users u WHERE u.id = stored.forwarded_from_user_id;
    END IF;
    UPDATE conversations SET last_seq = stored.seq, last_activity_at = now() WHERE id = stored.conversation_id;
    UPDATE conversation_members SET last_read_seq = greatest(last_read_seq, stored.seq)
    WHERE conversation_id = stored.conversation_id AND user_id = stored.sender_id;

    outcomes := outcomes || 'created'::text;
    views[array_length(views, 1)] := parley_message_json(stored, '[]'::jsonb, forwarded_from_name, stored.expires_at, attachment_views);
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
