-- What the source left out of a noticed group's latest delivery (Alertmanager's max_alerts), on the notice's lead:
-- the notice says so, as an incident's card does.
ALTER TABLE alerts ADD COLUMN notice_left_out integer NOT NULL DEFAULT 0;
