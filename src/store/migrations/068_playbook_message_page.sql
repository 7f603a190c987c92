-- The page of its steps a long playbook's message was turned to with its page select (from 0): every redraw of the
-- message (a tick, a run's progress, a detach) shows that page, not the one of the step acted on or next, until someone
-- turns it again. Null: never turned (the page with the step acted on, else the next step). A new message (the
-- playbook attached again) starts unturned.
ALTER TABLE incident_playbooks ADD COLUMN message_page integer;
ALTER TABLE playbook_runs ADD COLUMN message_page integer;
