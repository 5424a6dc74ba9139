//! Customers: organizations and their contact.

use cs_app::dto::*;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

#[tauri::command]
#[specta::specta]
pub async fn list_organizations(app: State<'_, Shared>) -> CmdResult<Vec<OrganizationDto>> {
    app.list_organizations().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_organization(app: State<'_, Shared>, id: String) -> CmdResult<OrganizationDetail> {
    app.get_organization(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn create_organization(
    app: State<'_, Shared>,
    input: OrganizationInput,
) -> CmdResult<OrganizationDto> {
    app.create_organization(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn update_organization(
    app: State<'_, Shared>,
    id: String,
    input: OrganizationInput,
) -> CmdResult<OrganizationDto> {
    app.update_organization(&id, input).map_err(fail)
}
