-- Each person a page never reached (pages.missed) with Slack's own answer to their DM, in the same order: two people
-- of one role refused for two reasons were both recorded with the first one's (pages.failure). A row without it (from
-- before) reads `failure` for each.
ALTER TABLE pages ADD COLUMN missed_errors text[];
