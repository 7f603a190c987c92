-- A group's alerts a person added to an incident already open (a warning's notice, Add to incident): who added them.
-- Such an alert incident is not the incident's opening: its alerts resolving neither offers nor auto-resolves alone.
ALTER TABLE alert_incidents ADD COLUMN attached_by text;
