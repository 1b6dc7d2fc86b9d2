-- markRead in one statement: the read position moves forward to `target_seq` (never back, never
-- past the newest message) and, when it moved, its receipt.read event is appended with the
-- counter bumped as the last write. No row: the viewer is not a current member. `event_id` is
-- null when the position was already there.
CREATE FUNCTION parley_mark_read(viewer uuid, conversation uuid, target_seq integer)
RETURNS TABLE (last_read_seq integer, event_id bigint)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  moved_to integer;
  current_seq integer;
  appended bigint;
BEGIN
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
