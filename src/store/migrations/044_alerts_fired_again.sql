-- An alert still firing when its incident was resolved, whose next report started a new row (a new firing: a generic
-- alert's next report, an Alertmanager alert's new startsAt): that row is no longer followed (its resolution goes to
-- the new row). It is closed when the new one starts, and says so: its incident, reopened, does not show it firing.
ALTER TABLE alerts ADD COLUMN fired_again_at timestamptz;
