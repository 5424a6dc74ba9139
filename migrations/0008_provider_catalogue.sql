-- The providers' catalogues cached locally (cs-app `catalogue.rs`): regions,
-- instance types with their per-region prices, images with their capabilities
-- and the StackScripts the reseller offers. The plan form, the new-server form
-- and validation read these rows instead of calling the provider on every page
-- view; a refresh (every 24 h, or "Refresh catalogue") replaces a provider's
-- rows in one transaction. `data` is the provider-neutral item as JSON
-- (cs_provider::Region, InstanceType, Image, StackScript). Prices in `data`
-- are integers (minor units a month, micro-units an hour), never floats.
CREATE TABLE provider_catalogue (
    provider    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('region', 'type', 'image', 'stackscript')),
    id          TEXT NOT NULL,
    position    INTEGER NOT NULL,
    data        TEXT NOT NULL CHECK (json_valid(data)),
    PRIMARY KEY (provider, kind, id)
) WITHOUT ROWID;

-- One row per provider: when its catalogue was last refreshed, and the error
-- of the last failed attempt (kept while the previous catalogue stays in use).
CREATE TABLE provider_catalogue_refresh (
    provider       TEXT PRIMARY KEY,
    refreshed_at   TEXT,
    attempted_at   TEXT NOT NULL,
    last_error     TEXT
);

-- Where reconciliation is in each provider's account event feed: the id of
-- the newest event already handled. Events are read after it.
CREATE TABLE provider_event_cursor (
    provider       TEXT PRIMARY KEY,
    last_event_id  INTEGER NOT NULL,
    updated_at     TEXT NOT NULL
);
