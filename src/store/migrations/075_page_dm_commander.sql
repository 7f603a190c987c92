-- The commander a page's first direct message was drawn with ('' for none): its Escalate to … passes over a role
-- whose people on call all run the incident, so a change of command may change what it offers. A DM still open drawn
-- with another commander than the incident's is behind, and the timer written with the change of command
-- (`redraw_pages`) shows it again until Slack takes it. Null: drawn before this was recorded, or a page by name (no
-- Escalate to …): not compared.
ALTER TABLE page_deliveries ADD COLUMN dm_commander text;
