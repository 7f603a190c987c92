-- Checklists of playbook steps (Done, Skip with a reason, Undo), playbooks detached from an incident, and playbooks
-- run outside any incident (`/incident run`): each such run is a record of its own, with its own timeline, and the
-- runs of its command steps and their approvals belong to it instead of to an incident.

-- A playbook started outside an incident: a thread in a channel (its root is the checklist message).
CREATE TABLE playbook_runs (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id text NOT NULL,
  playbook_id text NOT NULL,
  channel_id text NOT NULL,
  message_ts text,
  started_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  -- Set when every step is done or skipped; cleared when one is undone.
  completed_at timestamptz,
  -- The slash command's trigger id: a Slack retry starts nothing twice.
  request_key text UNIQUE
);

CREATE UNIQUE INDEX playbook_runs_message_idx ON playbook_runs (channel_id, message_ts) WHERE message_ts IS NOT NULL;

-- A run's timeline, as incident_events is an incident's: who, when, what, details.
CREATE TABLE playbook_run_events (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id integer NOT NULL REFERENCES playbook_runs (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_id text,
  kind text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX playbook_run_events_run_idx ON playbook_run_events (run_id, at);

-- A playbook detached from its incident: its message loses its buttons; attaching it again clears these.
ALTER TABLE incident_playbooks ADD COLUMN detached_at timestamptz, ADD COLUMN detached_by text;

-- Each tick of a step (Done, or Skip with its reason), kept when undone: who undid it and when.
CREATE TABLE step_checks (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer REFERENCES incidents (id) ON DELETE CASCADE,
  run_id integer REFERENCES playbook_runs (id) ON DELETE CASCADE,
  playbook_id text NOT NULL,
  step_key text NOT NULL,
  state text NOT NULL CHECK (state IN ('done', 'skipped')),
  reason text,
  checked_by text NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT now(),
  undone_by text,
  undone_at timestamptz,
  CONSTRAINT step_checks_one_owner CHECK ((incident_id IS NULL) <> (run_id IS NULL)),
  CONSTRAINT step_checks_skip_reason CHECK (state <> 'skipped' OR reason IS NOT NULL)
);

-- One standing tick per step: a second Done (a double click, another person) finds it taken.
CREATE UNIQUE INDEX step_checks_incident_current ON step_checks (incident_id, playbook_id, step_key)
  WHERE undone_at IS NULL;
CREATE UNIQUE INDEX step_checks_run_current ON step_checks (run_id, playbook_id, step_key) WHERE undone_at IS NULL;

-- Runs of steps and approvals belong to an incident or to a run outside one.
ALTER TABLE step_runs
  ALTER COLUMN incident_id DROP NOT NULL,
  ADD COLUMN run_id integer REFERENCES playbook_runs (id) ON DELETE CASCADE,
  ADD CONSTRAINT step_runs_one_owner CHECK ((incident_id IS NULL) <> (run_id IS NULL));
CREATE UNIQUE INDEX step_runs_one_running_in_run ON step_runs (run_id, playbook_id, step_key) WHERE state = 'running';
CREATE INDEX step_runs_run_idx ON step_runs (run_id, started_at) WHERE run_id IS NOT NULL;

ALTER TABLE step_approvals
  ALTER COLUMN incident_id DROP NOT NULL,
  ADD COLUMN run_id integer REFERENCES playbook_runs (id) ON DELETE CASCADE,
  ADD CONSTRAINT step_approvals_one_owner CHECK ((incident_id IS NULL) <> (run_id IS NULL));
