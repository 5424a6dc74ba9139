-- Intents (SQLite; the PostgreSQL schema in ../postgres says the same): what
-- customers asked for, waiting for the reseller's desktop to carry it out
-- (cs_sync::intent). The desktop's answer arrives as an intent_result record.
CREATE TABLE intents (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    org          TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    -- the contact's entity id, and their name when they asked
    contact      TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    kind         TEXT NOT NULL,
    version      BIGINT NOT NULL,
    body         TEXT NOT NULL,
    -- the server it is about, for the server's page
    server       TEXT,
    created_at   BIGINT NOT NULL,
    -- first handed to the desktop: from then on it waits for the answer
    delivered_at BIGINT,
    -- 'requested', 'applied', 'refused' or 'expired'
    state        TEXT NOT NULL,
    reason       TEXT,
    decided_at   BIGINT
);
CREATE INDEX intents_waiting ON intents(tenant_id, state, created_at);
CREATE INDEX intents_by_server ON intents(tenant_id, org, server, created_at);
