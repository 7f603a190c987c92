-- Who opened an incident: a person (`/incident`, a form, a warning's Declare button) or the bot for a monitoring
-- alert. A page's reason says so ("because an alert from monitoring opened the incident").
ALTER TABLE incidents ADD COLUMN source text NOT NULL DEFAULT 'person' CHECK (source IN ('person', 'alert'));

-- Those opened from alerts before: the bot declared their alert incident, nobody from a notice.
UPDATE incidents i SET source = 'alert'
  FROM alert_incidents ai
 WHERE ai.incident_id = i.id AND ai.declared_by IS NULL AND ai.state = 'declared';
