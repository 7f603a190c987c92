-- A run still running is held by the process running its command: a lease, renewed while it runs (lease_until). A
-- process killed outright (kill -9, the machine lost) renews it no more, and the timer loop's sweep (LostRuns) of any
-- process records the run 'lost' once it runs out: how it ended is not known (its command, in a process group of its
-- own, may have gone on without the bot). It was left 'running' for ever before: its messages said so, and the step
-- could not be run again (one running run per step). A run written without a lease (running when this migration ran,
-- or started by a process of an older version) is taken an hour after it started.
ALTER TABLE step_runs ADD COLUMN lease_until timestamptz;
CREATE INDEX step_runs_lease_idx ON step_runs (lease_until) WHERE state = 'running';
ALTER TABLE step_runs DROP CONSTRAINT step_runs_state_check;
ALTER TABLE step_runs ADD CONSTRAINT step_runs_state_check
  CHECK (state IN ('running', 'succeeded', 'failed', 'timed_out', 'not_found', 'refused', 'stopped', 'lost'));
