-- A post of a storm's message one too many that Slack would not delete (alert_storm_withdrawals) is deleted by the
-- alert loop's sweep, not by the storm's next step (none may come: the storm is over): due_at, when it is tried next
-- (a claim leases it by moving it on); attempts, the sweep's tries so far, given up (logged, the row dropped) after a
-- few. Rows recorded before are due at once.
ALTER TABLE alert_storm_withdrawals ADD COLUMN due_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE alert_storm_withdrawals ADD COLUMN attempts integer NOT NULL DEFAULT 0;
CREATE INDEX alert_storm_withdrawals_due ON alert_storm_withdrawals (due_at);
