-- The portal's first schema (PostgreSQL). Times are Unix milliseconds, ids
-- text, record bodies JSON text. The SQLite schema in ../sqlite says the same.

-- A reseller: one desktop pushing its records.
CREATE TABLE tenants (
    id              TEXT PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    -- the stream followed and how far it is held (cs_sync::protocol)
    stream          TEXT,
    held_through    BIGINT NOT NULL DEFAULT 0,
    last_push_at    BIGINT,
    desktop_name    TEXT,
    desktop_version TEXT,
    -- the error that stopped this tenant's sync, until a push succeeds
    stopped_code    TEXT,
    stopped_message TEXT,
    stopped_record  BIGINT
);

CREATE TABLE pairing_codes (
    code_hash  TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE sync_tokens (
    token_hash   TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX sync_tokens_by_tenant ON sync_tokens(tenant_id);

-- The projection: the latest record of every live entity of a tenant.
CREATE TABLE records (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    kind      TEXT NOT NULL,
    entity    TEXT NOT NULL,
    org       TEXT,
    seq       BIGINT NOT NULL,
    version   BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    -- what lists sort by (a server's label, a document's date and number)
    sort_key  TEXT COLLATE "C" NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, entity)
);
CREATE INDEX records_by_org ON records(tenant_id, org, kind, sort_key);

-- A customer's sign-in: one per invited contact.
CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    contact         TEXT NOT NULL,
    org             TEXT NOT NULL,
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    email_key       TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    -- the TOTP secret in use once enabled, and the one being set up
    totp_secret     BYTEA,
    totp_enabled_at BIGINT,
    -- the last time step a code was accepted for: a code of that step or an
    -- earlier one is refused (replay)
    totp_last_step  BIGINT,
    totp_pending    BYTEA,
    created_at      BIGINT NOT NULL,
    disabled_at     BIGINT,
    UNIQUE (tenant_id, email_key),
    UNIQUE (tenant_id, contact)
);

CREATE TABLE recovery_codes (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (account_id, code_hash)
);

-- Server-side sessions: only the hash of the cookie's token is kept.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    -- 'second_factor' until the TOTP code was given, then 'signed_in'
    stage        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX sessions_by_account ON sessions(account_id);

-- Single-use tokens mailed to customers (invitations, password resets,
-- email confirmations): only their hash is kept.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    account_id TEXT,
    contact    TEXT,
    org        TEXT,
    email      TEXT NOT NULL,
    -- the invitation record's id, so each invitation is mailed once
    source     TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE UNIQUE INDEX tokens_by_source ON tokens(tenant_id, purpose, source);
CREATE INDEX tokens_by_account ON tokens(account_id);

-- Fixed-window counters shared by every portal process.
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);

-- Mail waiting for the relay, written in the transaction that causes it.
CREATE TABLE mail_queue (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    -- what the mail is (invitation, password_reset …), for the operator
    kind       TEXT NOT NULL,
    -- the From display name (the reseller's) and Reply-To
    sender_name TEXT NOT NULL,
    reply_to   TEXT,
    recipient  TEXT NOT NULL,
    -- fixed when queued, so a resend is recognisably the same message
    message_id TEXT NOT NULL,
    subject    TEXT NOT NULL,
    text_body  TEXT NOT NULL,
    html_body  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL,
    lease_until BIGINT,
    sent_at    BIGINT,
    failed_at  BIGINT,
    last_error TEXT,
    -- the relay's answer when it took the mail
    relay_answer TEXT,
    -- sent again after a lease ran out: the relay may have it twice
    possibly_duplicated BIGINT NOT NULL DEFAULT 0,
    -- the single-use token the bodies carry: removed from them once the
    -- relay has the mail (or refused it for good)
    secret     TEXT
);
CREATE INDEX mail_queue_due ON mail_queue(next_at);

-- Who did what on the portal.
CREATE TABLE audit (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    account_id TEXT,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    ip         TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX audit_by_account ON audit(account_id, at);
