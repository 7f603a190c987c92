-- Who approved a run of a step that needed a second person: the playbook's checklist names them beside who asked.
ALTER TABLE step_runs ADD COLUMN approved_by text;
