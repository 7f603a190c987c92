-- Monitoring alerts. Every delivery the hooks accept is written to alert_deliveries before it is answered (the durable
-- inbox), then worked from the table by any process's alert loop: recorded (alerts and the incident they belong to,
-- decided in one transaction, in delivery order per group), then its plan carried out (declare, card, notices), each
-- step once. A process killed after the 202 loses nothing: the delivery's lease runs out and another process takes it.
CREATE TABLE alert_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source text NOT NULL,
  format text NOT NULL CHECK (format IN ('alertmanager', 'generic')),
  group_key text NOT NULL,
  -- sha256 of the body: the same body from the same source moments later is a retry, recognised and not counted twice.
  body_hash text NOT NULL,
  alerts jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- received: not recorded yet; recorded: alerts recorded, plan being carried out; done; failed (gave up on the plan).
  state text NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'recorded', 'done', 'failed')),
  plan jsonb NOT NULL DEFAULT '[]'::jsonb,
  done integer[] NOT NULL DEFAULT '{}',
  attempts integer NOT NULL DEFAULT 0,
  due_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  locked_until timestamptz,
  finished_at timestamptz,
  last_error text
);

CREATE INDEX alert_deliveries_open_idx ON alert_deliveries (due_at) WHERE state IN ('received', 'recorded');
CREATE INDEX alert_deliveries_group_idx ON alert_deliveries (source, group_key, id) WHERE state = 'received';
CREATE INDEX alert_deliveries_hash_idx ON alert_deliveries (source, body_hash, id);

-- The bodies seen lately, per source: the same body again before `until` is a retry. One row per body, claimed with
-- INSERT … ON CONFLICT, so that two copies arriving at once (an Alertmanager HA pair) are told apart in one statement.
CREATE TABLE alert_delivery_hashes (
  source text NOT NULL,
  body_hash text NOT NULL,
  until timestamptz NOT NULL,
  PRIMARY KEY (source, body_hash)
);

-- An incident opened from alerts (or, for a warning, declared from one by a person): its source and group, what it
-- is declared with, and once declared its incident. Storm control counts these per source.
CREATE TABLE alert_incidents (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source text NOT NULL,
  group_key text NOT NULL,
  -- declaring: the incident is being made (incident_id set once its row exists); failed: declaring was given up.
  state text NOT NULL DEFAULT 'declaring' CHECK (state IN ('declaring', 'declared', 'failed')),
  incident_id integer REFERENCES incidents (id) ON DELETE SET NULL,
  previous_incident_id integer REFERENCES incidents (id) ON DELETE SET NULL,
  title text NOT NULL,
  severity smallint NOT NULL CHECK (severity BETWEEN 0 AND 3),
  rule text,
  -- Who declared it from a warning's notice; null: the bot, on its own (the ones storm control counts).
  declared_by text,
  storm boolean NOT NULL DEFAULT false,
  -- When the channel was told that every alert resolved; null again once one fires.
  all_resolved_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX alert_incidents_source_idx ON alert_incidents (source, created_at);
CREATE INDEX alert_incidents_group_idx ON alert_incidents (source, group_key, id);
CREATE INDEX alert_incidents_incident_idx ON alert_incidents (incident_id);

-- Every alert, by source and fingerprint (or key). A row lasts while its alert's incident does: one that fires again
-- after its incident was resolved (or, without an incident, after it resolved) gets a new row.
CREATE TABLE alerts (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source text NOT NULL,
  fingerprint text NOT NULL,
  group_key text NOT NULL,
  name text NOT NULL,
  level text NOT NULL CHECK (level IN ('critical', 'warning', 'info')),
  rule text,
  status text NOT NULL CHECK (status IN ('firing', 'resolved')),
  summary text NOT NULL,
  service text,
  metric text,
  value text,
  threshold text,
  url text,
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  alert_incident_id integer REFERENCES alert_incidents (id) ON DELETE SET NULL,
  first_seen timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_seen timestamptz NOT NULL DEFAULT clock_timestamp(),
  resolved_at timestamptz,
  count integer NOT NULL DEFAULT 0,
  last_delivery_id bigint NOT NULL,
  -- Recorded during a maintenance window and, as its rule says, not declared.
  maintenance boolean NOT NULL DEFAULT false,
  -- A warning's notice in the incidents channel: planned once, then posted (and updated as the alert changes).
  notice_planned boolean NOT NULL DEFAULT false,
  notice_channel text,
  notice_ts text
);

CREATE INDEX alerts_fingerprint_idx ON alerts (source, fingerprint, id DESC);
CREATE INDEX alerts_alert_incident_idx ON alerts (alert_incident_id);
