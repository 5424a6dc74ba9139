-- The reseller's branding printed on documents (Settings → Branding), and the
-- seller details every issued document keeps (crate cs-app, module branding).
--
-- An issued document is immutable, and so is the seller it names: the trigger
-- below copies the branding in force into document_sellers in the same
-- transaction that issues the document (cs-billing sets status 'draft' →
-- 'issued'), so changing the branding later changes only documents issued
-- later. Documents issued before this migration get the seller details the
-- app printed for them until now (the reseller name setting and the billing
-- seller country, no logo), frozen here.
--
-- Logos are content-addressed (SHA-256 of the stored PNG) and never changed;
-- one that the branding or a document's snapshot points at is never deleted
-- (an upload that was never saved is).
-- Nothing here is secret.

CREATE TABLE branding_logos (
    sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    -- Always PNG: a JPEG upload is decoded and stored as PNG.
    png        BLOB NOT NULL,
    width      INTEGER NOT NULL CHECK (width > 0),
    height     INTEGER NOT NULL CHECK (height > 0),
    created_at TEXT NOT NULL
) STRICT;
CREATE TRIGGER branding_logos_frozen BEFORE UPDATE ON branding_logos
BEGIN SELECT RAISE(ABORT, 'logos are kept as printed on documents'); END;

-- One row (id = 1) once the reseller saved the Branding card.
CREATE TABLE branding (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    legal_name           TEXT NOT NULL,
    -- Street lines, postal code and city, newline-separated, as printed.
    address_lines        TEXT NOT NULL,
    country              TEXT NOT NULL CHECK (length(country) = 2),
    tax_id               TEXT,
    email                TEXT,
    phone                TEXT,
    website              TEXT,
    accent               TEXT NOT NULL CHECK (accent GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    payment_instructions TEXT,
    footer_note          TEXT,
    logo_sha256          TEXT REFERENCES branding_logos(sha256),
    updated_at           TEXT NOT NULL
) STRICT;

-- The seller as printed on each issued document.
CREATE TABLE document_sellers (
    document_id          TEXT PRIMARY KEY REFERENCES documents(id),
    legal_name           TEXT NOT NULL,
    address_lines        TEXT NOT NULL,
    country              TEXT NOT NULL,
    tax_id               TEXT,
    email                TEXT,
    phone                TEXT,
    website              TEXT,
    accent               TEXT NOT NULL,
    payment_instructions TEXT,
    footer_note          TEXT,
    logo_sha256          TEXT REFERENCES branding_logos(sha256)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER document_sellers_frozen BEFORE UPDATE ON document_sellers
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;
CREATE TRIGGER document_sellers_kept BEFORE DELETE ON document_sellers
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;

CREATE TRIGGER branding_logos_kept BEFORE DELETE ON branding_logos
WHEN EXISTS (SELECT 1 FROM branding WHERE logo_sha256 = OLD.sha256)
  OR EXISTS (SELECT 1 FROM document_sellers WHERE logo_sha256 = OLD.sha256)
BEGIN SELECT RAISE(ABORT, 'logos are kept as printed on documents'); END;

-- The branding in force, or, before the Branding card was saved, the reseller
-- name and the billing seller country (what documents printed until then).
CREATE VIEW branding_in_force AS
SELECT
    coalesce(b.legal_name, (SELECT value FROM settings WHERE key = 'reseller.name'), 'My Cloud') AS legal_name,
    coalesce(b.address_lines, '') AS address_lines,
    coalesce(b.country, (SELECT value FROM settings WHERE key = 'billing.seller_country'), 'US') AS country,
    b.tax_id AS tax_id,
    b.email AS email,
    b.phone AS phone,
    b.website AS website,
    coalesce(b.accent, '#2563eb') AS accent,
    b.payment_instructions AS payment_instructions,
    b.footer_note AS footer_note,
    b.logo_sha256 AS logo_sha256
FROM (SELECT 1) LEFT JOIN branding b ON b.id = 1;

CREATE TRIGGER documents_seller_on_issue AFTER UPDATE OF status ON documents
WHEN OLD.status = 'draft' AND NEW.status = 'issued'
BEGIN
    INSERT INTO document_sellers (document_id, legal_name, address_lines, country, tax_id, email, phone, website, accent, payment_instructions, footer_note, logo_sha256)
    SELECT NEW.id, legal_name, address_lines, country, tax_id, email, phone, website, accent, payment_instructions, footer_note, logo_sha256 FROM branding_in_force;
END;
CREATE TRIGGER documents_seller_on_insert AFTER INSERT ON documents
WHEN NEW.status = 'issued'
BEGIN
    INSERT INTO document_sellers (document_id, legal_name, address_lines, country, tax_id, email, phone, website, accent, payment_instructions, footer_note, logo_sha256)
    SELECT NEW.id, legal_name, address_lines, country, tax_id, email, phone, website, accent, payment_instructions, footer_note, logo_sha256 FROM branding_in_force;
END;

-- Documents issued before this migration.
INSERT INTO document_sellers (document_id, legal_name, address_lines, country, tax_id, email, phone, website, accent, payment_instructions, footer_note, logo_sha256)
SELECT d.id, f.legal_name, f.address_lines, f.country, f.tax_id, f.email, f.phone, f.website, f.accent, f.payment_instructions, f.footer_note, f.logo_sha256
FROM documents d, branding_in_force f WHERE d.status = 'issued';
