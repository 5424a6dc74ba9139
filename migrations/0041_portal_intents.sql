-- Customers' requests from the hosted portal (cs_sync::intent), keyed by the
-- id the portal chose: each is applied at most once, however often it is
-- fetched. Owner: cs-app portal (crates/cs-app/src/portal/store.rs).
CREATE TABLE portal_intents (
    id              TEXT PRIMARY KEY,
    received_at     TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    -- the contact who asked (their user id)
    contact         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    server_id       TEXT,
    -- 'applying' (checked, being carried out), 'applied' or 'refused'
    state           TEXT NOT NULL CHECK (state IN ('applying', 'applied', 'refused')),
    reason          TEXT,
    decided_at      TEXT
);
CREATE INDEX portal_intents_applying ON portal_intents(state) WHERE state = 'applying';
