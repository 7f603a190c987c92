-- Which marking of a decided request's channel message as behind (message_behind, migration 073) is the latest:
-- counted up with every mark (the decision, a drawing Slack refused). A drawing clears only the mark it read before it
-- drew: one made while it drew (another drawing, of a newer state, that Slack refused) stays, for the sweep to draw.
ALTER TABLE step_approvals ADD COLUMN behind_mark integer NOT NULL DEFAULT 0;
