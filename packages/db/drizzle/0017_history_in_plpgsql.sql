-- History pages, as in migration 0012, in PL/pgSQL: a SQL function that cannot be inlined is
-- planned again on every call, and planning parley_history's body (and the two lookups it calls)
-- cost more than running it. PL/pgSQL keeps each statement's plan for the session. The pages are
-- the same JSON.
CREATE OR REPLACE FUNCTION parley_reactions_for(message_ids uuid[], viewer uuid)
RETURNS TABLE (message_id uuid, reactions jsonb)
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
  RETURN QUERY
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
  GROUP BY grouped.message_id;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION parley_attachments_for(message_ids uuid[])
RETURNS TABLE (message_id uuid, attachments jsonb)
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
  RETURN QUERY
  SELECT a.message_id, jsonb_agg(parley_attachment_json(a) ORDER BY a.position)
  FROM attachments a
  WHERE a.message_id = ANY (message_ids)
  GROUP BY a.message_id;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION parley_history(viewer uuid, conversation uuid, before_seq integer, page_size integer, at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
  result jsonb;
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM conversation_members cm
    WHERE cm.conversation_id = conversation AND cm.user_id = viewer AND cm.left_at IS NULL
  ) THEN
    RETURN NULL;
  END IF;
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
  SELECT jsonb_build_object(
    'messages', coalesce(jsonb_agg(page.view ORDER BY page.seq DESC) FILTER (WHERE page.rank <= page_size), '[]'::jsonb),
    'more', count(*) > page_size
  )
  INTO result
  FROM page;
  RETURN result;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION parley_history_after(viewer uuid, conversation uuid, from_seq integer, page_size integer, at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
  result jsonb;
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM conversation_members cm
    WHERE cm.conversation_id = conversation AND cm.user_id = viewer AND cm.left_at IS NULL
  ) THEN
    RETURN NULL;
  END IF;
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
  SELECT jsonb_build_object(
    'messages', coalesce(jsonb_agg(page.view ORDER BY page.seq) FILTER (WHERE page.rank <= page_size), '[]'::jsonb),
    'more', count(*) > page_size
  )
  INTO result
  FROM page;
  RETURN result;
END
$$;
--> statement-breakpoint
-- Replacing a function drops its settings: JIT stays off for the history functions (migration 0009).
ALTER FUNCTION parley_history(uuid, uuid, integer, integer, timestamptz) SET jit = off;
--> statement-breakpoint
ALTER FUNCTION parley_history_after(uuid, uuid, integer, integer, timestamptz) SET jit = off;
