-- Playbooks attached to incidents, and every run of a playbook step (who, when, what, result).
CREATE TABLE incident_playbooks (
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  playbook_id text NOT NULL,
  attached_by text,
  attached_at timestamptz NOT NULL DEFAULT now(),
  message_ts text,
  PRIMARY KEY (incident_id, playbook_id)
);

CREATE TABLE step_runs (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  playbook_id text NOT NULL,
  step_key text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('command', 'http')),
  -- The argv as run (or the URL checked), redacted.
  target jsonb NOT NULL,
  requested_by text NOT NULL,
  state text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'timed_out', 'not_found', 'refused')),
  exit_code integer,
  duration_ms integer,
  output_digest text,
  output_tail text,
  refusal text,
  thread_ts text,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

-- One run of the same step per incident at a time.
CREATE UNIQUE INDEX step_runs_one_running ON step_runs (incident_id, playbook_id, step_key) WHERE state = 'running';
CREATE INDEX step_runs_incident_idx ON step_runs (incident_id, started_at);
