-- Where an alert is silenced: Grafana's own `silenceURL`, or Alertmanager's silence form for the alert's labels (from
-- the delivery's externalURL). The card links it beside the alert's name.
ALTER TABLE alerts ADD COLUMN silence_url text;
