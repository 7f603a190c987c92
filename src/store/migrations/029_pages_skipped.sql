-- A page that reached nobody because its role has no contacts (`escalation.roles` empty for it): the card says the
-- role was not paged, instead of "Paged: On-Call Engineer" beside the channel's "Would have paged" warning.
ALTER TABLE pages ADD COLUMN skipped boolean NOT NULL DEFAULT false;
