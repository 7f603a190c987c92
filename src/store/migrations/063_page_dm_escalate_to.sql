-- The role a page's first direct message offers to escalate to (its Escalate to …) as it was drawn: sent, or shown
-- again; '' for none. A DM still open whose role has been paged since in this opening of the incident (or asked for
-- by hand) is behind, and the timer of the change that paged it (`redraw_pages`) shows it again until Slack takes it.
-- Null: drawn before this was recorded (not compared).
ALTER TABLE page_deliveries ADD COLUMN dm_escalate_to text;
