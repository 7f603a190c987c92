-- An approval request nobody decided that no longer stands: its step was skipped or ticked done, its playbook detached,
-- or its incident resolved. `closed_why` says which (who: decided_by; the skip's reason: reason). A closed request runs
-- nothing, whatever button is pressed after.
ALTER TABLE step_approvals DROP CONSTRAINT step_approvals_state_check;
ALTER TABLE step_approvals ADD CONSTRAINT step_approvals_state_check
  CHECK (state IN ('pending', 'approved', 'denied', 'closed'));
ALTER TABLE step_approvals ADD COLUMN closed_why text
  CHECK (closed_why IN ('step_skipped', 'step_done', 'playbook_detached', 'incident_resolved'));
