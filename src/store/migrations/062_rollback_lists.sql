-- Each list of deployments posted with Roll back buttons (`/incident deployments`, `/incident rollback`, the card's
-- Roll back, a failed deploy's offer): whose it is (an incident, or a playbook run outside one), where, and what it
-- showed. A rollback or a deploy of that host marks every list of it still showing buttons out of date (`out_of_date`:
-- what happened), and each is shown so, its buttons gone: `redraw_due_at` is when the timer loop's sweep redraws it
-- (set when marked, cleared once Slack took the update), `redraw_attempts` how many times it tried.
CREATE TABLE rollback_lists (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer REFERENCES incidents (id) ON DELETE CASCADE,
  run_id integer REFERENCES playbook_runs (id) ON DELETE CASCADE,
  channel_id text NOT NULL,
  thread_ts text,
  ts text NOT NULL,
  shown jsonb NOT NULL,
  posted_at timestamptz NOT NULL DEFAULT now(),
  out_of_date jsonb,
  redraw_due_at timestamptz,
  redraw_attempts integer NOT NULL DEFAULT 0,
  CHECK ((incident_id IS NULL) <> (run_id IS NULL)),
  UNIQUE (channel_id, ts)
);
CREATE INDEX rollback_lists_incident_live ON rollback_lists (incident_id) WHERE out_of_date IS NULL;
CREATE INDEX rollback_lists_run_live ON rollback_lists (run_id) WHERE out_of_date IS NULL;
CREATE INDEX rollback_lists_redraw_due ON rollback_lists (redraw_due_at) WHERE redraw_due_at IS NOT NULL;
