-- What a Peppol BIS Billing 3.0 e-invoice needs from the seller and the
-- customer beyond what documents print (crate cs-invoice, `peppol.rs`):
-- a Peppol participant identifier (scheme + id), the company registration
-- number, post code and city apart from the street lines, and the bank
-- account the UBL names as payment means.
--
-- Numbered 0010 (a free number below the migrations that exist): it depends
-- only on 0001 (organizations) and 0005 (branding).
--
-- Issued documents keep their seller and now their customer's e-invoice data
-- too: the triggers of 0005 are replaced by ones that copy the new columns, and
-- `document_buyers` keeps the customer's address and identifier as they were
-- when the document was issued. Documents issued before this migration keep
-- empty values (they were issued without them).
-- Nothing here is secret.

ALTER TABLE branding ADD COLUMN postal_code TEXT;
ALTER TABLE branding ADD COLUMN city TEXT;
ALTER TABLE branding ADD COLUMN registration_id TEXT;
ALTER TABLE branding ADD COLUMN peppol_scheme TEXT;
ALTER TABLE branding ADD COLUMN peppol_id TEXT;
ALTER TABLE branding ADD COLUMN bank_iban TEXT;
ALTER TABLE branding ADD COLUMN bank_bic TEXT;
ALTER TABLE branding ADD COLUMN bank_holder TEXT;

ALTER TABLE document_sellers ADD COLUMN postal_code TEXT;
ALTER TABLE document_sellers ADD COLUMN city TEXT;
ALTER TABLE document_sellers ADD COLUMN registration_id TEXT;
ALTER TABLE document_sellers ADD COLUMN peppol_scheme TEXT;
ALTER TABLE document_sellers ADD COLUMN peppol_id TEXT;
ALTER TABLE document_sellers ADD COLUMN bank_iban TEXT;
ALTER TABLE document_sellers ADD COLUMN bank_bic TEXT;
ALTER TABLE document_sellers ADD COLUMN bank_holder TEXT;

-- The customer's postal address (street lines newline-separated) and Peppol
-- participant identifier.
ALTER TABLE organizations ADD COLUMN address_lines TEXT;
ALTER TABLE organizations ADD COLUMN postal_code TEXT;
ALTER TABLE organizations ADD COLUMN city TEXT;
ALTER TABLE organizations ADD COLUMN peppol_scheme TEXT;
ALTER TABLE organizations ADD COLUMN peppol_id TEXT;

-- The customer's e-invoice data as it was when each document was issued (the
-- name, country and VAT identifier are on the document itself).
CREATE TABLE document_buyers (
    document_id   TEXT PRIMARY KEY REFERENCES documents(id),
    address_lines TEXT,
    postal_code   TEXT,
    city          TEXT,
    peppol_scheme TEXT,
    peppol_id     TEXT
) STRICT, WITHOUT ROWID;
CREATE TRIGGER document_buyers_frozen BEFORE UPDATE ON document_buyers
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;
CREATE TRIGGER document_buyers_kept BEFORE DELETE ON document_buyers
BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: issue a credit note to correct one'); END;

DROP VIEW branding_in_force;
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
    b.logo_sha256 AS logo_sha256,
    b.postal_code AS postal_code,
    b.city AS city,
    b.registration_id AS registration_id,
    b.peppol_scheme AS peppol_scheme,
    b.peppol_id AS peppol_id,
    b.bank_iban AS bank_iban,
    b.bank_bic AS bank_bic,
    b.bank_holder AS bank_holder
FROM (SELECT 1) LEFT JOIN branding b ON b.id = 1;

DROP TRIGGER documents_seller_on_issue;
DROP TRIGGER documents_seller_on_insert;
CREATE TRIGGER documents_seller_on_issue AFTER UPDATE OF status ON documents
WHEN OLD.status = 'draft' AND NEW.status = 'issued'
BEGIN
    INSERT INTO document_sellers (document_id, legal_name, address_lines, country, tax_id, email, phone, website, accent, payment_instructions, footer_note, logo_sha256,
                                  postal_code, city, registration_id, peppol_scheme, peppol_id, bank_iban, bank_bic, bank_holder)
    SELECT NEW.id, legal_name, address_lines, country, tax_id, email, phone, website, accent, payment_instructions, footer_note, logo_sha256,
           postal_code, city, registration_id, peppol_scheme, peppol_id, bank_iban, bank_bic, bank_holder FROM branding_in_force;
    INSERT INTO document_buyers (document_id, address_lines, postal_code, city, peppol_scheme, peppol_id)
    SELECT NEW.id, o.address_lines, o.postal_code, o.city, o.peppol_scheme, o.peppol_id
    FROM (SELECT 1) LEFT JOIN organizations o ON o.id = NEW.organization_id;
END;
CREATE TRIGGER documents_seller_on_insert AFTER INSERT ON documents
WHEN NEW.status = 'issued'
BEGIN
    INSERT INTO document_sellers (document_id, legal_name, address_lines, country, tax_id, email, phone, website, accent, payment_instructions, footer_note, logo_sha256,
                                  postal_code, city, registration_id, peppol_scheme, peppol_id, bank_iban, bank_bic, bank_holder)
    SELECT NEW.id, legal_name, address_lines, country, tax_id, email, phone, website, accent, payment_instructions, footer_note, logo_sha256,
           postal_code, city, registration_id, peppol_scheme, peppol_id, bank_iban, bank_bic, bank_holder FROM branding_in_force;
    INSERT INTO document_buyers (document_id, address_lines, postal_code, city, peppol_scheme, peppol_id)
    SELECT NEW.id, o.address_lines, o.postal_code, o.city, o.peppol_scheme, o.peppol_id
    FROM (SELECT 1) LEFT JOIN organizations o ON o.id = NEW.organization_id;
END;

-- Documents issued before this migration: issued without these data.
INSERT INTO document_buyers (document_id) SELECT id FROM documents WHERE status = 'issued';
