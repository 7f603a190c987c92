-- What a running run's message showed besides its columns (the lines its step looks for found so far with the last of
-- them, the output's size, the required steps it runs without), kept with each renewal of its lease as output_tail
-- is. A run recorded lost (its process killed, or cut off past its lease) has no end_shown: its message was drawn
-- again from output_tail alone, without the lines found its live message had shown. Null: not renewed since this.
ALTER TABLE step_runs ADD COLUMN shown_so_far jsonb;
