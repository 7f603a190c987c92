-- What each group's latest delivery said of the alerts its source left out (Alertmanager's `truncatedAlerts`, past
-- the receiver's `max_alerts`), per alert incident the group's alerts are in: the group's own, or a storm's it
-- joined. An alert incident's `truncated` is their sum, which its card says. A missing row is none left out.
CREATE TABLE alert_group_truncations (
  alert_incident_id integer NOT NULL REFERENCES alert_incidents (id) ON DELETE CASCADE,
  source text NOT NULL,
  group_key text NOT NULL,
  truncated integer NOT NULL CHECK (truncated >= 0),
  PRIMARY KEY (alert_incident_id, source, group_key)
);

-- Before this, an alert incident kept its own group's count only.
INSERT INTO alert_group_truncations (alert_incident_id, source, group_key, truncated)
SELECT id, source, group_key, truncated FROM alert_incidents WHERE truncated > 0;
