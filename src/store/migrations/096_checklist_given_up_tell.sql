-- A checklist the sweep gave up posting (migrations 093, 094) has its person told in a direct message: that message
-- was sent once, and Slack refusing it (or the network) left nobody told. The telling is durable now: tell_due_at is
-- when it is tried (again), held meanwhile by the process telling; tell_attempts its tries so far (given up, logged,
-- after a few); message_given_up_why Slack's last answer when the checklist was given up, which the message says.
ALTER TABLE playbook_runs
  ADD COLUMN tell_due_at timestamptz,
  ADD COLUMN tell_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN message_given_up_why text;
CREATE INDEX playbook_runs_tell_due ON playbook_runs (tell_due_at) WHERE tell_due_at IS NOT NULL;
ALTER TABLE incident_playbooks
  ADD COLUMN tell_due_at timestamptz,
  ADD COLUMN tell_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN message_given_up_why text;
CREATE INDEX incident_playbooks_tell_due ON incident_playbooks (tell_due_at) WHERE tell_due_at IS NOT NULL;
