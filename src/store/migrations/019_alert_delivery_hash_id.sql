-- A resent body is answered with the delivery it repeats: its id is kept beside the body's hash (taken from the
-- deliveries' sequence before the delivery is written), so that the inbox needs no index on the hash of every
-- delivery it writes. Each write to the inbox, on the path of the hook's answer, updates one index less.
ALTER TABLE alert_delivery_hashes ADD COLUMN delivery_id bigint;
UPDATE alert_delivery_hashes h SET delivery_id = (
  SELECT max(d.id) FROM alert_deliveries d WHERE d.source = h.source AND d.body_hash = h.body_hash);
DROP INDEX alert_deliveries_hash_idx;
