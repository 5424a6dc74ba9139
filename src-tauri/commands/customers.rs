//! Customers: organizations and their contact.

use cs_app::dto::*;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

/// One page of the customers list.
#[tauri::command]
#[specta::specta]
pub async fn list_organizations_page(
    app: State<'_, Shared>,
    input: OrganizationListInput,
) -> CmdResult<OrganizationPage> {
    app.list_organizations_page(input).map_err(fail)
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
