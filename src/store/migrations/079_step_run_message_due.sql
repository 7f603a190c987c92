-- A run's message to be drawn again by the timer loop's sweep (RunMessageRedraws): marked in the statement that records
-- the run lost (LostRuns) or stopped (the bot stopping), which then draws it once; Slack refusing that update (rate
-- limited, a 5xx, a timeout) or the process dying first left it saying "Running" for ever. show_due_at: when the sweep
-- draws it (null: nothing to draw); show_attempts: its tries since it was marked; show_mark: counted up with each
-- marking, so that a drawing clears only the mark it read, not one made while it drew.
ALTER TABLE step_runs ADD COLUMN show_due_at timestamptz;
ALTER TABLE step_runs ADD COLUMN show_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE step_runs ADD COLUMN show_mark integer NOT NULL DEFAULT 0;
CREATE INDEX step_runs_show_due_idx ON step_runs (show_due_at) WHERE show_due_at IS NOT NULL;
