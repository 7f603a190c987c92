-- An alert is its source, its fingerprint (or generic key) and its name: the same fingerprint with another name is
-- another alert (fingerprints hash label sets, and a generic key may be reused by two scripts), never a change of the
-- first. Its latest row is found by all three; the index leads with the old one's columns, which it replaces.
CREATE INDEX alerts_identity_idx ON alerts (source, fingerprint, name, id DESC);
DROP INDEX alerts_fingerprint_idx;
