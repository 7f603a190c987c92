-- The next update the status page promises: the latest published update's, kept apart from next_update_at (the last
-- update's, published or not). An unpublished update moved next_update_at, and the public promise went by with no
-- reminder. Null: the page promises none (no published update, resolved, or reopened since it was published).

ALTER TABLE incidents ADD COLUMN public_next_update_at timestamptz;

UPDATE incidents i
   SET public_next_update_at = u.next_update_at
  FROM (
    SELECT DISTINCT ON (incident_id) incident_id, at, status, next_update_at
      FROM status_page_updates
     ORDER BY incident_id, at DESC, id DESC
  ) u
 WHERE u.incident_id = i.id
   AND i.status <> 'resolved'
   AND u.status <> 'resolved'
   AND (i.reopened_at IS NULL OR u.at > i.reopened_at);
