-- Where the incidents channel was told that alerts of names new to a storm's incident joined it (AlertStep `joined`),
-- and the alerts that message shows, each name with Declare incident: once one is declared apart, the message is
-- updated in place, its button replaced by where it went.
CREATE TABLE alert_joined_messages (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  source text NOT NULL,
  channel text NOT NULL,
  ts text NOT NULL,
  alert_ids integer[] NOT NULL
);
CREATE INDEX alert_joined_messages_incident_idx ON alert_joined_messages (incident_id);
