-- When repeats of an alert incident's alerts were last recorded (the recording that made its card's refresh due):
-- a card rendered from a read that saw this time (and this due refresh) shows those repeats, so once that card is in
-- Slack the refresh is no longer due, unless later repeats moved this time meanwhile. Without it, a card refreshed for
-- another reason (a new alert, a resolution, a severity change) was refreshed again for repeats it already showed.
ALTER TABLE alert_incidents ADD COLUMN repeats_at timestamptz;
