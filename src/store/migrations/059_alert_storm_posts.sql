-- The messages telling a resolved incident's channel that its alerts fired again and joined another incident (storm
-- control's `fired_elsewhere`), each with Reopen: kept (alert_step_posts keeps a post an hour, for the step's retries),
-- so that reopening the incident, by that button or any other way, replaces the button with who reopened it.
-- `joined_incident_id`: where the alerts had gone; `closed_at`: when the button was replaced (null: it shows).
CREATE TABLE alert_fired_elsewhere_messages (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  joined_incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  channel text NOT NULL,
  ts text NOT NULL,
  alert_ids integer[] NOT NULL,
  closed_at timestamptz,
  UNIQUE (channel, ts)
);
CREATE INDEX alert_fired_elsewhere_messages_open_idx ON alert_fired_elsewhere_messages (incident_id)
  WHERE closed_at IS NULL;

-- A storm step's claim of a post (alert_step_posts) says whether the post was made: a claim left unposted (its process
-- was killed between the claim and the post) is taken over by the step's retry once it is older than a post takes,
-- rather than taken for posted (the storm's message was lost). Claims made before this are taken as posted.
ALTER TABLE alert_step_posts ADD COLUMN posted boolean NOT NULL DEFAULT false;
UPDATE alert_step_posts SET posted = true;

-- Why storm control sent the alerts of an incidents-channel message of new names (alert_joined_messages) to its
-- incident: `storm` (no open incident had their alert or row: the storm's incident), `same_row` (one has alerts of
-- their runbook row), null (their group's own alerts were there already). Said in the message, kept as it is updated.
ALTER TABLE alert_joined_messages ADD COLUMN why text;
