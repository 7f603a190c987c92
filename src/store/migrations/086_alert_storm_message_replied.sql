-- A storm's incidents-channel message (alert_storm_messages) says "the thread says when it changed" only once its
-- thread has a reply: one posted by a later step after Slack refused the first (naming the incidents before it), or
-- updated for a quick return (ALERTS_STORM_RETURN_GAP, told nowhere), may have none. replied: a move of the storm was
-- told in its thread (false again for a new message).
ALTER TABLE alert_storm_messages ADD COLUMN replied boolean NOT NULL DEFAULT false;
