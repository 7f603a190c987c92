-- A run whose command the bot stopped because the bot itself was stopping (a deploy's SIGTERM): 'stopped'. It was
-- left 'running' for ever before (its end never recorded), and so did its approval request ("running it now").
ALTER TABLE step_runs DROP CONSTRAINT step_runs_state_check;
ALTER TABLE step_runs ADD CONSTRAINT step_runs_state_check
  CHECK (state IN ('running', 'succeeded', 'failed', 'timed_out', 'not_found', 'refused', 'stopped'));
