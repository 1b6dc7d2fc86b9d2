-- History pages build their message views inline. A SQL function that looks anything up is
-- called (and planned) once per row; one that is a single expression is inlined by the planner.
-- So the view itself becomes such an expression (parley_message_json), and a page's lookups are
-- joins and one reactions query for the whole page (parley_reactions_for), instead of three
-- function calls per message. The shapes returned are unchanged.

-- A message as the API shows it (MessageView in packages/api/src/domain/views.ts), from values
-- already looked up; `expires_at` is the instant it is gone for the viewer.
CREATE FUNCTION parley_message_json(m messages, reactions jsonb, forwarded_from_name text, expires_at timestamptz)
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
    'reactions', reactions
  )
$$;
--> statement-breakpoint
-- The same view as one viewer sees it: a burn-after-reading recipient's clock runs from their read
-- (`read_expires_at`, their message_expiries row), and a deleted message has no reactions.
CREATE FUNCTION parley_viewer_message_json(m messages, viewer uuid, reactions jsonb, forwarded_from_name text, read_expires_at timestamptz)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  SELECT parley_message_json(
    m,
    CASE WHEN m.deleted_at IS NOT NULL THEN '[]'::jsonb ELSE coalesce(reactions, '[]'::jsonb) END,
    forwarded_from_name,
    CASE WHEN m.expires_after_read_seconds IS NULL OR m.sender_id = viewer THEN m.expires_at
         ELSE least(m.expires_at, read_expires_at) END
  )
$$;
--> statement-breakpoint
-- Reactions of many messages in one query, per message grouped by emoji in first-use order, without
-- those of users the viewer blocked.
CREATE FUNCTION parley_reactions_for(message_ids uuid[], viewer uuid)
RETURNS TABLE (message_id uuid, reactions jsonb)
LANGUAGE sql
STABLE
AS $$
  SELECT grouped.message_id,
         jsonb_agg(jsonb_build_object('emoji', grouped.emoji, 'userIds', grouped.user_ids) ORDER BY grouped.first_rank)
  FROM (
    SELECT ranked.message_id, ranked.emoji, jsonb_agg(ranked.user_id ORDER BY ranked.rank) AS user_ids, min(ranked.rank) AS first_rank
    FROM (
      SELECT r.message_id, r.emoji, r.user_id,
             row_number() OVER (PARTITION BY r.message_id ORDER BY r.created_at, r.user_id) AS rank
      FROM reactions r
      WHERE r.message_id = ANY (message_ids)
        AND r.user_id NOT IN (SELECT b.blocked_id FROM blocks b WHERE b.blocker_id = viewer)
    ) ranked
    GROUP BY ranked.message_id, ranked.emoji
  ) grouped
  GROUP BY grouped.message_id
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION parley_message_view(m messages, reactions jsonb)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  SELECT parley_message_json(m, reactions, (SELECT u.display_name FROM users u WHERE u.id = m.forwarded_from_user_id), m.expires_at)
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
    (SELECT e.expires_at FROM message_expiries e WHERE e.message_id = m.id AND e.user_id = viewer)
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
           parley_viewer_message_json(limited.m, viewer, reacted.reactions, author.display_name, expiry.expires_at) AS view
    FROM limited
    LEFT JOIN parley_reactions_for(ARRAY(SELECT (l.m).id FROM limited l WHERE (l.m).deleted_at IS NULL), viewer) reacted
      ON reacted.message_id = (limited.m).id
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
           parley_viewer_message_json(limited.m, viewer, reacted.reactions, author.display_name, expiry.expires_at) AS view
    FROM limited
    LEFT JOIN parley_reactions_for(ARRAY(SELECT (l.m).id FROM limited l WHERE (l.m).deleted_at IS NULL), viewer) reacted
      ON reacted.message_id = (limited.m).id
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
