-- A closed request's channel message is marked behind (message_behind, migration 073) by its closing, as a decided
-- one's is by its decision, and cleared once a drawing Slack took there: the timer loop's sweep no longer draws it
-- again every round while Slack refuses only a direct message. A closed request still due to be drawn again when this
-- ran may not have been drawn in its channel yet: marked behind, for the sweep to draw it there too.
UPDATE step_approvals SET message_behind = true, behind_mark = behind_mark + 1
 WHERE state = 'closed' AND show_due_at IS NOT NULL;
