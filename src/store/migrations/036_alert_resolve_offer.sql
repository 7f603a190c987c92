-- Where the message telling an incident's channel that every alert of it had resolved is (its channel and ts), with
-- its Resolve incident button: updated once the offer no longer stands (an alert fired again, or the incident was
-- resolved), its button gone. Cleared once updated.
ALTER TABLE alert_incidents ADD COLUMN offer_channel text;
ALTER TABLE alert_incidents ADD COLUMN offer_ts text;
