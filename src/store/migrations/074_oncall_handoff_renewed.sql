-- A hand-off notice follows the hand-off as it stands, both people:
-- withdrawn_at: the notice was taken back (its hand-off no longer happened); one whose hand-off happens again after all
--   (the override that removed it cancelled) is told again, as new.
-- replaced_outgoing_id: the person told earlier as handing over, when an override or a swap made since changed only
--   who hands over: the notice is told again naming the new one, saying it is not that person.
ALTER TABLE oncall_handoffs ADD COLUMN withdrawn_at timestamptz, ADD COLUMN replaced_outgoing_id text;

-- Notices taken back before this column (their reason says so), for hand-offs still to come.
UPDATE oncall_handoffs SET withdrawn_at = done_at
WHERE done_at IS NOT NULL AND last_error LIKE 'withdrawn:%' AND handoff_at > now();
