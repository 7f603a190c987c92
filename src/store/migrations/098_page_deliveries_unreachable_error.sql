-- Slack's answer for a person a page could not reach at all (page_deliveries.unreachable: user_not_found,
-- cannot_dm_bot, user_disabled …), kept so that the card, the channel and the timeline say why, and the runbook's
-- contacts can be fixed. Null for a row from before, or for an answer not known.
ALTER TABLE page_deliveries ADD COLUMN unreachable_error text;
