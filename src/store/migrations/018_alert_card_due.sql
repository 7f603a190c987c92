-- Repeats of alerts already on a card (their counts, last seen) are shown by a refresh due a while later
-- (ALERTS_REPEAT_REFRESH), not one per delivery: a storm's repeats cost a card update every few seconds per incident,
-- within Slack's chat.update limits. The due time lives here so that a process killed before the refresh leaves it
-- to the next: each process's alert loop refreshes the cards that are due.
ALTER TABLE alert_incidents ADD COLUMN card_due_at timestamptz;
CREATE INDEX alert_incidents_card_due_idx ON alert_incidents (card_due_at) WHERE card_due_at IS NOT NULL;
