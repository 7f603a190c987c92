-- The audit: every action people take through the bot and every refusal (who, what, where, when, outcome), and the
-- requests refused at the door (bad signatures). Append-only: the trigger refuses UPDATE and DELETE, and no code
-- issues either. incident_id has no foreign key: a row outlives an incident removed half-made.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- A Slack user id, or `ip:<address>` for a request that proved no identity.
  actor text NOT NULL,
  action text NOT NULL,
  -- Where it came from: command, button, form, http.
  surface text NOT NULL,
  team_id text,
  channel_id text,
  incident_id integer,
  outcome text NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed', 'noop', 'answered')),
  reason text,
  request_id text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE INDEX audit_log_incident_idx ON audit_log (incident_id, id) WHERE incident_id IS NOT NULL;

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
