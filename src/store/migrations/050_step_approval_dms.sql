-- Where an approval request was sent to each approver in a direct message ([{"user", "channel", "ts"}]), so that its
-- decision, made in the channel or in any of them, shows in all of them. Null: none sent (or none yet).
ALTER TABLE step_approvals ADD COLUMN dms jsonb;
