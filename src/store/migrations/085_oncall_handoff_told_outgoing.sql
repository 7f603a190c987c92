-- Who each audience that has heard of a hand-off (channel_told_at, dm_told_at) was told hands over: a renewal back to
-- exactly that tells it nothing again, a take-back names them. Set and cleared with the told marks.
ALTER TABLE oncall_handoffs ADD COLUMN channel_told_outgoing_id text, ADD COLUMN dm_told_outgoing_id text;

-- Rows as they stand: the person the notice names where that part went out; where it was renewed and not told again,
-- the person told before (replaced_outgoing_id), or the one it names when it changed back to them.
UPDATE oncall_handoffs SET
  channel_told_outgoing_id = CASE WHEN channel_told_at IS NOT NULL THEN
    CASE WHEN channel_posted_at IS NOT NULL THEN outgoing_id ELSE coalesce(replaced_outgoing_id, outgoing_id) END END,
  dm_told_outgoing_id = CASE WHEN dm_told_at IS NOT NULL THEN
    CASE WHEN dm_sent_at IS NOT NULL THEN outgoing_id ELSE coalesce(replaced_outgoing_id, outgoing_id) END END;
