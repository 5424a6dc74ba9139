-- The backups the app made or tried (cs-app, `backup::store`): when, what
-- started it, the file written in the backup folder and its size, or why it
-- failed. The folder itself is the list of good backups (a file gets its
-- final name only once checked); this table keeps the failures to show and
-- when the schedule last ran. The app keeps the newest 200 rows.
CREATE TABLE backup_runs (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('manual', 'scheduled')),
    -- The file name in the backup folder; NULL when the backup failed.
    file    TEXT,
    bytes   INTEGER CHECK (bytes >= 0),
    took_ms INTEGER NOT NULL CHECK (took_ms >= 0),
    error   TEXT,
    CHECK ((error IS NULL) = (file IS NOT NULL))
) STRICT;
CREATE INDEX backup_runs_by_at ON backup_runs(at);
