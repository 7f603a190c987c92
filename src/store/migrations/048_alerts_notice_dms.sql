-- Where a security alert's notice was sent whole to on-call (direct messages: [{"channel", "ts"}], on its lead), so
-- that the notice's later changes (resolved, declared, more alerts) reach them too, and a group whose notice turns
-- security (a security alert joining it) sends it once. Null: none sent.
ALTER TABLE alerts ADD COLUMN notice_dms jsonb;
