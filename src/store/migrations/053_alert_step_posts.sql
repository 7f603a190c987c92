-- Each message a storm step (`storm`, `joined`, `past_cap`) posts, one row per place it is posted (the incident's
-- channel, the incidents channel), claimed before the post and kept once Slack took it: a retry of the step (its
-- process died, or Slack refused its other post) finds the row and does not post that message again. A post Slack
-- refuses gives its claim back, so the retry posts it.
CREATE TABLE alert_step_posts (
  key text PRIMARY KEY,
  channel text,
  ts text,
  claimed_at timestamptz NOT NULL DEFAULT now()
);
