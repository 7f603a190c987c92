-- A resolved incident reopened (`/incident reopen`): when, and by whom (the last time). Its timed escalation rules count
-- from then, and its card says so.
ALTER TABLE incidents ADD COLUMN reopened_at timestamptz, ADD COLUMN reopened_by text;
