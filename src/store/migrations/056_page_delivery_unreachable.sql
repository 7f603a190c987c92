-- A page's direct message that could not reach its person (Slack said user_disabled, not in the workspace …): the
-- delivery is kept (a retry of the page does not try them again) but they do not count as paged.
ALTER TABLE page_deliveries ADD COLUMN unreachable boolean NOT NULL DEFAULT false;
