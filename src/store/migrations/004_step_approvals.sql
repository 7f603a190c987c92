-- Steps that need a second person: the request, and who approved or denied it and why.
CREATE TABLE step_approvals (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  playbook_id text NOT NULL,
  step_key text NOT NULL,
  -- The parameter values the requester gave, already checked; the argv is rebuilt from them when approved.
  params jsonb NOT NULL,
  requested_by text NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'denied')),
  decided_by text,
  reason text,
  message_ts text,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz
);
