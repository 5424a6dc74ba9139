-- The mail outbox (crate cs-mail: `OutboxWorker` over `SqliteOutbox`; queries in
-- cs-store's `mail_outbox` module). One row per message, inserted in the same
-- transaction as the event that causes it, fully rendered: every attempt sends
-- the same message with the same Message-ID and Date, so a resend after a crash
-- between the relay's 250 and the recording of it is recognisable as a
-- duplicate. Timestamps are RFC 3339 UTC text with milliseconds (sortable).
-- Nothing secret is stored here: the SMTP password lives in the OS keyring.
--
--   queued ──claim──► sending ──relay 250──► sent (relay_response, sent_at)
--     ▲                 │  └──5xx / attempts exhausted──► failed (last_error)
--     └──retry/backoff──┘        failed ──"Retry" in the UI──► queued
--   sending with lease_until in the past (the worker died) is claimed again and
--   flagged possibly_duplicated.
CREATE TABLE mail_outbox (
    id                  TEXT PRIMARY KEY,
    -- The template key ('invoice_issued', 'welcome' …); NULL for a message
    -- not made from a template.
    kind                TEXT,
    from_addr           TEXT NOT NULL,
    -- JSON array of 'Name <addr@host>' or 'addr@host' strings.
    to_addrs            TEXT NOT NULL CHECK (json_valid(to_addrs) AND json_type(to_addrs) = 'array'),
    reply_to            TEXT,
    subject             TEXT NOT NULL,
    body_text           TEXT NOT NULL,
    body_html           TEXT NOT NULL,
    -- Without angle brackets. One row per message: a resend is the same row.
    message_id          TEXT NOT NULL UNIQUE,
    -- Unix seconds of the Date: header, fixed at rendering.
    date_unix           INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at     TEXT NOT NULL,
    lease_until         TEXT,
    relay_response      TEXT,
    last_error          TEXT,
    possibly_duplicated INTEGER NOT NULL DEFAULT 0 CHECK (possibly_duplicated IN (0, 1)),
    created_at          TEXT NOT NULL,
    sent_at             TEXT,
    CHECK (status <> 'sending' OR lease_until IS NOT NULL),
    CHECK (status <> 'sent' OR (sent_at IS NOT NULL AND relay_response IS NOT NULL))
) STRICT;
-- What the worker claims: due queued rows, oldest first, and expired leases.
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at, created_at) WHERE status = 'queued';
CREATE INDEX mail_outbox_leased ON mail_outbox(lease_until) WHERE status = 'sending';
-- The Outbox screen: newest first, per status.
CREATE INDEX mail_outbox_by_status ON mail_outbox(status, created_at);
CREATE INDEX mail_outbox_by_created ON mail_outbox(created_at);

-- Attachments (invoice PDFs …), the exact bytes sent, in message order.
CREATE TABLE mail_outbox_attachments (
    mail_id      TEXT NOT NULL REFERENCES mail_outbox(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL CHECK (position >= 0),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    PRIMARY KEY (mail_id, position)
) STRICT;
