-- The severity a page's direct message shows (its first DM's in page_deliveries, a later Slack step's in
-- notification_jobs), as it was drawn: sent, or shown again after a severity change. A DM still open whose severity is
-- not the incident's is behind, and the timer of the change (`redraw_pages`) shows it again until Slack takes it.
-- Null: drawn before this was recorded (shown again at the incident's next severity change).
ALTER TABLE page_deliveries ADD COLUMN dm_severity smallint;
ALTER TABLE notification_jobs ADD COLUMN dm_severity smallint;
