-- DigitalOcean beside Linode (cs-app `providers/digitalocean.rs`): plans and
-- provider accounts may name `digitalocean`. SQLite cannot change a CHECK in
-- place, so both tables are rebuilt with their rows (SQLite's documented
-- procedure). Foreign keys stay on inside the migration's transaction, so:
-- the checks of the rows that point at them are deferred to the commit, the
-- rows are put back after the new table exists (which settles those checks),
-- and `plan_regions`, whose rows the drop cascades away, is restored too.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE plans_keep AS SELECT * FROM plans;
CREATE TABLE plan_regions_keep AS SELECT * FROM plan_regions;
DROP TABLE plans;
CREATE TABLE plans (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL UNIQUE,
    provider      TEXT NOT NULL CHECK (provider IN ('sandbox', 'linode', 'digitalocean')),
    provider_type TEXT NOT NULL,
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    monthly_minor INTEGER NOT NULL CHECK (monthly_minor > 0),
    hourly_micros INTEGER NOT NULL CHECK (hourly_micros > 0),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
INSERT INTO plans (id, name, name_key, provider, provider_type, currency, monthly_minor, hourly_micros, active, created_at, updated_at)
SELECT id, name, name_key, provider, provider_type, currency, monthly_minor, hourly_micros, active, created_at, updated_at FROM plans_keep;
DELETE FROM plan_regions;
INSERT INTO plan_regions (plan_id, region) SELECT plan_id, region FROM plan_regions_keep;
DROP TABLE plans_keep;
DROP TABLE plan_regions_keep;

-- A DigitalOcean account is known by its account UUID (the same account is
-- not connected twice); its status and Droplet limit are shown in Settings.
-- `username` holds the account's team name, when the token is a team's.
CREATE TABLE provider_accounts_keep AS SELECT * FROM provider_accounts;
DROP TABLE provider_accounts;
CREATE TABLE provider_accounts (
    id                  TEXT PRIMARY KEY,
    provider            TEXT NOT NULL CHECK (provider IN ('linode', 'digitalocean')),
    label               TEXT NOT NULL,
    base_url            TEXT,
    username            TEXT,
    email               TEXT,
    restricted          INTEGER NOT NULL DEFAULT 0,
    scopes              TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes)),
    token_expiry        TEXT,
    token_expiry_known  INTEGER NOT NULL DEFAULT 0,
    token_expiry_note   TEXT,
    token_checked_at    TEXT,
    legacy_token        INTEGER NOT NULL DEFAULT 0,
    connected_at        TEXT NOT NULL,
    removed_at          TEXT,
    account_uuid        TEXT,
    account_status      TEXT,
    account_status_note TEXT,
    droplet_limit       INTEGER
) STRICT;
INSERT INTO provider_accounts (id, provider, label, base_url, username, email, restricted, scopes, token_expiry, token_expiry_known, token_expiry_note, token_checked_at, legacy_token, connected_at, removed_at)
SELECT id, provider, label, base_url, username, email, restricted, scopes, token_expiry, token_expiry_known, token_expiry_note, token_checked_at, legacy_token, connected_at, removed_at FROM provider_accounts_keep;
DROP TABLE provider_accounts_keep;
CREATE UNIQUE INDEX provider_accounts_live_label ON provider_accounts(provider, label) WHERE removed_at IS NULL;
