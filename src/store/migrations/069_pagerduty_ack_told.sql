-- A PagerDuty acknowledgement is told to the incident's channel once, whichever replica a copy of its delivery reaches:
-- the delivery handling it holds it for a while (ack_handling_until; another copy waits, a resend after a crash takes
-- it over once it runs out), and once it has been told, ack_told_at says so (any later copy is ignored).

ALTER TABLE pagerduty_incidents ADD COLUMN ack_handling_until timestamptz, ADD COLUMN ack_told_at timestamptz;
