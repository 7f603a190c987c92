-- A page's direct message being shown again by one process, until then (a lease). A redraw takes it before it reads
-- what to draw, so two redraws of one DM never overlap and the one that draws last read the incident last (an older
-- state is never drawn over a newer one); a process that stops while drawing holds it only until then.
ALTER TABLE page_deliveries ADD COLUMN dm_drawing_until timestamptz;
ALTER TABLE notification_jobs ADD COLUMN dm_drawing_until timestamptz;
