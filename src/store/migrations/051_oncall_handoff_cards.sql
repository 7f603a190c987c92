-- When the open incidents' cards were redrawn for a hand-off (a rotation's, or an override or swap starting or
-- ending): a card names the person on call for its next role, so it is redrawn once that person has changed. Null: not
-- yet (the timer loop's sweep redraws them once the hand-off is past, then sets it). Hand-offs past already count as
-- done.
ALTER TABLE oncall_handoffs ADD COLUMN cards_redrawn_at timestamptz;
UPDATE oncall_handoffs SET cards_redrawn_at = handoff_at WHERE handoff_at <= now();
CREATE INDEX oncall_handoffs_cards_due_idx ON oncall_handoffs (handoff_at) WHERE cards_redrawn_at IS NULL;
