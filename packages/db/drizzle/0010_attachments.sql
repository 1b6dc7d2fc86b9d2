CREATE TYPE "public"."attachment_kind" AS ENUM('image', 'file', 'voice', 'video', 'sticker');--> statement-breakpoint
ALTER TYPE "public"."message_kind" ADD VALUE 'sticker';--> statement-breakpoint
ALTER TABLE "attachments" ALTER COLUMN "storage_key" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "avatar_key" text;--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "conversation_id" uuid NOT NULL;--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "position" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "kind" "attachment_kind" DEFAULT 'file' NOT NULL;--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "thumbnail_key" text;--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "sticker_id" text;--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "waveform" jsonb;--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "thumbhash" text;--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "ready_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "attachments_unsent_idx" ON "attachments" USING btree ("created_at") WHERE "attachments"."message_id" is null;--> statement-breakpoint
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_blob_or_sticker" CHECK (("attachments"."storage_key" is null) = ("attachments"."sticker_id" is not null));
--> statement-breakpoint
CREATE TABLE "avatar_uploads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "avatar_uploads" ADD CONSTRAINT "avatar_uploads_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "avatar_uploads_created_at_idx" ON "avatar_uploads" USING btree ("created_at");
--> statement-breakpoint
-- Messages carry their attachments. A history page looks them up with one query for the whole
-- page (parley_attachments_for), like its reactions; the view stays one inlinable expression.
CREATE FUNCTION parley_attachment_json(a attachments)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'id', a.id,
    'kind', a.kind,
    'name', a.file_name,
    'size', a.size_bytes,
    'contentType', a.content_type,
    'width', a.width,
    'height', a.height,
    'durationMs', a.duration_ms,
    'waveform', a.waveform,
    'thumbhash', a.thumbhash,
    'url', '/api/media/' || a.id,
    'thumbnailUrl', CASE WHEN a.thumbnail_key IS NOT NULL THEN '/api/media/' || a.id || '/thumbnail' END
  ))
$$;
--> statement-breakpoint
CREATE FUNCTION parley_attachments_for(message_ids uuid[])
RETURNS TABLE (message_id uuid, attachments jsonb)
LANGUAGE sql
STABLE
AS $$
  SELECT a.message_id, jsonb_agg(parley_attachment_json(a) ORDER BY a.position)
  FROM attachments a
  WHERE a.message_id = ANY (message_ids)
  GROUP BY a.message_id
$$;
--> statement-breakpoint
CREATE FUNCTION parley_message_json(m messages, reactions jsonb, forwarded_from_name text, expires_at timestamptz, attachments jsonb)
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
    'expiresAt', to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'expiresAfterReadSeconds', m.expires_after_read_seconds,
    'forwardedFrom', CASE WHEN m.forwarded THEN jsonb_build_object(
      'userId', m.forwarded_from_user_id,
      'displayName', forwarded_from_name
    ) END,
    'reactions', reactions,
    'attachments', CASE WHEN m.deleted_at IS NOT NULL THEN '[]'::jsonb ELSE coalesce(attachments, '[]'::jsonb) END
  )
$$;
--> statement-breakpoint
CREATE FUNCTION parley_viewer_message_json(m messages, viewer uuid, reactions jsonb, forwarded_from_name text, read_expires_at timestamptz, attachments jsonb)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  SELECT parley_message_json(
    m,
    CASE WHEN m.deleted_at IS NOT NULL THEN '[]'::jsonb ELSE coalesce(reactions, '[]'::jsonb) END,
    forwarded_from_name,
    CASE WHEN m.expires_after_read_seconds IS NULL OR m.sender_id = viewer THEN m.expires_at
         ELSE least(m.expires_at, read_expires_at) END,
    attachments
  )
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION parley_message_view(m messages, reactions jsonb)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  SELECT parley_message_json(
    m,
    reactions,
    (SELECT u.display_name FROM users u WHERE u.id = m.forwarded_from_user_id),
    m.expires_at,
    (SELECT attached.attachments FROM parley_attachments_for(ARRAY[m.id]) attached)
  )
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION parley_viewer_message_view(m messages, viewer uuid)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  SELECT parley_viewer_message_json(
    m,
    viewer,
    (SELECT reacted.reactions FROM parley_reactions_for(ARRAY[m.id], viewer) reacted),
    (SELECT u.display_name FROM users u WHERE u.id = m.forwarded_from_user_id),
    (SELECT e.expires_at FROM message_expiries e WHERE e.message_id = m.id AND e.user_id = viewer),
    (SELECT attached.attachments FROM parley_attachments_for(ARRAY[m.id]) attached)
  )
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION parley_history(viewer uuid, conversation uuid, before_seq integer, page_size integer, at timestamptz)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  WITH limited AS (
    SELECT m
    FROM messages m
    WHERE m.conversation_id = conversation
      -- A bound rather than "before_seq IS NULL OR …", so the index scan starts at the cursor.
      AND m.seq < coalesce(before_seq, 2147483647)
      AND m.sender_id NOT IN (SELECT b.blocked_id FROM blocks b WHERE b.blocker_id = viewer)
      AND NOT parley_expired_for(m, viewer, at)
    ORDER BY m.seq DESC
    LIMIT page_size + 1
  ), page AS (
    SELECT (limited.m).seq AS seq,
           row_number() OVER (ORDER BY (limited.m).seq DESC) AS rank,
           parley_viewer_message_json(limited.m, viewer, reacted.reactions, author.display_name, expiry.expires_at, attached.attachments) AS view
    FROM limited
    LEFT JOIN parley_reactions_for(ARRAY(SELECT (l.m).id FROM limited l WHERE (l.m).deleted_at IS NULL), viewer) reacted
      ON reacted.message_id = (limited.m).id
    LEFT JOIN parley_attachments_for(ARRAY(SELECT (l.m).id FROM limited l WHERE (l.m).deleted_at IS NULL)) attached
      ON attached.message_id = (limited.m).id
    LEFT JOIN users author ON author.id = (limited.m).forwarded_from_user_id
    LEFT JOIN message_expiries expiry ON expiry.message_id = (limited.m).id AND expiry.user_id = viewer
  )
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
      FROM page
    )
  END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION parley_history_after(viewer uuid, conversation uuid, from_seq integer, page_size integer, at timestamptz)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  WITH limited AS (
    SELECT m
    FROM messages m
    WHERE m.conversation_id = conversation
      AND m.seq >= from_seq
      AND m.sender_id NOT IN (SELECT b.blocked_id FROM blocks b WHERE b.blocker_id = viewer)
      AND NOT parley_expired_for(m, viewer, at)
    ORDER BY m.seq
    LIMIT page_size + 1
  ), page AS (
    SELECT (limited.m).seq AS seq,
           row_number() OVER (ORDER BY (limited.m).seq) AS rank,
           parley_viewer_message_json(limited.m, viewer, reacted.reactions, author.display_name, expiry.expires_at, attached.attachments) AS view
    FROM limited
    LEFT JOIN parley_reactions_for(ARRAY(SELECT (l.m).id FROM limited l WHERE (l.m).deleted_at IS NULL), viewer) reacted
      ON reacted.message_id = (limited.m).id
    LEFT JOIN parley_attachments_for(ARRAY(SELECT (l.m).id FROM limited l WHERE (l.m).deleted_at IS NULL)) attached
      ON attached.message_id = (limited.m).id
    LEFT JOIN users author ON author.id = (limited.m).forwarded_from_user_id
    LEFT JOIN message_expiries expiry ON expiry.message_id = (limited.m).id AND expiry.user_id = viewer
  )
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
      FROM page
    )
  END
$$;
--> statement-breakpoint
ALTER FUNCTION parley_history(uuid, uuid, integer, integer, timestamptz) SET jit = off;
--> statement-breakpoint
ALTER FUNCTION parley_history_after(uuid, uuid, integer, integer, timestamptz) SET jit = off;
--> statement-breakpoint
DROP FUNCTION parley_viewer_message_json(messages, uuid, jsonb, text, timestamptz);
--> statement-breakpoint
DROP FUNCTION parley_message_json(messages, jsonb, text, timestamptz);
--> statement-breakpoint
-- Sends may carry attachments (items gain "attachmentIds"): each is claimed by its message, and
-- the message's kind follows from theirs. A new refusal: "bad_attachment".
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

    UPDATE attachments a SET message_id = stored.id, position = claimed.ordinal - 1
    FROM unnest(attachment_ids) WITH ORDINALITY AS claimed(id, ordinal)
    WHERE a.id = claimed.id;
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
-- The sweeper also hands back thumbnails and posters for deletion.
CREATE OR REPLACE FUNCTION parley_expire_messages(at timestamptz, batch_size integer)
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
    DELETE FROM attachments WHERE message_id = ANY (expired_ids) RETURNING storage_key, thumbnail_key
  )
  SELECT coalesce(array_agg(blob.key) FILTER (WHERE blob.key IS NOT NULL), '{}') INTO keys
  FROM removed, unnest(ARRAY[removed.storage_key, removed.thumbnail_key]) AS blob(key);
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
