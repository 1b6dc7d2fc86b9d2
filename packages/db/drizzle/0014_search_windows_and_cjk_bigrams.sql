-- Search, part 1: Chinese, Japanese and Korean by their bigrams. pg_trgm needs three characters
-- to use its index, and most Chinese words are two ("北京"), so a two-character query read every
-- message. Each run of CJK characters in a body now adds its overlapping pairs, and its last
-- character alone, to the words' tsvector: a query of two or more such characters is the AND of its
-- pairs (then ILIKE keeps only bodies where they are adjacent, in order), a single character is a
-- prefix of them. The ranges are the same as cjkRun's in packages/api/src/domain/search.ts.
-- PL/pgSQL rather than SQL: every insert evaluates it, and a SQL function's body is planned
-- again for each statement (about 140 µs an insert, against 30 µs here with its plan kept); a body
-- without CJK characters skips the pairs (no slower than to_tsvector alone).
CREATE FUNCTION parley_search_vector(body text)
RETURNS tsvector
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
AS $$
BEGIN
  IF body IS NULL OR body !~ '[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]' THEN
    RETURN to_tsvector('simple', body);
  END IF;
  RETURN to_tsvector('simple', body) || array_to_tsvector(array(
    SELECT DISTINCT substr(run.parts[1], position, 2)
    FROM regexp_matches(lower(body), '[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]+', 'g') AS run(parts),
         generate_series(1, char_length(run.parts[1])) AS position));
END
$$;
--> statement-breakpoint
DROP INDEX "messages_body_words_idx";--> statement-breakpoint
CREATE INDEX "messages_body_search_idx" ON "messages" USING gin (parley_search_vector("body"));--> statement-breakpoint
CREATE INDEX "messages_conversation_created_idx" ON "messages" USING btree ("conversation_id","created_at");--> statement-breakpoint
-- Search, part 2: newest first, one time window at a time. A word prefix can match tens of
-- thousands of messages; sorting them all by time to return the newest 20 read every one from the
-- table (12,472 heap blocks for "w123*" in a million messages). Each window's matches are the AND of
-- the tsvector's (or trigrams') bitmap with messages_conversation_created_idx's for the caller's conversations in the
-- window, so only they are read. Windows grow backwards from the caller's latest activity (or the
-- cursor) until the page is full; the last one is unbounded, so every match is still found.
--
-- Each window is planned with its own values (EXECUTE), so the planner ANDs the two bitmaps where
-- the window is narrower than the matches and reads the matches alone where they are few. The rules
-- are history's: a current member, not deleted, not a system notice, not from someone the caller
-- blocked, not expired for the caller. `words` is a prefix query for to_tsquery('simple', …),
-- `bigrams` a tsquery of CJK pairs as they are, `patterns` ILIKE patterns (one, through the trigram
-- index; or several, each part of a CJK query, checked on the bigrams' matches); each may be null,
-- and what is given must all match. The expiry test is written out rather than calling
-- parley_expired_for, which is not inlined (it holds a subquery) and so cost a function call a row.
CREATE FUNCTION parley_search_messages(viewer uuid, words text, bigrams text, patterns text[], conversation uuid, before_id uuid, at timestamptz, page_size integer)
RETURNS SETOF messages
LANGUAGE plpgsql
STABLE
SET jit = off
AS $$
DECLARE
  member_of uuid[] := array(
    SELECT cm.conversation_id FROM conversation_members cm
    WHERE cm.user_id = viewer AND cm.left_at IS NULL AND (conversation IS NULL OR cm.conversation_id = conversation));
  blocked uuid[] := array(SELECT bl.blocked_id FROM blocks bl WHERE bl.blocker_id = viewer);
  spans interval[] := array['1 hour', '6 hours', '1 day', '7 days', '30 days', '365 days']::interval[];
  cursor_at timestamptz;
  cursor_id uuid;
  anchor timestamptz;
  lower_at timestamptz;
  upper_at timestamptz := 'infinity';
  wanted integer := page_size;
  returned integer;
  terms tsquery := CASE
    WHEN words IS NULL THEN bigrams::tsquery
    WHEN bigrams IS NULL THEN to_tsquery('simple', words)
    ELSE to_tsquery('simple', words) && bigrams::tsquery
  END;
  statement text := format($query$
    SELECT m.* FROM messages m
    WHERE m.conversation_id = ANY ($1) AND m.deleted_at IS NULL AND m.kind <> 'system' AND %s
      AND m.created_at >= $3 AND m.created_at < $4
      AND ($5::timestamptz IS NULL OR (m.created_at, m.id) < ($5, $6))
      AND m.sender_id <> ALL ($7)
      AND NOT ((m.expires_at IS NOT NULL AND m.expires_at <= $9)
        OR (m.expires_after_read_seconds IS NOT NULL AND EXISTS (
          SELECT 1 FROM message_expiries e WHERE e.message_id = m.id AND e.user_id = $8 AND e.expires_at <= $9)))
    ORDER BY m.created_at DESC, m.id DESC
    LIMIT $10
  $query$, concat_ws(' AND ',
    CASE WHEN terms IS NOT NULL THEN 'parley_search_vector(m.body) @@ $2' END,
    CASE WHEN coalesce(cardinality(patterns), 0) = 0 THEN NULL
      WHEN cardinality(patterns) = 1 THEN 'm.body ILIKE $11[1]'
      ELSE 'm.body ILIKE ALL ($11)' END));
BEGIN
  IF cardinality(member_of) = 0 OR page_size < 1 OR (terms IS NULL AND coalesce(cardinality(patterns), 0) = 0) THEN
    RETURN;
  END IF;
  IF before_id IS NOT NULL THEN
    SELECT b.created_at, b.id INTO cursor_at, cursor_id FROM messages b WHERE b.id = before_id;
    IF NOT FOUND THEN
      RETURN;
    END IF;
  END IF;
  anchor := coalesce(cursor_at, (SELECT max(c.last_activity_at) FROM conversations c WHERE c.id = ANY (member_of)), now());
  FOR step IN 1 .. cardinality(spans) + 1 LOOP
    lower_at := CASE WHEN step <= cardinality(spans) THEN anchor - spans[step] ELSE '-infinity' END;
    RETURN QUERY EXECUTE statement USING member_of, terms, lower_at, upper_at, cursor_at, cursor_id, blocked, viewer, at, wanted, patterns;
    GET DIAGNOSTICS returned = ROW_COUNT;
    wanted := wanted - returned;
    EXIT WHEN wanted <= 0;
    upper_at := lower_at;
  END LOOP;
END
$$;
