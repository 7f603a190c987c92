-- The alerts firing now, across sources (`/incident alerts` outside an incident channel), without reading every
-- alert ever recorded. Keyed by id, which never changes: a repeat (last seen, count) stays a HOT update.
CREATE INDEX alerts_firing_idx ON alerts (id) WHERE status = 'firing';
