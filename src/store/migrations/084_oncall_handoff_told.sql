-- Who has heard of a hand-off notice's hand-off, and not been told it is off since: the channel (channel_told_at), the
-- incoming person (dm_told_at). Set with the notice's sent marks, kept when the notice is renewed for another outgoing
-- person (its sent marks cleared, to be told again), cleared when that audience is told the hand-off is off, or when
-- someone else takes over. A take-back tells exactly these, whatever renewals happened between.
ALTER TABLE oncall_handoffs ADD COLUMN channel_told_at timestamptz, ADD COLUMN dm_told_at timestamptz;

-- Rows as they stand: told when sent; a notice renewed and not told again yet (replaced_outgoing_id) was told before,
-- to whom is not known: both, as the take-back took it until now. Not where the take-back went out already.
UPDATE oncall_handoffs SET
  channel_told_at = CASE WHEN withdrawn_channel_at IS NULL
    THEN coalesce(channel_posted_at, CASE WHEN replaced_outgoing_id IS NOT NULL THEN created_at END) END,
  dm_told_at = CASE WHEN withdrawn_dm_at IS NULL
    THEN coalesce(dm_sent_at, CASE WHEN replaced_outgoing_id IS NOT NULL THEN created_at END) END;
