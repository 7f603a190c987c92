-- An alert's description (Alertmanager's and Grafana's `description` annotation, the generic `description` field):
-- what fired in more words than its summary, shown in `/incident alerts` and on a page. Null where none was given.
ALTER TABLE alerts ADD COLUMN description text;
