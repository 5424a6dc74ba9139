//! DTOs of the customers area (re-exported by `crate::dto`): customers: organizations and their contact.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::{ActivityDto, ServerDto};

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationDto {
    pub id: String,
    pub name: String,
    pub country: String,
    pub tax_id: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub live_servers: u32,
    pub created_at: String,
    pub updated_at: String,
    /// Street lines, one per line; empty when not set.
    pub address_lines: String,
    pub postal_code: String,
    pub city: String,
    /// Peppol participant identifier `scheme:id`; empty when not set.
    pub peppol_id: String,
}

/// The orders the customers list offers.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationSortKey {
    #[default]
    Name,
    Created,
    Country,
}

/// A page of the customers list.
#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationListInput {
    /// The `next` of the page above; absent for the first.
    #[serde(default)]
    pub after: Option<String>,
    /// The `prev` of the page below, to read back up the list.
    #[serde(default)]
    pub before: Option<String>,
    /// 1 to 100 rows (50 when absent).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub sort: OrganizationSortKey,
    #[serde(default)]
    pub desc: bool,
    /// A prefix of the name or of the contact's email.
    #[serde(default)]
    pub search: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationPage {
    pub rows: Vec<OrganizationDto>,
    /// The `after` of the next page; `None` at the end.
    pub next: Option<String>,
    /// The `before` of the page above; `None` at the start.
    pub prev: Option<String>,
    /// How many customers match the search.
    pub total: u32,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationDetail {
    pub organization: OrganizationDto,
    pub servers: Vec<ServerDto>,
    pub activity: Vec<ActivityDto>,
    /// What this customer's data lacks for valid e-invoices (Peppol BIS 3.0),
    /// as sentences; empty when it is complete.
    pub e_invoice_gaps: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationInput {
    pub name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub country: String,
    pub tax_id: Option<String>,
    /// Street lines, one per line (for e-invoices).
    #[serde(default)]
    pub address_lines: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    /// Peppol participant identifier written `scheme:id`, e.g. "0088:5790000435968".
    #[serde(default)]
    pub peppol_id: Option<String>,
}
