-- Provider accounts (cs-app `linode.rs`): a reseller may connect several
-- Linode accounts. Each has an id, a label the reseller chose (the Linode
-- username by default), its API root, what the token check learned (user,
-- scopes, the token's expiry) and its own catalogue and event cursor. Its
-- token lives in the OS keyring under `linode/<id>/token`, never here.
-- A removed account keeps its row (removed_at) so the deleted servers that
-- lived on it still name it; its label is free again.
CREATE TABLE provider_accounts (
    id                  TEXT PRIMARY KEY,
    provider            TEXT NOT NULL CHECK (provider IN ('linode')),
    label               TEXT NOT NULL,
    base_url            TEXT,
    username            TEXT,
    email               TEXT,
    restricted          INTEGER NOT NULL DEFAULT 0,
    scopes              TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes)),
    -- The token's expiry as Linode reports it (GET /profile/tokens); NULL
    -- with token_expiry_known = 1 means it never expires; token_expiry_known
    -- = 0 means it could not be read (token_expiry_note says why).
    token_expiry        TEXT,
    token_expiry_known  INTEGER NOT NULL DEFAULT 0,
    token_expiry_note   TEXT,
    token_checked_at    TEXT,
    -- 1 while the token still sits under the single-account keyring key
    -- `linode/token` of before 0009: the app moves it once, at start.
    legacy_token        INTEGER NOT NULL DEFAULT 0,
    connected_at        TEXT NOT NULL,
    removed_at          TEXT
) STRICT;
CREATE UNIQUE INDEX provider_accounts_live_label ON provider_accounts(provider, label) WHERE removed_at IS NULL;

-- The account a server lives on (NULL for the Sandbox). Provider ids are
-- unique per account.
ALTER TABLE servers ADD COLUMN account_id TEXT REFERENCES provider_accounts(id);
DROP INDEX servers_provider_id;
CREATE UNIQUE INDEX servers_provider_id ON servers(provider, coalesce(account_id, ''), provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX servers_by_account ON servers(account_id) WHERE account_id IS NOT NULL;

-- The single account of before 0009 becomes the first account.
INSERT INTO provider_accounts (id, provider, label, base_url, username, email, restricted, scopes, legacy_token, connected_at)
SELECT 'acc-' || lower(hex(randomblob(8))), 'linode',
       coalesce(json_extract(d.value, '$.username'), 'Linode'),
       (SELECT value FROM settings WHERE key = 'linode.base_url'),
       json_extract(d.value, '$.username'),
       json_extract(d.value, '$.email'),
       coalesce(json_extract(d.value, '$.restricted'), 0),
       coalesce(json_extract(d.value, '$.scopes'), '[]'),
       1,
       coalesce(json_extract(d.value, '$.connected_at'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
FROM settings d
WHERE d.key = 'linode.account_detail' AND json_valid(d.value);

UPDATE servers SET account_id = (SELECT id FROM provider_accounts WHERE provider = 'linode')
WHERE provider = 'linode' AND EXISTS (SELECT 1 FROM provider_accounts WHERE provider = 'linode');

-- Catalogues and event cursors are kept per account: `linode:<account id>`.
UPDATE provider_catalogue SET provider = 'linode:' || (SELECT id FROM provider_accounts WHERE provider = 'linode')
WHERE provider = 'linode' AND EXISTS (SELECT 1 FROM provider_accounts WHERE provider = 'linode');
UPDATE provider_catalogue_refresh SET provider = 'linode:' || (SELECT id FROM provider_accounts WHERE provider = 'linode')
WHERE provider = 'linode' AND EXISTS (SELECT 1 FROM provider_accounts WHERE provider = 'linode');
UPDATE provider_event_cursor SET provider = 'linode:' || (SELECT id FROM provider_accounts WHERE provider = 'linode')
WHERE provider = 'linode' AND EXISTS (SELECT 1 FROM provider_accounts WHERE provider = 'linode');
DELETE FROM provider_catalogue WHERE provider = 'linode';
DELETE FROM provider_catalogue_refresh WHERE provider = 'linode';
DELETE FROM provider_event_cursor WHERE provider = 'linode';

DELETE FROM settings WHERE key IN ('linode.account', 'linode.account_detail', 'linode.base_url');
