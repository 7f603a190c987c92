-- A playbook run's checklist message is posted after the run is recorded, and its ts recorded after Slack takes it: a
-- process dying in between (kill -9), or a post whose answer was lost, left message_ts null for good. While its
-- process posts it the run is held (message_lease_until, renewed); a run with no message whose hold ran out is the
-- timer loop's sweep's (PlaybookRunMessages): looked for in its channel by its marker (the run's id in the message's
-- metadata), recorded if found, posted once if not. message_attempts: the sweep's tries so far, given up after a few
-- (message_given_up_at, logged). Runs recorded before are left as they are (no hold: not swept).
ALTER TABLE playbook_runs
  ADD COLUMN message_lease_until timestamptz,
  ADD COLUMN message_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN message_given_up_at timestamptz;
CREATE INDEX playbook_runs_unposted ON playbook_runs (message_lease_until) WHERE message_ts IS NULL;
