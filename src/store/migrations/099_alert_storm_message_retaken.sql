-- The claim a storm step took its incidents-channel message over from (alert_storm_messages.posting and posting_since
-- as they were on the row it locked), written by claimStormMessage in the same statement that takes the row and read
-- back from it: a row another replica inserted or changed while the statement waited (not in its snapshot) is told
-- of all the same, so that its post is looked for before a second one is made. Null when the last claim took nothing
-- over; only the statement that writes it reads it.
ALTER TABLE alert_storm_messages ADD COLUMN retaken_from text;
ALTER TABLE alert_storm_messages ADD COLUMN retaken_since timestamptz;
