//! The SQL of the documents area: the reseller's branding (`branding`), its
//! logos (`branding_logos`) and the seller every issued document keeps
//! (`document_sellers`, written by a trigger when a document is issued), with
//! the view `branding_in_force` (migrations 0005 and 0010), and the customer's
//! e-invoice data every issued document keeps (`document_buyers`, migration 0010).

use cs_core::Timestamp;
use cs_store::fmt_ts;
use cs_store::rusqlite::{self, params, Connection, OptionalExtension};

use crate::AppResult;

/// The seller details of a document or of the branding in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SellerRow {
    pub legal_name: String,
    pub address_lines: String,
    pub country: String,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub accent: String,
    pub payment_instructions: Option<String>,
    pub footer_note: Option<String>,
    pub logo_sha256: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub registration_id: Option<String>,
    pub peppol_scheme: Option<String>,
    pub peppol_id: Option<String>,
    pub bank_iban: Option<String>,
    pub bank_bic: Option<String>,
    pub bank_holder: Option<String>,
}

const SELLER_COLUMNS: &str = "legal_name, address_lines, country, tax_id, email, phone, website, accent, payment_instructions, footer_note, logo_sha256,
    postal_code, city, registration_id, peppol_scheme, peppol_id, bank_iban, bank_bic, bank_holder";

fn seller_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SellerRow> {
    Ok(SellerRow {
        legal_name: r.get(0)?,
        address_lines: r.get(1)?,
        country: r.get(2)?,
        tax_id: r.get(3)?,
        email: r.get(4)?,
        phone: r.get(5)?,
        website: r.get(6)?,
        accent: r.get(7)?,
        payment_instructions: r.get(8)?,
        footer_note: r.get(9)?,
        logo_sha256: r.get(10)?,
        postal_code: r.get(11)?,
        city: r.get(12)?,
        registration_id: r.get(13)?,
        peppol_scheme: r.get(14)?,
        peppol_id: r.get(15)?,
        bank_iban: r.get(16)?,
        bank_bic: r.get(17)?,
        bank_holder: r.get(18)?,
    })
}

/// A customer's e-invoice data as a document was issued with it (migration 0010).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BuyerRow {
    pub address_lines: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub peppol_scheme: Option<String>,
    pub peppol_id: Option<String>,
}

/// The customer's address and Peppol identifier a document was issued with, or
/// `None` for a document without a snapshot (a draft).
pub(crate) fn buyer_of(c: &Connection, document_id: &str) -> AppResult<Option<BuyerRow>> {
    Ok(c.query_row(
        "SELECT address_lines, postal_code, city, peppol_scheme, peppol_id FROM document_buyers WHERE document_id = ?1",
        [document_id],
        |r| {
            Ok(BuyerRow {
                address_lines: r.get(0)?,
                postal_code: r.get(1)?,
                city: r.get(2)?,
                peppol_scheme: r.get(3)?,
                peppol_id: r.get(4)?,
            })
        },
    )
    .optional()?)
}

/// The customer's e-invoice data as it is now (for a document without a snapshot).
pub(crate) fn buyer_now(c: &Connection, org: cs_core::OrganizationId) -> AppResult<BuyerRow> {
    let d = cs_store::orgs::e_invoice_data(c, org)?;
    Ok(BuyerRow {
        address_lines: d.address_lines,
        postal_code: d.postal_code,
        city: d.city,
        peppol_scheme: d.peppol_scheme,
        peppol_id: d.peppol_id,
    })
}

/// The branding documents issued now would carry.
pub(crate) fn in_force(c: &Connection) -> AppResult<SellerRow> {
    Ok(c.query_row(
        &format!("SELECT {SELLER_COLUMNS} FROM branding_in_force"),
        [],
        seller_row,
    )?)
}

/// The seller a document was issued with (its snapshot), or, for a document
/// without one (a draft), the branding in force.
pub(crate) fn seller_of(c: &Connection, document_id: &str) -> AppResult<SellerRow> {
    let snap = c
        .query_row(
            &format!("SELECT {SELLER_COLUMNS} FROM document_sellers WHERE document_id = ?1"),
            [document_id],
            seller_row,
        )
        .optional()?;
    match snap {
        Some(s) => Ok(s),
        None => in_force(c),
    }
}

pub(crate) fn logo_png(c: &Connection, sha: &str) -> AppResult<Option<Vec<u8>>> {
    Ok(c.query_row(
        "SELECT png FROM branding_logos WHERE sha256 = ?1",
        [sha],
        |r| r.get(0),
    )
    .optional()?)
}

/// A stored logo: (PNG bytes, width, height).
pub(crate) fn logo(c: &Connection, sha: &str) -> AppResult<Option<(Vec<u8>, u32, u32)>> {
    Ok(c.query_row(
        "SELECT png, width, height FROM branding_logos WHERE sha256 = ?1",
        [sha],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()?)
}

pub(crate) fn logo_known(c: &Connection, sha: &str) -> AppResult<bool> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM branding_logos WHERE sha256 = ?1)",
        [sha],
        |r| r.get(0),
    )?)
}

/// Keeps an uploaded logo (content-addressed: the same PNG is kept once).
pub(crate) fn keep_logo(
    c: &Connection,
    sha: &str,
    png: &[u8],
    width: u32,
    height: u32,
    at: Timestamp,
) -> AppResult<()> {
    c.execute(
        "INSERT INTO branding_logos (sha256, png, width, height, created_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (sha256) DO NOTHING",
        params![sha, png, width, height, fmt_ts(&at)],
    )?;
    Ok(())
}

/// Whether the Branding card was saved once.
pub(crate) fn branding_saved(c: &Connection) -> AppResult<bool> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM branding WHERE id = 1)",
        [],
        |r| r.get(0),
    )?)
}

/// Saves the branding documents issued from now on carry.
pub(crate) fn save_branding(c: &Connection, row: &SellerRow, at: Timestamp) -> AppResult<()> {
    c.execute(
        "INSERT INTO branding (id, legal_name, address_lines, country, tax_id, email, phone, website, accent, payment_instructions, footer_note, logo_sha256, updated_at,
           postal_code, city, registration_id, peppol_scheme, peppol_id, bank_iban, bank_bic, bank_holder)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
         ON CONFLICT (id) DO UPDATE SET legal_name = excluded.legal_name, address_lines = excluded.address_lines, country = excluded.country,
           tax_id = excluded.tax_id, email = excluded.email, phone = excluded.phone, website = excluded.website, accent = excluded.accent,
           payment_instructions = excluded.payment_instructions, footer_note = excluded.footer_note, logo_sha256 = excluded.logo_sha256,
           updated_at = excluded.updated_at, postal_code = excluded.postal_code, city = excluded.city,
           registration_id = excluded.registration_id, peppol_scheme = excluded.peppol_scheme, peppol_id = excluded.peppol_id,
           bank_iban = excluded.bank_iban, bank_bic = excluded.bank_bic, bank_holder = excluded.bank_holder",
        params![
            row.legal_name,
            row.address_lines,
            row.country,
            row.tax_id,
            row.email,
            row.phone,
            row.website,
            row.accent,
            row.payment_instructions,
            row.footer_note,
            row.logo_sha256,
            fmt_ts(&at),
            row.postal_code,
            row.city,
            row.registration_id,
            row.peppol_scheme,
            row.peppol_id,
            row.bank_iban,
            row.bank_bic,
            row.bank_holder,
        ],
    )?;
    Ok(())
}

/// Removes the logos neither the branding nor any document points at.
pub(crate) fn prune_logos(c: &Connection) -> AppResult<()> {
    c.execute(
        "DELETE FROM branding_logos WHERE sha256 NOT IN (SELECT logo_sha256 FROM branding WHERE logo_sha256 IS NOT NULL)
           AND sha256 NOT IN (SELECT logo_sha256 FROM document_sellers WHERE logo_sha256 IS NOT NULL)",
        [],
    )?;
    Ok(())
}
