-- PayPal top-up payments (crates/cs-app/src/payments.rs). Amounts are integer
-- minor units of `currency` (the reseller's currency when the link was made).
-- Request ids are chosen and stored *before* the PayPal call they belong to, so
-- a retry after a timeout or a restart reuses them and PayPal acts once.
--
--   created ──payer approves──► approved ──capture──► completed
--      │                           │                   ├─partial refund─► partially_refunded ─► refunded
--      └──────── voided / denied ──┴────────────────► failed
--
-- Crediting the wallet is keyed by the capture id (ledger idem key
-- `payment:paypal:<capture id>`), in the same transaction as the update of
-- this row, so a capture response, a poll and any number of webhook
-- deliveries credit it once.
CREATE TABLE payments (
    id                 TEXT PRIMARY KEY,
    organization_id    TEXT NOT NULL REFERENCES organizations(id),
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
    -- What was captured (normally the amount; PayPal's word wins).
    captured_minor     INTEGER CHECK (captured_minor IS NULL OR captured_minor > 0),
    refunded_minor     INTEGER NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    status             TEXT NOT NULL CHECK (status IN ('created', 'approved', 'completed', 'partially_refunded', 'refunded', 'failed')),
    -- 'sandbox', 'live' or the custom base URL the order was made at.
    environment        TEXT NOT NULL,
    create_request_id  TEXT NOT NULL UNIQUE,
    capture_request_id TEXT NOT NULL UNIQUE,
    order_id           TEXT UNIQUE,
    approve_url        TEXT,
    capture_id         TEXT UNIQUE,
    receipt_id         TEXT,
    failure            TEXT,
    created_at         TEXT NOT NULL,
    created_by         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    completed_at       TEXT,
    last_checked_at    TEXT,
    CHECK (refunded_minor <= coalesce(captured_minor, 0)),
    CHECK (status NOT IN ('completed', 'partially_refunded', 'refunded') OR (capture_id IS NOT NULL AND captured_minor IS NOT NULL))
) STRICT;
CREATE INDEX payments_by_org ON payments(organization_id, created_at);
CREATE INDEX payments_by_status ON payments(status, created_at);

-- Refunds of a payment's capture. A refund row is written (pending, with its
-- request id) before PayPal is asked; pending refunds reserve their amount.
CREATE TABLE payment_refunds (
    id               TEXT PRIMARY KEY,
    payment_id       TEXT NOT NULL REFERENCES payments(id),
    amount_minor     INTEGER NOT NULL CHECK (amount_minor > 0),
    reason           TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    request_id       TEXT NOT NULL UNIQUE,
    paypal_refund_id TEXT UNIQUE,
    credit_note_id   TEXT,
    failure          TEXT,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    completed_at     TEXT
) STRICT;
CREATE INDEX payment_refunds_by_payment ON payment_refunds(payment_id);

-- A payment's history, shown on its detail.
CREATE TABLE payment_events (
    id         INTEGER PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments(id),
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL
) STRICT;
CREATE INDEX payment_events_by_payment ON payment_events(payment_id, id);

-- Verified webhook events already applied (PayPal delivers at least once).
CREATE TABLE paypal_webhook_events (
    event_id    TEXT PRIMARY KEY,
    event_type  TEXT NOT NULL,
    payment_id  TEXT,
    received_at TEXT NOT NULL
) STRICT;
