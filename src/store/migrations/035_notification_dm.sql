-- Where a page's later Slack step's direct message is (its conversation and ts), as page_deliveries holds the page's
-- first DM's (034): updated once the page is answered, its Acknowledge gone. `dm_state` as there.
ALTER TABLE notification_jobs ADD COLUMN dm_channel text;
ALTER TABLE notification_jobs ADD COLUMN dm_ts text;
ALTER TABLE notification_jobs ADD COLUMN dm_state text NOT NULL DEFAULT 'open';
