-- How a page reaches each person after the Slack DM (the runbook's notify: rules: email, PagerDuty, Slack again),
-- the PagerDuty events that follow the incident (acknowledge, resolve), and every delivery with its outcome.

-- Durable notification timers, swept by the timer loop: one row per step of a rule per person paged, and one per
-- PagerDuty acknowledge or resolve. Claimed with FOR UPDATE SKIP LOCKED and a lease, as escalation_jobs are.
CREATE TABLE notification_jobs (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  -- The page a step belongs to (null for an acknowledge or resolve sent to PagerDuty).
  page_id integer REFERENCES pages (id) ON DELETE CASCADE,
  -- Once per key per incident: 'step:<page>:<user>:<n>' (the rule's n-th step for that person), or
  -- 'pd:<action>:<dedup key>'. A retried page schedules nothing twice.
  key text NOT NULL,
  role text NOT NULL,
  user_id text,
  via text NOT NULL CHECK (via IN ('slack', 'email', 'pagerduty')),
  action text NOT NULL DEFAULT 'notify' CHECK (action IN ('notify', 'acknowledge', 'resolve')),
  -- The PagerDuty dedup key of the incident and role: one PagerDuty incident however often the role is paged.
  dedup_key text,
  due_at timestamptz NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (incident_id, key)
);

CREATE INDEX notification_jobs_due_idx ON notification_jobs (due_at) WHERE state = 'pending';
CREATE INDEX notification_jobs_incident_idx ON notification_jobs (incident_id);

-- What reached whom, by which method, with its outcome (sent, failed after its attempts, skipped: not configured).
-- The Slack DM of a page is a row too (job_id null), so the card shows every method of a page.
CREATE TABLE notification_deliveries (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  page_id integer REFERENCES pages (id) ON DELETE CASCADE,
  job_id integer REFERENCES notification_jobs (id) ON DELETE CASCADE,
  role text NOT NULL,
  user_id text,
  via text NOT NULL CHECK (via IN ('slack', 'email', 'pagerduty')),
  action text NOT NULL DEFAULT 'notify' CHECK (action IN ('notify', 'acknowledge', 'resolve')),
  outcome text NOT NULL CHECK (outcome IN ('sent', 'failed', 'skipped')),
  detail text,
  attempts integer NOT NULL DEFAULT 1,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX notification_deliveries_incident_idx ON notification_deliveries (incident_id);
CREATE UNIQUE INDEX notification_deliveries_job_idx ON notification_deliveries (job_id) WHERE job_id IS NOT NULL;
CREATE UNIQUE INDEX notification_deliveries_dm_idx ON notification_deliveries (page_id, user_id)
  WHERE job_id IS NULL AND via = 'slack';

-- A PagerDuty incident the bot opened (one per incident and role, by dedup key), and what PagerDuty said about it.
CREATE TABLE pagerduty_incidents (
  dedup_key text PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  role text NOT NULL,
  triggered_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_at timestamptz,
  -- Who acknowledged: PagerDuty's name for them, and the Slack user when the people: map knows them.
  acknowledged_by text,
  acknowledged_user text,
  resolved_at timestamptz
);

CREATE INDEX pagerduty_incidents_incident_idx ON pagerduty_incidents (incident_id);
