-- An override or a swap can be cancelled (`/incident oncall cancel N`): who cancelled it and when. One that had
-- started ends then (its ends_at moved to the cancellation, so the hand-off back is noticed like any other); one still
-- to come is kept, cancelled, and read by nobody.

ALTER TABLE oncall_overrides ADD COLUMN cancelled_at timestamptz, ADD COLUMN cancelled_by text;
