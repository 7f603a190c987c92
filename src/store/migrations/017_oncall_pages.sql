-- On-call, continued: the outgoing person's direct message at each hand-off (sent once, at the hand-off), and a
-- page acknowledged by the person it paged (its remaining notification steps stop), apart from the incident's own
-- acknowledgement.

ALTER TABLE oncall_handoffs ADD COLUMN outgoing_dm_sent_at timestamptz;

ALTER TABLE pages ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE pages ADD COLUMN acknowledged_by text;
