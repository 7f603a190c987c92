-- What a step's last run found of the lines it looks for ({ words, matched, total }: "34 of 200 lines have "ERROR""),
-- kept with the run so the checklist line of the step says it, not only the run's message and the timeline.
ALTER TABLE step_runs ADD COLUMN found jsonb;
