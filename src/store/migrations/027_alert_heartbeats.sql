-- Heartbeat rows of the runbook's alerts (`heartbeat:`, e.g. Alertmanager's always-firing Watchdog): per row and
-- source, whether the incidents channel was told it went quiet, and the last delivery of it before then. Going quiet
-- and coming back are each told once, whatever the replicas: the row changes in the transaction that plans the notice.
CREATE TABLE alert_heartbeats (
  rule text NOT NULL,
  source text NOT NULL,
  quiet boolean NOT NULL,
  last_seen timestamptz NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (rule, source)
);

-- A heartbeat's alerts are found by their row; the column is not updated by repeats, which stay HOT updates.
CREATE INDEX alerts_rule_idx ON alerts (rule, source) WHERE rule IS NOT NULL;

-- The notices are planned in the inbox the bot writes itself, as a maintenance window's release is.
ALTER TABLE alert_deliveries DROP CONSTRAINT alert_deliveries_format_check;
ALTER TABLE alert_deliveries ADD CONSTRAINT alert_deliveries_format_check
  CHECK (format IN ('alertmanager', 'generic', 'maintenance_over', 'heartbeat')) NOT VALID;
