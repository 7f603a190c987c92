-- Alertmanager's `truncatedAlerts`: how many alerts of the group its webhook left out of a delivery (the receiver's
-- `max_alerts`). Kept per delivery, and per alert incident as its group's latest delivery said: the card says so.
ALTER TABLE alert_deliveries ADD COLUMN truncated integer NOT NULL DEFAULT 0;
ALTER TABLE alert_incidents ADD COLUMN truncated integer NOT NULL DEFAULT 0;
