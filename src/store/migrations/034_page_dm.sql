-- Where each page's direct message is (its conversation and ts), so that it can be updated once the page is answered
-- (acknowledged, or its incident resolved): its Acknowledge button goes, and it says who answered and when.
-- `dm_state`: what the message shows now (open, acknowledged, resolved). A delivery recorded before this, or found
-- in Slack by a retry rather than sent, has no ts and is left as it was sent.
ALTER TABLE page_deliveries ADD COLUMN dm_channel text;
ALTER TABLE page_deliveries ADD COLUMN dm_ts text;
ALTER TABLE page_deliveries ADD COLUMN dm_state text NOT NULL DEFAULT 'open';
