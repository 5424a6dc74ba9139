-- ContainerStacks desktop store, first schema.
-- Migrations are append-only: never edit a file once it has shipped; add a new one.
-- Timestamps are UTC text in RFC 3339 with milliseconds ("2026-01-31T10:30:00.000Z"),
-- so they sort as text. Ids are UUID text. Money is integer minor units, rates micro-units.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    -- lower-cased name: two customers may not differ only by case
    name_key   TEXT NOT NULL UNIQUE,
    country    TEXT NOT NULL CHECK (length(country) = 2),
    tax_id     TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES organizations(id),
    name            TEXT NOT NULL,
    email           TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'staff', 'org_admin', 'org_member')),
    created_at      TEXT NOT NULL,
    CHECK ((role IN ('owner', 'staff')) = (organization_id IS NULL))
) STRICT;
CREATE INDEX users_by_org ON users(organization_id);

CREATE TABLE plans (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL UNIQUE,
    provider      TEXT NOT NULL CHECK (provider IN ('sandbox', 'linode')),
    provider_type TEXT NOT NULL,
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    monthly_minor INTEGER NOT NULL CHECK (monthly_minor > 0),
    hourly_micros INTEGER NOT NULL CHECK (hourly_micros > 0),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TABLE plan_regions (
    plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    region  TEXT NOT NULL,
    PRIMARY KEY (plan_id, region)
) STRICT;

CREATE TABLE servers (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    plan_id         TEXT NOT NULL REFERENCES plans(id),
    label           TEXT NOT NULL,
    provider        TEXT NOT NULL,
    provider_id     TEXT,
    provider_type   TEXT NOT NULL,
    region          TEXT NOT NULL,
    image           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('provisioning', 'booting', 'running', 'rebooting',
                        'shutting_down', 'offline', 'suspended', 'deleting', 'deleted', 'failed')),
    ipv4            TEXT,
    ipv6            TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
) STRICT;
-- A label names one live server; a deleted server's label can be reused.
CREATE UNIQUE INDEX servers_live_label ON servers(label) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX servers_provider_id ON servers(provider, provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX servers_by_org ON servers(organization_id);

-- The audit log: every change, who made it and when. Append-only.
CREATE TABLE activity (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    subject_kind    TEXT NOT NULL,
    subject_id      TEXT,
    organization_id TEXT,
    summary         TEXT NOT NULL
) STRICT;
CREATE INDEX activity_by_subject ON activity(subject_id);

-- Customer-facing changes, written in the same transaction as the change, for
-- the portal sync to push in sequence order. `pushed_at` is set once the
-- portal acknowledged the record.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    organization_id TEXT,
    kind            TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    pushed_at       TEXT
) STRICT;
CREATE INDEX outbox_unpushed ON outbox(seq) WHERE pushed_at IS NULL;
