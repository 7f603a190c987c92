-- An alert's runbook link (Alertmanager's `runbook_url` annotation, the generic format's `runbook_url`), kept beside
-- its source link (`url`: Prometheus's generatorURL), which Prometheus always sets: the card shows both.
ALTER TABLE alerts ADD COLUMN runbook_url text;
