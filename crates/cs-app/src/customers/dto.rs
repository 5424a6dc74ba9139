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
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationDetail {
    pub organization: OrganizationDto,
    pub servers: Vec<ServerDto>,
    pub activity: Vec<ActivityDto>,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationInput {
    pub name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub country: String,
    pub tax_id: Option<String>,
}
