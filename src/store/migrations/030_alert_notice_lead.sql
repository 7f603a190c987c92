-- A group's warnings share one notice in the incidents channel: a delivery of 100 warnings posts one notice listing
-- them, not 100. `notice_lead` is the alert whose notice this one is shown in (null: its own, or none); the notice's
-- channel and ts are kept on every alert shown in it.
ALTER TABLE alerts ADD COLUMN notice_lead integer REFERENCES alerts (id) ON DELETE SET NULL;
CREATE INDEX alerts_notice_lead_idx ON alerts (notice_lead) WHERE notice_lead IS NOT NULL;
CREATE INDEX alerts_notice_group_idx ON alerts (source, group_key, id) WHERE notice_planned AND notice_lead IS NULL;
