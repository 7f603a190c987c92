-- A page that went out (a direct message reached one of its people) while its DMs to others still failed on its job's
-- last try: those people, never reached by it (Slack's last answer in `failure`). The card and the page_failed notice
-- name them; the role counts as paged.
ALTER TABLE pages ADD COLUMN missed text[];
