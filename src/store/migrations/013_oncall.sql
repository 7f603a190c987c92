-- On-call: overrides and swaps people make from Slack (time ranges over a role's rotation, which the runbook file
-- holds), and the hand-off notices, one row per role and hand-off time, so each is sent once by one replica.

CREATE TABLE oncall_overrides (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  role text NOT NULL,
  -- override: user_id takes the shift; swap: user_id and other_id trade theirs.
  kind text NOT NULL CHECK (kind IN ('override', 'swap')),
  user_id text NOT NULL,
  other_id text,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (ends_at > starts_at),
  CHECK ((kind = 'swap') = (other_id IS NOT NULL))
);

CREATE INDEX oncall_overrides_role_idx ON oncall_overrides (role, ends_at);

CREATE TABLE oncall_handoffs (
  role text NOT NULL,
  handoff_at timestamptz NOT NULL,
  outgoing_id text,
  incoming_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Each part of the notice once: the channel line, the incoming person's direct message.
  channel_posted_at timestamptz,
  dm_sent_at timestamptz,
  done_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  leased_until timestamptz,
  last_error text,
  PRIMARY KEY (role, handoff_at)
);

CREATE INDEX oncall_handoffs_pending_idx ON oncall_handoffs (handoff_at) WHERE done_at IS NULL;
