-- A withdrawn notice's copies sent whole to on-call (alerts.notice_dms, on its lead) to be drawn withdrawn by the alert
-- loop's sweep: Slack refusing that update failed the delivery's step, and a delivery is given up after its attempts
-- (about six minutes), which left the copy showing the whole alert for good. notice_dms_due_at: when the sweep draws
-- them (null: nothing to draw); notice_dms_attempts: its tries since.
ALTER TABLE alerts ADD COLUMN notice_dms_due_at timestamptz;
ALTER TABLE alerts ADD COLUMN notice_dms_attempts integer NOT NULL DEFAULT 0;
CREATE INDEX alerts_notice_dms_due_idx ON alerts (notice_dms_due_at) WHERE notice_dms_due_at IS NOT NULL;

-- A storm's incidents-channel message (alert_storm_messages) that Slack refused as it was first posted is kept, with
-- the incidents it was sent to, in order, rather than deleted: deleted, the step that refused it, tried again after
-- another step of the storm had posted its own, was listed last, as if the storm had gone back to it. refused_at:
-- when (null: not refused); the next step of the storm (or its retry) posts it then, each incident in its place.
ALTER TABLE alert_storm_messages ADD COLUMN refused_at timestamptz;
