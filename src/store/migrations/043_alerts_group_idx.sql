-- A group's alerts by their group (not by their alert incident): the open alert incident a group's next alerts join is
-- the one its alerts are in, which is another group's when a storm sent them there.
CREATE INDEX alerts_group_idx ON alerts (source, group_key, alert_incident_id);
