-- Which approval request a run of a step carried out: every drawing of an approved request (its channel message and
-- each approver's direct message, whenever drawn: by the decision, by a direct message sent late, by the timer loop)
-- says how its run ended, read from here, not only the decision's own updates.
ALTER TABLE step_runs ADD COLUMN approval_id integer REFERENCES step_approvals (id) ON DELETE SET NULL;
CREATE INDEX step_runs_approval_idx ON step_runs (approval_id) WHERE approval_id IS NOT NULL;
-- An approved request that did not run (its step already running, say): why, as the approver was told (a phrase).
-- And whether the person who decided was added to the channel to decide: its drawings say so.
ALTER TABLE step_approvals
  ADD COLUMN not_run jsonb,
  ADD COLUMN added_to_decide boolean NOT NULL DEFAULT false;
