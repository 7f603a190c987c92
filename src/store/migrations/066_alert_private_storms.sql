-- A source's alert storm on the private side (security alerts, in private incidents): the incidents storm control
-- sent its further critical alerts to, in order (the last one now). The incidents channel hears nothing of a private
-- storm (alert_storm_messages is the public side's one message), so when it moves to another incident, the incident
-- it left is told in its own channel. A storm quiet for the cap's window is over: the next starts the list anew.
CREATE TABLE alert_private_storms (
  source text PRIMARY KEY,
  incidents integer[] NOT NULL,
  told_at timestamptz NOT NULL DEFAULT now()
);
