-- When the incident's severity was last changed: the rounds of paging nobody acknowledged count from then (as from a
-- reopening), at the new severity's response time, so that raising a SEV-2 to SEV-0 pages again at once and every
-- five minutes, rather than finding all its rounds past and paging stopped.
ALTER TABLE incidents ADD COLUMN severity_changed_at timestamptz;
