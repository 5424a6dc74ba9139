-- Billing engine (crate cs-billing): prices, meters, usage intervals, the
-- double-entry ledger, documents, dunning. See crates/cs-billing/src/lib.rs.
-- Ledger amounts are integer micro-units of the major unit (1 USD = 1 000 000);
-- documents hold minor units (cents). Hours are hour indices: whole UTC hours
-- since 1970-01-01T00:00Z. Months are year * 12 + (month - 1).

-- The provider's list price, as last read from its catalogue. `item` is what
-- is sold ('server', 'backups', 'ipv4'); `region` '' is the price of every
-- region without a price of its own.
CREATE TABLE provider_prices (
    provider       TEXT NOT NULL,
    provider_type  TEXT NOT NULL,
    item           TEXT NOT NULL CHECK (item IN ('server', 'backups', 'ipv4')),
    region         TEXT NOT NULL,
    currency       TEXT NOT NULL CHECK (length(currency) = 3),
    hourly_micros  INTEGER NOT NULL CHECK (hourly_micros >= 0),
    monthly_micros INTEGER NOT NULL CHECK (monthly_micros >= 0),
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (provider, provider_type, item, region)
) STRICT;

-- The reseller's price of a plan (and of its add-ons), versioned: a change is
-- a new row with the time it takes effect; rows are never updated.
CREATE TABLE price_rules (
    id             INTEGER PRIMARY KEY,
    plan_id        TEXT NOT NULL REFERENCES plans(id),
    item           TEXT NOT NULL CHECK (item IN ('server', 'backups', 'ipv4')),
    region         TEXT NOT NULL,
    mode           TEXT NOT NULL CHECK (mode IN ('markup', 'fixed')),
    markup_bp      INTEGER,
    hourly_micros  INTEGER,
    monthly_micros INTEGER,
    effective_from TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    CHECK ((mode = 'markup' AND markup_bp IS NOT NULL AND hourly_micros IS NULL AND monthly_micros IS NULL)
        OR (mode = 'fixed' AND markup_bp IS NULL AND hourly_micros >= 0 AND monthly_micros >= 0))
) STRICT;
CREATE INDEX price_rules_lookup ON price_rules(plan_id, item, region, effective_from);
CREATE TRIGGER price_rules_append_only BEFORE UPDATE ON price_rules
BEGIN SELECT RAISE(ABORT, 'price rules are versioned: add a new rule with an effective time instead of changing one'); END;

-- One meter per billable thing: a server, its backups, each extra IPv4.
-- `end_hour` is the last hour to bill once the thing is gone; `closed` is set
-- when it has been billed through `end_hour`. The meter's watermark (the last
-- hour billed) is the last_hour of its latest usage interval, found through
-- the (meter_id, month, price_from_hour) primary key.
CREATE TABLE billing_meters (
    id              INTEGER PRIMARY KEY,
    server_id       TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    item            TEXT NOT NULL CHECK (item IN ('server', 'backups', 'ipv4')),
    slot            INTEGER NOT NULL DEFAULT 0,
    label           TEXT NOT NULL,
    currency        TEXT NOT NULL CHECK (length(currency) = 3),
    start_hour      INTEGER NOT NULL,
    end_hour        INTEGER,
    closed          INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
    created_at      TEXT NOT NULL,
    CHECK (end_hour IS NULL OR end_hour >= start_hour - 1)
) STRICT;
CREATE UNIQUE INDEX billing_meters_live ON billing_meters(server_id, item, slot) WHERE end_hour IS NULL;
CREATE INDEX billing_meters_by_server ON billing_meters(server_id);
CREATE INDEX billing_meters_by_org ON billing_meters(organization_id, currency);
-- The billing run walks open meters organization by organization, so each
-- organization's usage of a day is posted once per run, not once per server.
-- It covers what the run reads of a meter, so the walk never visits the table.
CREATE INDEX billing_meters_open ON billing_meters(organization_id, id, currency, start_hour, end_hour) WHERE closed = 0;

-- The price a meter is billed at from `from_hour` on. A running server keeps
-- its price until a resize or an applied price change adds a row.
CREATE TABLE meter_prices (
    meter_id       INTEGER NOT NULL REFERENCES billing_meters(id),
    from_hour      INTEGER NOT NULL,
    hourly_micros  INTEGER NOT NULL CHECK (hourly_micros >= 0),
    monthly_micros INTEGER NOT NULL CHECK (monthly_micros >= 0),
    plan_id        TEXT NOT NULL,
    price_rule_id  INTEGER,
    PRIMARY KEY (meter_id, from_hour)
) STRICT, WITHOUT ROWID;

-- Usage, aggregated: contiguous hours of one meter at one price within one
-- UTC month. One invoice line each. The CHECK makes an interval gap-free.
CREATE TABLE usage_intervals (
    meter_id             INTEGER NOT NULL REFERENCES billing_meters(id),
    month                INTEGER NOT NULL,
    price_from_hour      INTEGER NOT NULL,
    hourly_micros        INTEGER NOT NULL,
    monthly_micros       INTEGER NOT NULL,
    first_hour           INTEGER NOT NULL,
    last_hour            INTEGER NOT NULL,
    hours                INTEGER NOT NULL,
    capped_hours         INTEGER NOT NULL,
    amount_micros        INTEGER NOT NULL CHECK (amount_micros >= 0),
    month_to_date_micros INTEGER NOT NULL,
    CHECK (hours = last_hour - first_hour + 1 AND capped_hours BETWEEN 0 AND hours),
    PRIMARY KEY (meter_id, month, price_from_hour)
) STRICT, WITHOUT ROWID;
CREATE INDEX usage_intervals_by_month ON usage_intervals(month);

-- Double-entry ledger. Every transaction's entries sum to zero (checked by
-- the engine before commit); the balance cache is kept by triggers.
CREATE TABLE ledger_accounts (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('wallet', 'revenue', 'tax_payable', 'payment_clearing', 'adjustments', 'rounding')),
    organization_id TEXT NOT NULL,
    currency        TEXT NOT NULL CHECK (length(currency) = 3),
    balance_micros  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, organization_id, currency)
) STRICT;

-- `idem_key` is the idempotency key of the money movement (payment reference,
-- organization × usage day, invoice, …); `fingerprint` is its content, compared
-- when a key is reused. `open` usage transactions (one per organization and
-- UTC day) still accumulate hourly usage; everything else is append-only.
CREATE TABLE ledger_txns (
    id              INTEGER PRIMARY KEY,
    idem_key        TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('usage', 'payment', 'adjustment', 'invoice', 'credit_note', 'refund')),
    organization_id TEXT,
    currency        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    at              TEXT NOT NULL,
    month           INTEGER,
    memo            TEXT NOT NULL,
    actor           TEXT NOT NULL,
    document_id     TEXT
) STRICT;
CREATE INDEX ledger_txns_by_org ON ledger_txns(organization_id, at);

CREATE TABLE ledger_entries (
    txn_id        INTEGER NOT NULL REFERENCES ledger_txns(id),
    account_id    INTEGER NOT NULL REFERENCES ledger_accounts(id),
    amount_micros INTEGER NOT NULL,
    PRIMARY KEY (txn_id, account_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX ledger_entries_by_account ON ledger_entries(account_id, txn_id);

CREATE TRIGGER ledger_entries_cache_insert AFTER INSERT ON ledger_entries
BEGIN UPDATE ledger_accounts SET balance_micros = balance_micros + NEW.amount_micros WHERE id = NEW.account_id; END;
CREATE TRIGGER ledger_entries_cache_update AFTER UPDATE OF amount_micros ON ledger_entries
BEGIN UPDATE ledger_accounts SET balance_micros = balance_micros - OLD.amount_micros + NEW.amount_micros WHERE id = NEW.account_id; END;
CREATE TRIGGER ledger_entries_only_usage_grows BEFORE UPDATE ON ledger_entries
WHEN NEW.txn_id != OLD.txn_id OR NEW.account_id != OLD.account_id
  OR (SELECT kind FROM ledger_txns WHERE id = OLD.txn_id) != 'usage'
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: post a correcting transaction instead'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: post a correcting transaction instead'); END;
CREATE TRIGGER ledger_txns_no_delete BEFORE DELETE ON ledger_txns
BEGIN SELECT RAISE(ABORT, 'ledger transactions are append-only: post a correcting transaction instead'); END;
CREATE TRIGGER ledger_txns_frozen BEFORE UPDATE ON ledger_txns
BEGIN SELECT RAISE(ABORT, 'ledger transactions are append-only: post a correcting transaction instead'); END;
CREATE TRIGGER ledger_accounts_cache_only BEFORE UPDATE OF kind, organization_id, currency ON ledger_accounts
BEGIN SELECT RAISE(ABORT, 'ledger accounts cannot be renamed'); END;

-- Document number counters: one per series and period (see cs_core::numbering).
CREATE TABLE document_counters (
    series   TEXT NOT NULL,
    period   TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (series, period)
) STRICT;

-- Invoices, receipts and credit notes. A draft has no number; finalizing
-- assigns the next number of its series and makes the document immutable.
CREATE TABLE documents (
    id                  TEXT PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('invoice', 'receipt', 'credit_note')),
    status              TEXT NOT NULL CHECK (status IN ('draft', 'issued')),
    idem_key            TEXT NOT NULL UNIQUE,
    number              TEXT UNIQUE,
    -- the numbering period (format without the sequence) and the sequence in it
    period              TEXT,
    seq                 INTEGER,
    organization_id     TEXT NOT NULL,
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    month               INTEGER,
    customer_name       TEXT NOT NULL,
    customer_country    TEXT NOT NULL,
    customer_tax_id     TEXT,
    tax_note            TEXT,
    subtotal_minor      INTEGER NOT NULL,
    tax_minor           INTEGER NOT NULL,
    total_minor         INTEGER NOT NULL,
    usage_micros        INTEGER,
    credits_document_id TEXT REFERENCES documents(id),
    reference           TEXT,
    reason              TEXT,
    ledger_txn_id       INTEGER REFERENCES ledger_txns(id),
    created_at          TEXT NOT NULL,
    issued_at           TEXT,
    CHECK ((status = 'issued') = (number IS NOT NULL AND issued_at IS NOT NULL AND seq IS NOT NULL)),
    CHECK (total_minor = subtotal_minor + tax_minor),
    UNIQUE (kind, period, seq)
) STRICT;
CREATE INDEX documents_by_org ON documents(organization_id, created_at);
CREATE INDEX documents_by_month ON documents(month) WHERE kind = 'invoice';

CREATE TABLE document_lines (
    document_id       TEXT NOT NULL REFERENCES documents(id),
    line_no           INTEGER NOT NULL,
    description       TEXT NOT NULL,
    server_id         TEXT,
    item              TEXT,
    quantity_hours    INTEGER,
    unit_rate_micros  INTEGER,
    amount_micros     INTEGER NOT NULL,
    amount_minor      INTEGER NOT NULL,
    capped            INTEGER NOT NULL DEFAULT 0 CHECK (capped IN (0, 1)),
    tax_name          TEXT NOT NULL,
    tax_rate_ppm      INTEGER NOT NULL,
    PRIMARY KEY (document_id, line_no)
) STRICT, WITHOUT ROWID;

CREATE TABLE document_tax_totals (
    document_id TEXT NOT NULL REFERENCES documents(id),
    name        TEXT NOT NULL,
    rate_ppm    INTEGER NOT NULL,
    net_minor   INTEGER NOT NULL,
    tax_minor   INTEGER NOT NULL,
    PRIMARY KEY (document_id, name, rate_ppm)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER documents_issued_frozen BEFORE UPDATE ON documents WHEN OLD.status = 'issued'
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;
CREATE TRIGGER documents_issued_kept BEFORE DELETE ON documents WHEN OLD.status = 'issued'
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;
CREATE TRIGGER document_lines_insert_frozen BEFORE INSERT ON document_lines
WHEN (SELECT status FROM documents WHERE id = NEW.document_id) = 'issued'
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;
CREATE TRIGGER document_lines_update_frozen BEFORE UPDATE ON document_lines
WHEN (SELECT status FROM documents WHERE id = OLD.document_id) = 'issued'
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;
CREATE TRIGGER document_lines_delete_frozen BEFORE DELETE ON document_lines
WHEN (SELECT status FROM documents WHERE id = OLD.document_id) = 'issued'
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;
CREATE TRIGGER document_tax_insert_frozen BEFORE INSERT ON document_tax_totals
WHEN (SELECT status FROM documents WHERE id = NEW.document_id) = 'issued'
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;
CREATE TRIGGER document_tax_update_frozen BEFORE UPDATE ON document_tax_totals
WHEN (SELECT status FROM documents WHERE id = OLD.document_id) = 'issued'
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;
CREATE TRIGGER document_tax_delete_frozen BEFORE DELETE ON document_tax_totals
WHEN (SELECT status FROM documents WHERE id = OLD.document_id) = 'issued'
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;

-- Months whose invoices were all issued.
CREATE TABLE invoice_runs (
    month        INTEGER PRIMARY KEY,
    completed_at TEXT NOT NULL
) STRICT;

-- Tax rates per country, and per region of a country where needed ('' = all).
CREATE TABLE tax_rates (
    country  TEXT NOT NULL CHECK (length(country) = 2),
    region   TEXT NOT NULL,
    name     TEXT NOT NULL,
    rate_ppm INTEGER NOT NULL CHECK (rate_ppm BETWEEN 0 AND 1000000),
    PRIMARY KEY (country, region)
) STRICT;

-- Per-customer billing profile and dunning state.
CREATE TABLE billing_customers (
    organization_id             TEXT PRIMARY KEY,
    region                      TEXT,
    low_balance_threshold_minor INTEGER,
    state                       TEXT NOT NULL DEFAULT 'good' CHECK (state IN ('good', 'grace', 'suspended', 'terminated')),
    state_since                 TEXT,
    low_warned                  INTEGER NOT NULL DEFAULT 0,
    termination_warnings_sent   INTEGER NOT NULL DEFAULT 0
) STRICT;

-- What the app must do at the provider: power off (suspend), release
-- (unsuspend) or delete (terminate) an organization's servers. The app
-- reports back with the outcome.
CREATE TABLE dunning_decisions (
    id              INTEGER PRIMARY KEY,
    organization_id TEXT NOT NULL,
    action          TEXT NOT NULL CHECK (action IN ('suspend', 'unsuspend', 'terminate')),
    server_ids      TEXT NOT NULL CHECK (json_valid(server_ids)),
    decided_at      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    completed_at    TEXT,
    note            TEXT
) STRICT;
CREATE INDEX dunning_decisions_pending ON dunning_decisions(id) WHERE status = 'pending';

-- Servers whose billing may need attention (new, deleted, status changed),
-- queued by triggers so the run never has to scan every server, whatever code
-- path changed them. The billing run opens or closes their meters and empties
-- the queue in the same transaction.
CREATE TABLE billing_sync_queue (
    server_id TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;
CREATE TRIGGER servers_billing_insert AFTER INSERT ON servers
BEGIN INSERT OR IGNORE INTO billing_sync_queue (server_id) VALUES (NEW.id); END;
CREATE TRIGGER servers_billing_update AFTER UPDATE OF status, deleted_at ON servers
BEGIN INSERT OR IGNORE INTO billing_sync_queue (server_id) VALUES (NEW.id); END;
INSERT OR IGNORE INTO billing_sync_queue (server_id) SELECT id FROM servers;
