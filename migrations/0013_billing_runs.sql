-- The runs of the billing scheduler (cs-app, `billing::runs`): when each ran,
-- through which hour it billed, what it billed, issued and decided, or why
-- it failed. Until now the settings keys `app.billing.last_run` (the last
-- good run) and `app.billing.failed_runs` (the last 20 failures) held them as
-- the UI's JSON, which a renamed field would have silently lost; they are
-- converted here. The app keeps the newest 100 good and 20 failed runs.
CREATE TABLE billing_runs (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    -- The start of the last hour billed; NULL when the run failed.
    through         TEXT,
    hours_billed    INTEGER NOT NULL DEFAULT 0 CHECK (hours_billed >= 0),
    invoices_issued INTEGER NOT NULL DEFAULT 0 CHECK (invoices_issued >= 0),
    decisions       INTEGER NOT NULL DEFAULT 0 CHECK (decisions >= 0),
    error           TEXT,
    CHECK ((error IS NULL) = (through IS NOT NULL))
) STRICT;
CREATE INDEX billing_runs_by_outcome ON billing_runs(error IS NULL, at);

-- Failed runs first, oldest first (the array is newest first), then the
-- last good run: ids follow time.
INSERT INTO billing_runs (at, through, hours_billed, invoices_issued, decisions, error)
SELECT json_extract(j.value, '$.at'), NULL, 0, 0, 0, coalesce(json_extract(j.value, '$.error'), 'the run failed')
FROM settings s, json_each(s.value) j
WHERE s.key = 'app.billing.failed_runs' AND json_valid(s.value) AND json_type(s.value) = 'array'
  AND json_extract(j.value, '$.at') IS NOT NULL
ORDER BY j.key DESC;

INSERT INTO billing_runs (at, through, hours_billed, invoices_issued, decisions, error)
SELECT json_extract(value, '$.at'), json_extract(value, '$.through'),
       CAST(coalesce(json_extract(value, '$.hoursBilled'), 0) AS INTEGER),
       coalesce(json_extract(value, '$.invoicesIssued'), 0),
       coalesce(json_extract(value, '$.decisions'), 0),
       NULL
FROM settings
WHERE key = 'app.billing.last_run' AND json_valid(value)
  AND json_extract(value, '$.at') IS NOT NULL AND json_extract(value, '$.through') IS NOT NULL;

DELETE FROM settings WHERE key IN ('app.billing.last_run', 'app.billing.failed_runs');
