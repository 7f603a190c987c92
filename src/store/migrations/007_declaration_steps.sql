-- The steps after a declared incident is whole (pin, announcement, playbook suggestion) already done, so that a
-- process finishing a declaration another one was interrupted in does each of them once. The card is done when the
-- incident has its card_ts.
ALTER TABLE declarations ADD COLUMN done text[] NOT NULL DEFAULT '{}';
