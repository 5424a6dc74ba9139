//! Organizations and their users.

use std::collections::HashMap;

use cs_core::{Organization, OrganizationId, Role, User, UserId};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::page::{From as PageFrom, Keyset, Page};
use crate::{fmt_ts, parse_ts, Result, StoreError};

/// An organization with its contact (first admin) and how many live servers it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRecord {
    pub organization: Organization,
    pub contact: User,
    pub live_servers: i64,
}

pub fn insert(conn: &Connection, org: &Organization, contact: &User) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO organizations (id, name, name_key, country, tax_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        org.id.to_string(),
        org.name,
        org.name.to_lowercase(),
        org.country,
        org.tax_id,
        fmt_ts(&org.created_at),
        fmt_ts(&org.updated_at)
    ])?;
    insert_user(conn, contact)
}

pub fn insert_user(conn: &Connection, user: &User) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO users (id, organization_id, name, email, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![user.id.to_string(), user.organization_id.map(|o| o.to_string()), user.name, user.email, user.role.as_str(), fmt_ts(&user.created_at)])?;
    Ok(())
}

pub fn update(conn: &Connection, org: &Organization, contact: &User) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE organizations SET name = ?2, name_key = ?3, country = ?4, tax_id = ?5, updated_at = ?6 WHERE id = ?1",
        params![org.id.to_string(), org.name, org.name.to_lowercase(), org.country, org.tax_id, fmt_ts(&org.updated_at)],
    )?;
    conn.execute(
        "UPDATE users SET name = ?2, email = ?3 WHERE id = ?1",
        params![contact.id.to_string(), contact.name, contact.email],
    )?;
    Ok(())
}

const SELECT: &str = "
    SELECT o.id, o.name, o.country, o.tax_id, o.created_at, o.updated_at,
           u.id, u.name, u.email, u.role, u.created_at
    FROM organizations o
    JOIN users u ON u.id = (SELECT id FROM users WHERE organization_id = o.id AND role = 'org_admin' ORDER BY created_at, id LIMIT 1)";

/// An organization with its contact and its count of live servers (from
/// the `servers` module).
pub fn get(conn: &Connection, id: OrganizationId) -> Result<Option<OrganizationRecord>> {
    let sql = format!("{SELECT} WHERE o.id = ?1");
    let raw = conn.query_row(&sql, [id.to_string()], raw_row).optional()?;
    // This organization's servers only (the whole table's counts made every
    // read of one customer cost as much as the largest list).
    let live = HashMap::from([(id, crate::servers::count_live_of_org(conn, id)?)]);
    raw.map(|r| decode(r, &live)).transpose()
}

pub fn list(conn: &Connection) -> Result<Vec<OrganizationRecord>> {
    let sql = format!("{SELECT} ORDER BY o.name_key");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map([], raw_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let live = crate::servers::count_live_by_org(conn)?;
    rows.into_iter().map(|r| decode(r, &live)).collect()
}

/// The orders the customers list offers, each served by an index on (key, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrganizationSort {
    #[default]
    Name,
    Created,
    Country,
}

/// A customers list: search and order.
#[derive(Debug, Clone, Default)]
pub struct OrganizationQuery {
    pub sort: OrganizationSort,
    pub desc: bool,
    /// A prefix of the name or of the contact's email (any case).
    pub search: Option<String>,
}

/// One page of organizations with their contact and count of live servers
/// ([`crate::page`]); the counts are read for the page's rows only.
pub fn page(
    conn: &Connection,
    q: &OrganizationQuery,
    from: &PageFrom,
    limit: u32,
) -> Result<Page<OrganizationRecord>> {
    let (columns, rows_from) = SELECT
        .trim()
        .trim_start_matches("SELECT")
        .split_once("FROM")
        .expect("SELECT has a FROM");
    let mut k = Keyset {
        from: rows_from,
        count_from: "organizations o",
        columns,
        id: "o.id",
        sort: match q.sort {
            OrganizationSort::Name => "o.name_key",
            OrganizationSort::Created => "o.created_at",
            OrganizationSort::Country => "o.country",
        },
        desc: q.desc,
        filters: Vec::new(),
        params: Vec::new(),
    };
    if let Some(s) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let [lo, hi] = Keyset::prefix_bounds(&s.to_lowercase());
        let [elo, ehi] = Keyset::prefix_bounds(s);
        k.filter(
            "(o.name_key >= ? AND o.name_key < ?) OR o.id IN (SELECT organization_id FROM users WHERE email COLLATE NOCASE >= ? AND email COLLATE NOCASE < ?)",
            [lo, hi, elo, ehi],
        );
    }
    let page = k.read(conn, from, limit, |r| Ok(raw_row(r)?))?;
    let mut live = HashMap::new();
    for r in &page.rows {
        let id: OrganizationId =
            r.0.parse()
                .map_err(|e| StoreError::Corrupt(format!("organization id: {e}")))?;
        live.insert(id, crate::servers::count_live_of_org(conn, id)?);
    }
    let rows = page
        .rows
        .into_iter()
        .map(|r| decode(r, &live))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        rows,
        next: page.next,
        prev: page.prev,
        total: page.total,
    })
}

/// The names of the given organizations (those that exist).
pub fn names_of(
    conn: &Connection,
    ids: impl IntoIterator<Item = OrganizationId>,
) -> Result<HashMap<OrganizationId, String>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM organizations WHERE id = ?1")?;
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        if let Some(name) = stmt
            .query_row([id.to_string()], |r| r.get::<_, String>(0))
            .optional()?
        {
            out.insert(id, name);
        }
    }
    Ok(out)
}

/// The organization alone (an organization may have no contact yet).
pub fn get_organization(conn: &Connection, id: OrganizationId) -> Result<Option<Organization>> {
    let raw = conn
        .prepare_cached(&format!("{ORG_ONLY} WHERE id = ?1"))?
        .query_row([id.to_string()], org_row)
        .optional()?;
    raw.map(decode_org).transpose()
}

/// Every organization (contact or not), by name.
pub fn list_organizations(conn: &Connection) -> Result<Vec<Organization>> {
    let mut stmt = conn.prepare_cached(&format!("{ORG_ONLY} ORDER BY name_key"))?;
    let rows = stmt
        .query_map([], org_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode_org).collect()
}

/// Every organization's name by id.
pub fn names(conn: &Connection) -> Result<HashMap<OrganizationId, String>> {
    Ok(list_organizations(conn)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// The organization's contact (its first administrator).
pub fn contact(conn: &Connection, org: OrganizationId) -> Result<Option<User>> {
    Ok(get(conn, org)?.map(|r| r.contact))
}

const ORG_ONLY: &str =
    "SELECT id, name, country, tax_id, created_at, updated_at FROM organizations";

type OrgRaw = (String, String, String, Option<String>, String, String);

fn org_row(r: &Row<'_>) -> rusqlite::Result<OrgRaw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn decode_org(raw: OrgRaw) -> Result<Organization> {
    let (id, name, country, tax_id, created, updated) = raw;
    Ok(Organization {
        id: id
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("organization id: {e}")))?,
        name,
        country,
        tax_id,
        created_at: parse_ts(&created)?,
        updated_at: parse_ts(&updated)?,
    })
}

pub fn count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM organizations", [], |r| r.get(0))
}

/// Whether another organization already uses this name (case-insensitively).
pub fn name_taken(
    conn: &Connection,
    name: &str,
    except: Option<OrganizationId>,
) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM organizations WHERE name_key = ?1 AND id IS NOT ?2)",
        params![name.to_lowercase(), except.map(|e| e.to_string())],
        |r| r.get(0),
    )
}

/// Whether another user already has this email.
pub fn email_taken(
    conn: &Connection,
    email: &str,
    except: Option<UserId>,
) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1 AND id IS NOT ?2)",
        params![email, except.map(|e| e.to_string())],
        |r| r.get(0),
    )
}

type Raw = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn raw_row(r: &Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}

fn decode(raw: Raw, live: &HashMap<OrganizationId, i64>) -> Result<OrganizationRecord> {
    let (id, name, country, tax_id, created, updated, uid, uname, email, role, ucreated) = raw;
    let id: OrganizationId = id
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("organization id: {e}")))?;
    Ok(OrganizationRecord {
        organization: Organization {
            id,
            name,
            country,
            tax_id,
            created_at: parse_ts(&created)?,
            updated_at: parse_ts(&updated)?,
        },
        contact: User {
            id: uid
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("user id: {e}")))?,
            organization_id: Some(id),
            name: uname,
            email,
            role: Role::parse(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?,
            created_at: parse_ts(&ucreated)?,
        },
        live_servers: live.get(&id).copied().unwrap_or(0),
    })
}

/// What an e-invoice needs of an organization beyond its name, country and VAT
/// identifier: its postal address and Peppol participant identifier (each
/// `None` until set; checked by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EInvoiceData {
    /// Street lines, newline-separated.
    pub address_lines: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    /// Peppol Electronic Address Scheme code, e.g. `0088`.
    pub peppol_scheme: Option<String>,
    pub peppol_id: Option<String>,
}

const E_INVOICE_COLUMNS: &str = "address_lines, postal_code, city, peppol_scheme, peppol_id";

fn e_invoice_row(r: &Row<'_>, at: usize) -> rusqlite::Result<EInvoiceData> {
    Ok(EInvoiceData {
        address_lines: r.get(at)?,
        postal_code: r.get(at + 1)?,
        city: r.get(at + 2)?,
        peppol_scheme: r.get(at + 3)?,
        peppol_id: r.get(at + 4)?,
    })
}

/// The organization's e-invoice data (empty for an unknown organization).
pub fn e_invoice_data(conn: &Connection, id: OrganizationId) -> Result<EInvoiceData> {
    Ok(conn
        .query_row(
            &format!("SELECT {E_INVOICE_COLUMNS} FROM organizations WHERE id = ?1"),
            [id.to_string()],
            |r| e_invoice_row(r, 0),
        )
        .optional()?
        .unwrap_or_default())
}

/// Every organization's e-invoice data by id.
pub fn e_invoice_data_all(conn: &Connection) -> Result<HashMap<OrganizationId, EInvoiceData>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT id, {E_INVOICE_COLUMNS} FROM organizations"
    ))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, e_invoice_row(r, 1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, d)| {
            let id: OrganizationId = id
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("organization id: {e}")))?;
            Ok((id, d))
        })
        .collect()
}

/// Sets the organization's e-invoice data.
pub fn set_e_invoice_data(
    conn: &Connection,
    id: OrganizationId,
    d: &EInvoiceData,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE organizations SET address_lines = ?2, postal_code = ?3, city = ?4, peppol_scheme = ?5, peppol_id = ?6 WHERE id = ?1",
        params![id.to_string(), d.address_lines, d.postal_code, d.city, d.peppol_scheme, d.peppol_id],
    )?;
    Ok(())
}
