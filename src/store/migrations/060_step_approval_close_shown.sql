-- A request closed unrun is shown so in its channel and in every approver's DM (no buttons left). Slack refusing an
-- update left live buttons there until someone pressed one (refused, but confusing at 3 a.m.): `show_due_at` is when the
-- timer loop's sweep shows it again (set when it is closed, cleared once every message shows it), `show_attempts` how
-- many times it tried.
ALTER TABLE step_approvals
  ADD COLUMN show_due_at timestamptz,
  ADD COLUMN show_attempts integer NOT NULL DEFAULT 0;
CREATE INDEX step_approvals_show_due ON step_approvals (show_due_at) WHERE show_due_at IS NOT NULL;
