-- An alert recorded during a maintenance window, held back as its runbook row says (`during_maintenance: record`),
-- is handled as a new alert once no window holds it any more: a critical one still firing is declared. Every alert
-- loop's sweep asks for the held-back alerts that still fire, through this small partial index (empty, and so free to
-- ask, while no window holds anything). What releasing them leads to (a declaration, a notice) is a plan held by a row
-- of the inbox the bot writes itself, in the transaction that released them: format 'maintenance_over'.
CREATE INDEX alerts_held_back_idx ON alerts (id) WHERE maintenance AND status = 'firing';
-- NOT VALID: every row written before satisfies it (the check it replaces was stricter), so the inbox, which may hold
-- a month of deliveries, is not scanned while this holds it locked; new rows are checked as ever.
ALTER TABLE alert_deliveries DROP CONSTRAINT alert_deliveries_format_check;
ALTER TABLE alert_deliveries ADD CONSTRAINT alert_deliveries_format_check
  CHECK (format IN ('alertmanager', 'generic', 'maintenance_over')) NOT VALID;
