-- Sent mail keeps its attachments' bytes only for a retention period; after
-- that the bytes are emptied (names kept) and the mail says when.
ALTER TABLE mail_outbox ADD COLUMN attachments_pruned_at TEXT;
-- What the pruning looks for: sent mail whose attachments are still whole.
CREATE INDEX mail_outbox_prunable ON mail_outbox(sent_at) WHERE status = 'sent' AND attachments_pruned_at IS NULL;
