-- A page's direct message Slack will never update (its answer to chat.update: message_not_found, channel_not_found,
-- account_inactive …), as that answer: no later redraw tries it again (each change of the incident tried it once more,
-- and every one was refused the same way). Null: still updated as the incident changes.
ALTER TABLE page_deliveries ADD COLUMN dm_gone text;
ALTER TABLE notification_jobs ADD COLUMN dm_gone text;
