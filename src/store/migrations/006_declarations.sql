-- A declaration is several steps (the row, the Slack channel, the timers, the card, the announcement), some in Slack,
-- so it cannot be one transaction. The incident row is written first with `declaring` set: it is not listed, not
-- found by its channel and has no timers until the channel is recorded and it is made whole, in one transaction.
-- Existing incidents are whole.
ALTER TABLE incidents ADD COLUMN declaring boolean NOT NULL DEFAULT false;

-- One row per declaration not yet finished, held by the process working on it (`owner`) for a lease it keeps renewing.
-- A declaration whose lease ran out (its process died, or lost the database) is taken by the timer loop of any process:
-- one that never became whole is abandoned (row removed, number given back when it is the last, channel archived,
-- declarer told).
CREATE TABLE declarations (
  incident_id integer PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
  owner text NOT NULL,
  lease_until timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX declarations_lease_idx ON declarations (lease_until);
