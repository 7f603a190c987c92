-- Incidents, their timeline, per-workspace numbering and request de-duplication.
CREATE TABLE incident_counters (
  team_id text PRIMARY KEY,
  last_number integer NOT NULL
);

CREATE TABLE incidents (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id text NOT NULL,
  number integer NOT NULL,
  title text NOT NULL,
  severity smallint NOT NULL CHECK (severity BETWEEN 0 AND 3),
  status text NOT NULL CHECK (status IN ('investigating', 'mitigated', 'resolved')),
  phase text NOT NULL CHECK (phase IN ('detection', 'assessment', 'mitigation', 'resolution', 'postmortem')),
  reporter_id text NOT NULL,
  commander_id text,
  channel_id text,
  channel_name text,
  card_ts text,
  created_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_at timestamptz,
  acknowledged_by text,
  mitigated_at timestamptz,
  resolved_at timestamptz,
  resolved_by text,
  resolution_summary text,
  customer_impact boolean NOT NULL DEFAULT false,
  data_loss_risk boolean NOT NULL DEFAULT false,
  affected text,
  current_impact text,
  current_status text,
  mitigation_steps text,
  next_update_at timestamptz,
  last_update_at timestamptz,
  UNIQUE (team_id, number)
);

CREATE UNIQUE INDEX incidents_channel_idx ON incidents (channel_id) WHERE channel_id IS NOT NULL;
CREATE INDEX incidents_open_idx ON incidents (team_id, status) WHERE status <> 'resolved';

CREATE TABLE incident_events (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_id text,
  kind text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX incident_events_incident_idx ON incident_events (incident_id, at);

-- One row per handled Slack request (slash command trigger, modal submission): a retry or a double submit finds its
-- key taken and does nothing.
CREATE TABLE request_keys (
  key text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
