-- A run recorded lost (LostRuns) had its playbook's checklist redrawn once: Slack refusing that was logged and lost,
-- the checklist saying the step was running until its next drawing. checklist_due: that drawing is owed, kept due
-- (show_due_at) for the redraw sweep (RunMessageRedraws) until one takes: 'only' (its message needs nothing), 'also'
-- (after its message's own drawing or look-up). Cleared with show_due_at (runMessageDrawn).
ALTER TABLE step_runs
  ADD COLUMN checklist_due text CHECK (checklist_due IN ('only', 'also'));
