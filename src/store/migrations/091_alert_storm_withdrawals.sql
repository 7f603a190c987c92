-- A post of a storm's incidents-channel message that is one too many (a stalled step's, answered after the storm's next
-- step posted the message; or one found after a crash when another was recorded first) is deleted. Recorded here
-- before it is, and until Slack takes the deletion: one Slack refused (a 5xx, rate limited, internal_error) is deleted
-- by the storm's next step, its own retry included, not left showing twice.
CREATE TABLE alert_storm_withdrawals (
  channel text NOT NULL,
  ts text NOT NULL,
  source text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, ts)
);
CREATE INDEX alert_storm_withdrawals_source ON alert_storm_withdrawals (source);
