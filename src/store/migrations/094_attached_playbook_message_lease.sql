-- A playbook attached to an incident has its checklist posted in the incident channel after the attachment is
-- recorded, and its ts recorded after Slack takes it: a process dying in between (kill -9), or a post whose answer was
-- lost, left message_ts null for good (its checklist never redrawn). As a run's (migration 093): while its process
-- posts it the attachment is held (message_lease_until, renewed); one with no message whose hold ran out is the timer
-- loop's sweep's (ChecklistMessages): looked for in the channel by its marker (the incident, the playbook and when it
-- was attached, in the message's metadata), recorded if found, posted once if not; given up after a few tries
-- (message_given_up_at, logged). Attachments recorded before are left as they are (no hold: not swept).
ALTER TABLE incident_playbooks
  ADD COLUMN message_lease_until timestamptz,
  ADD COLUMN message_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN message_given_up_at timestamptz;
CREATE INDEX incident_playbooks_unposted ON incident_playbooks (message_lease_until) WHERE message_ts IS NULL;
