-- When the source says its alert started and ended (Alertmanager's and Grafana's startsAt and endsAt), not only when
-- the bot heard of it. starts_at is the start of the alert's current firing, as its last delivery said: a delivery of
-- an alert whose incident a person resolved while it fired, with the same start, is a resend of that firing, not a new
-- one (no new incident); a new start is a new firing. first_seen becomes the earliest start the source gave (or the
-- bot's receipt, without one) and resolved_at the source's end, so the card and the timeline show the alert's own
-- times, not when a delivery reached the bot (up to a group_interval later, more with the inbox backed up). Null for
-- the generic format, which sends no times, and for rows written before this.
ALTER TABLE alerts ADD COLUMN starts_at timestamptz;
ALTER TABLE alerts ADD COLUMN ends_at timestamptz;
