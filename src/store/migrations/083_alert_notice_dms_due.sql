-- A withdrawn notice's copies sent whole to on-call (alerts.notice_dms, on its lead) to be drawn withdrawn by the alert
-- loop's sweep: Slack refusing that update failed the delivery's step, and a delivery is given up after its attempts
-- (about six minutes), which left the copy showing the whole alert for good. notice_dms_due_at: when the sweep draws
-- them (null: nothing to draw); notice_dms_attempts: its tries since.
ALTER TABLE alerts ADD COLUMN notice_dms_due_at timestamptz;
ALTER TABLE alerts ADD COLUMN notice_dms_attempts integer NOT NULL DEFAULT 0;
CREATE INDEX alerts_notice_dms_due_idx ON alerts (notice_dms_due_at) WHERE notice_dms_due_at IS NOT NULL;
