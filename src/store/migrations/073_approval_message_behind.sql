-- A decided request's channel message (the decision's own to draw: approved or denied, and how its run ended) that may
-- still show an older state: Slack refused the decision's update, or the process stopped before it drew it. The timer
-- loop's sweep (show_due_at) then draws it too, not only the request's direct messages; cleared once it is drawn.
ALTER TABLE step_approvals ADD COLUMN message_behind boolean NOT NULL DEFAULT false;
