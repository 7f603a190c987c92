-- A hand-off notice already sent (the channel line, the incoming person's direct message) for a hand-off that no
-- longer happens (its override or swap cancelled before it started) is taken back: when each correction was sent.

ALTER TABLE oncall_handoffs ADD COLUMN withdrawn_channel_at timestamptz, ADD COLUMN withdrawn_dm_at timestamptz;
