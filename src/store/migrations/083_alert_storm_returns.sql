-- A storm that goes back to an incident it had left (the later one resolved, or the storm moved back) is told again
-- there and in the incidents channel, once per return; a quick flap (back within ALERTS_STORM_RETURN_GAP) is not.
-- storm_moved_at: when storm control last sent the storm to this alert incident, or away from it (null: never);
-- storm_returns: how many returns to it were told (each one's posts claimed apart in alert_step_posts).
ALTER TABLE alert_incidents ADD COLUMN storm_moved_at timestamptz;
ALTER TABLE alert_incidents ADD COLUMN storm_returns integer NOT NULL DEFAULT 0;
