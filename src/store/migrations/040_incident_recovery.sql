-- The recovery time objective of the procedure attached to the incident (the first attached that has one: Disaster
-- Recovery's RTO 2-4 hours), as {"playbook": id, "minMs": n, "maxMs": n}; null when none has. Its escalation rules tell
-- the channel when the RTO's lower bound and the RTO itself pass, counted from the declaration.
ALTER TABLE incidents ADD COLUMN recovery jsonb;
