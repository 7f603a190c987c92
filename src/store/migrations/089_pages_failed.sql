-- A page given up before it went out: its job failed try after try (Slack refusing its direct messages) and stopped
-- trying. When, and the last error. The card says the page failed and what to do; Escalate now and the rounds do not
-- count its role as paged (no more than a page whose job was called off before it went: acknowledged meanwhile).
ALTER TABLE pages ADD COLUMN failed_at timestamptz, ADD COLUMN failure text;
