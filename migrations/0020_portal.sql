-- The portal's outbox: the latest cs-sync record of every customer-facing
-- entity, one row per entity, given a new sequence number on every change
-- (so a push from 0 is a full snapshot). `body` is the record's JSON, NULL
-- once the entity is gone (a tombstone). Owner: cs-app's `portal` area.
CREATE TABLE portal_outbox (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    seq  INTEGER NOT NULL UNIQUE,
    at   TEXT NOT NULL,
    org  TEXT,
    v    INTEGER NOT NULL,
    body TEXT,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

-- The portal this desktop is paired with (one at most). The sync token is in
-- the OS keyring, never here.
CREATE TABLE portal_link (
    one          INTEGER PRIMARY KEY CHECK (one = 1),
    url          TEXT NOT NULL,
    tenant       TEXT NOT NULL,
    tenant_name  TEXT NOT NULL,
    -- The stream the records form (cs-sync): new at pairing and whenever
    -- the portal holds more than this desktop ever wrote.
    stream       TEXT NOT NULL,
    held_through INTEGER NOT NULL DEFAULT 0,
    paired_at    TEXT NOT NULL,
    last_push_at TEXT,
    last_error   TEXT,
    -- 1 when the portal refused in a way a person must act on.
    stopped      INTEGER NOT NULL DEFAULT 0
) STRICT;
