-- An alert's identity is its source, its format and its fingerprint (Alertmanager's) or key (the generic format's):
-- a generic alert whose key is a fingerprint an Alertmanager alert of the same source has is another alert, not a
-- repeat of that one. Existing rows take the format of the delivery that last carried them; a row whose delivery is
-- gone (or was the bot's own plan) is generic when its group key is its key, as the generic format makes them, else
-- Alertmanager's.
ALTER TABLE alerts ADD COLUMN format text;
UPDATE alerts a SET format = d.format
  FROM alert_deliveries d WHERE d.id = a.last_delivery_id AND d.format IN ('alertmanager', 'generic');
UPDATE alerts SET format = CASE WHEN group_key = fingerprint THEN 'generic' ELSE 'alertmanager' END
  WHERE format IS NULL;
ALTER TABLE alerts ALTER COLUMN format SET NOT NULL;
ALTER TABLE alerts ADD CONSTRAINT alerts_format_check CHECK (format IN ('alertmanager', 'generic'));

-- Each alert's latest row is found by its identity, format and all.
DROP INDEX alerts_fingerprint_idx;
CREATE INDEX alerts_fingerprint_idx ON alerts (source, format, fingerprint, id DESC);
