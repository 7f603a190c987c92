-- Durable escalation timers (jobs), the pages they sent, and to whom each page was delivered.
CREATE TABLE escalation_jobs (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  -- One job per reason per incident: 'declared', 'unresolved', 'unacknowledged', 'customer_impact', 'critical',
  -- 'manual:<role>', 'next_update:<iso time>'. A role is paged once per reason.
  key text NOT NULL,
  rule text NOT NULL,
  role text,
  due_at timestamptz NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  fired_at timestamptz,
  last_error text,
  requested_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (incident_id, key)
);

CREATE INDEX escalation_jobs_due_idx ON escalation_jobs (due_at) WHERE state = 'pending';

CREATE TABLE pages (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  job_id integer NOT NULL REFERENCES escalation_jobs (id) ON DELETE CASCADE,
  role text NOT NULL,
  rule text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- When the channel was told who was paged (so a retried job does not say it twice).
  announced_at timestamptz,
  UNIQUE (job_id, role)
);

CREATE INDEX pages_incident_idx ON pages (incident_id);

CREATE TABLE page_deliveries (
  page_id integer NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  delivered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (page_id, user_id)
);
