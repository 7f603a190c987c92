-- What was said with a flag (`/incident impact enterprise tenants cannot log in`, `/incident data-loss writes may be
-- lost`), kept on the incident while the flag is raised: the page the flag causes says it, and the communication
-- template of a page takes it while no status update has said what is affected. Null: none said (or not flagged).
ALTER TABLE incidents ADD COLUMN customer_impact_note text, ADD COLUMN data_loss_note text;
