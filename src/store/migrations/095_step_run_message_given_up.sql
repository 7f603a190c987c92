-- A run ended with no message on the record (its process died as Slack took the post) whose look-up in Slack kept
-- failing (its history unreadable: a missing scope, rate limited) was given up by the redraw sweep (RunMessageRedraws)
-- with nothing on its row but show_due_at cleared, as for a message drawn: the run could be looked up again by any
-- later marking, and nothing said why its message was never found. message_given_up_at: when its look-up was given up
-- (never looked up again); message_given_up_why: Slack's last answer (its error code), or what else failed.
ALTER TABLE step_runs
  ADD COLUMN message_given_up_at timestamptz,
  ADD COLUMN message_given_up_why text;
