-- What a run's final message shows besides its columns (state, exit code, time, output's last lines): the detail (an
-- HTTP check's status and latency, a failed check's finding, a timeout), the lines its step looked for and found, the
-- output's size and the attached file's, the required steps it ran without, and what it looked for. Only the process
-- that ran it knew them, so a drawing by another (RunMessageRedraws, after Slack refused the final update or the
-- process died before it) drew the run without them. Null: a run that ended before this, or recorded lost.
ALTER TABLE step_runs ADD COLUMN end_shown jsonb;
