-- An alert incident opened for security alerts (its alerts on the private side: a row pointing at a security
-- playbook, or a summary reading as a security matter): its incident is declared private whatever its title reads
-- (a group's title, cut to fit, may lose the words that told it: "…data b…, and 1 more alert").
ALTER TABLE alert_incidents ADD COLUMN security boolean NOT NULL DEFAULT false;
