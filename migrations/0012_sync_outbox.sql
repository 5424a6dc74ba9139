-- The portal sync outbox keeps its rows and order under a name of its own:
-- "outbox" alone named both it and the mail outbox (crate cs-mail). Its one
-- writer is cs-store's `sync_outbox::publish`.
ALTER TABLE outbox RENAME TO sync_outbox;
DROP INDEX outbox_unpushed;
CREATE INDEX sync_outbox_unpushed ON sync_outbox(seq) WHERE pushed_at IS NULL;
