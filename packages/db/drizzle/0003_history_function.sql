-- One history page in one statement: the membership check, the keyset page on
-- (conversation_id, seq) and each message's reactions grouped by emoji in first-use order, with
-- the viewer's blocked users left out of both. Null when the viewer is not a current member.
-- `page_size + 1` rows are read so that `more` says whether an older page exists.
CREATE FUNCTION parley_history(viewer uuid, conversation uuid, before_seq integer, page_size integer)
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
        SELECT limited.seq, limited.view, row_number() OVER (ORDER BY limited.seq DESC) AS rank
        FROM (
        SELECT m.seq,
               parley_message_view(m, CASE WHEN m.deleted_at IS NOT NULL THEN '[]'::jsonb ELSE coalesce((
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
        FROM messages m
        WHERE m.conversation_id = conversation
          -- A bound rather than "before_seq IS NULL OR …", so the index scan starts at the cursor.
          AND m.seq < coalesce(before_seq, 2147483647)
          AND m.sender_id NOT IN (SELECT b.blocked_id FROM blocks b WHERE b.blocker_id = viewer)
        ORDER BY m.seq DESC
        LIMIT page_size + 1
        ) limited
      ) page
    )
  END
$$;
