-- After the incident: the post-mortem (the form's answers), every version of its document, and action items with
-- their due reminders.

-- What the people who wrote the post-mortem said; the facts come from the record.
CREATE TABLE postmortems (
  incident_id integer PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
  root_cause text NOT NULL,
  factors text NOT NULL DEFAULT '',
  went_well text NOT NULL DEFAULT '',
  went_badly text NOT NULL DEFAULT '',
  -- The runbook section that needs an update; null when none does.
  runbook_section text,
  runbook_note text NOT NULL DEFAULT '',
  -- The checklist items ticked by hand (those the record cannot tick), by their text.
  checked text[] NOT NULL DEFAULT '{}',
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every document generated, kept: writing the post-mortem again makes the next version.
CREATE TABLE postmortem_versions (
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version > 0),
  markdown text NOT NULL,
  written_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- The Slack file it was posted as, once posted.
  file_id text,
  PRIMARY KEY (incident_id, version)
);

-- Action items. The due reminder is a durable timer: pending while remind_at is set and reminded_at is not; a process
-- claims due ones with FOR UPDATE SKIP LOCKED and a lease (remind_locked_until), as escalation timers are claimed, so a
-- reminder is sent after a restart and by one process only.
CREATE TABLE action_items (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  team_id text NOT NULL,
  text text NOT NULL,
  owner_id text,
  due_at timestamptz,
  -- 'person': typed by someone; 'runbook': the post-mortem said the runbook needs an update (one per incident).
  source text NOT NULL DEFAULT 'person' CHECK (source IN ('person', 'runbook')),
  state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  closed_by text,
  closed_at timestamptz,
  remind_at timestamptz,
  reminded_at timestamptz,
  remind_attempts integer NOT NULL DEFAULT 0,
  remind_locked_until timestamptz,
  remind_error text
);

-- The same item twice on one incident (a form submitted again with the same lines) is one item.
CREATE UNIQUE INDEX action_items_text_idx ON action_items (incident_id, lower(text));
CREATE UNIQUE INDEX action_items_runbook_idx ON action_items (incident_id) WHERE source = 'runbook';
CREATE INDEX action_items_open_idx ON action_items (team_id, owner_id) WHERE state = 'open';
CREATE INDEX action_items_remind_idx ON action_items (remind_at)
  WHERE state = 'open' AND reminded_at IS NULL AND remind_at IS NOT NULL;
