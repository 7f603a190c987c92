-- Where an alert's graph is: Grafana's panelURL (else its dashboardURL). The card links it beside the alert's name.
ALTER TABLE alerts ADD COLUMN dashboard_url text;
