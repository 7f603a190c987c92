-- Private (security) incidents and maintenance windows.

-- A private incident has a private channel and is announced, listed and shown nowhere public; made public on
-- purpose (recorded on its timeline), never the other way.
ALTER TABLE incidents ADD COLUMN private boolean NOT NULL DEFAULT false;
-- Nothing makes a public incident private: once public, its title and number were announced and listed.
CREATE FUNCTION incidents_stay_public() RETURNS trigger AS $$
BEGIN
  IF NOT OLD.private AND NEW.private THEN
    RAISE EXCEPTION 'incident % is public; an incident is never made private again', OLD.id;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_stay_public BEFORE UPDATE OF private ON incidents
  FOR EACH ROW EXECUTE FUNCTION incidents_stay_public();

-- The maintenance window open when the incident was declared (its title), shown on its card.
ALTER TABLE incidents ADD COLUMN maintenance text;

-- People the bot let into an incident's channel besides those its record names (reporter, commander, paged people,
-- actors): who joined with the Join button once it was made public.
CREATE TABLE incident_members (
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (incident_id, user_id)
);

-- Maintenance windows: each occurrence of a scheduled window (planned ahead by whichever replica's timer loop comes
-- first: the unique key makes it one row) and each opened by hand. `stage` is what has been said of it: planned,
-- noticed (the notice ahead), open (its start and checklist), closed (its end); the lease keeps one replica at a time
-- on a row while it posts.
CREATE TABLE maintenance_windows (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The runbook's window key (weekly); null for a window opened by hand under a title of its own.
  window_key text,
  title text NOT NULL,
  -- The playbook of its checklist, when it has one.
  playbook_id text,
  -- Where its messages go; null: nowhere (no channel configured).
  channel_id text,
  notice_at timestamptz,
  starts_at timestamptz NOT NULL,
  -- Null: opened by hand, open until ended by hand.
  ends_at timestamptz,
  stage text NOT NULL DEFAULT 'planned' CHECK (stage IN ('planned', 'noticed', 'open', 'closed')),
  scheduled boolean NOT NULL,
  opened_by text,
  closed_by text,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per occurrence of a scheduled window, however many replicas plan it.
CREATE UNIQUE INDEX maintenance_windows_occurrence_idx ON maintenance_windows (window_key, starts_at) WHERE scheduled;
CREATE INDEX maintenance_windows_pending_idx ON maintenance_windows (starts_at) WHERE stage <> 'closed';
