-- The public status page. A status update published there (its "Publish to status page" box ticked) leaves a row
-- here holding only what may be public: the template's AFFECTED, CURRENT IMPACT and CURRENT STATUS as the person
-- wrote them, the status and the next update. Written in the same transaction as the update itself; the page reads
-- this table and the incidents' title, severity, status and times, never the internal record.
CREATE TABLE status_page_updates (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id integer NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL CHECK (status IN ('investigating', 'mitigated', 'resolved')),
  affected text NOT NULL,
  current_impact text NOT NULL,
  current_status text NOT NULL,
  next_update_at timestamptz
);

CREATE INDEX status_page_updates_incident_idx ON status_page_updates (incident_id, at DESC, id DESC);

-- The page's history: incidents resolved in the last days.
CREATE INDEX incidents_resolved_at_idx ON incidents (resolved_at) WHERE status = 'resolved';
