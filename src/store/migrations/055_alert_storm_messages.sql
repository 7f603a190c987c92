-- The incidents channel's message of a source's alert storm (AlertStep `storm`): one per storm, not one per incident
-- storm control sends its alerts to. While the storm goes on (the last change told less than the cap's window ago),
-- an incident it sends them to next is said in that message (updated) and its thread, not in a new message.
-- `incidents`: the incidents it sent them to, in order (the last one now); channel and ts are null while it is posted.
CREATE TABLE alert_storm_messages (
  source text PRIMARY KEY,
  channel text,
  ts text,
  incidents integer[] NOT NULL,
  told_at timestamptz NOT NULL DEFAULT now()
);
