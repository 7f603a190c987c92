-- The step posting a storm's incidents-channel message (alert_storm_messages, while ts is null) holds it: another step
-- of the storm waits for the message to be up and tells its move in the thread, rather than post a second message
-- while Slack is slow to take the first. posting: the posting step's claim (the message carries it, for findStepPost);
-- posting_since: when it claimed it; posting_at: when it last said it still posts (renewed while Slack holds the post).
-- A claim not renewed for a while was left by a process that died: the next step takes it over, looking first for the
-- post that process may have made.
ALTER TABLE alert_storm_messages ADD COLUMN posting text;
ALTER TABLE alert_storm_messages ADD COLUMN posting_since timestamptz;
ALTER TABLE alert_storm_messages ADD COLUMN posting_at timestamptz;
