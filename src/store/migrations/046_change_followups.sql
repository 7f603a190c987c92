-- What a change of an incident still has to show in Slack once it is committed (its card, its notice in the incident
-- channel and INCIDENTS_CHANNEL, the pages it answered, what follows a resolution), written in the change's own
-- transaction and deleted once shown. A process killed in between leaves the row; its lease runs out and the timer
-- loop of any process shows it then. Kept for the changes that tell people something (a status update, a resolution,
-- a reopening, a rename).
CREATE TABLE change_followups (
  id bigserial PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  -- The incident as the change left it: what the notice is shown with, and what tells whether a later change
  -- overtook it.
  incident jsonb NOT NULL,
  notice jsonb NOT NULL,
  pages boolean NOT NULL DEFAULT false,
  resolved boolean NOT NULL DEFAULT false,
  notice_done boolean NOT NULL DEFAULT false,
  owner text NOT NULL,
  lease_until timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX change_followups_lease_idx ON change_followups (lease_until);
