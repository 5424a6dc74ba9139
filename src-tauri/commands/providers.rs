//! Providers: catalogues, Linode accounts and DigitalOcean accounts.

use cs_app::dto::*;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

#[tauri::command]
#[specta::specta]
pub async fn catalogue(app: State<'_, Shared>, provider: String) -> CmdResult<CatalogueDto> {
    app.provider_catalogue(&provider).await.map_err(fail)
}

/// Checks a Linode personal access token, keeps it in the OS keyring and adds
/// the account. `base_url` points at another API endpoint (the fake Linode in
/// demos and tests).
#[tauri::command]
#[specta::specta]
pub async fn add_linode_account(
    app: State<'_, Shared>,
    input: AddLinodeAccountInput,
) -> CmdResult<LinodeAccountDto> {
    app.add_linode_account(input).await.map_err(fail)
}

/// Removes a Linode account without servers, and its token from the keyring.
#[tauri::command]
#[specta::specta]
pub async fn remove_linode_account(
    app: State<'_, Shared>,
    id: String,
) -> CmdResult<Vec<LinodeAccountDto>> {
    app.remove_linode_account(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn test_linode_account(
    app: State<'_, Shared>,
    id: String,
) -> CmdResult<LinodeAccountDto> {
    app.test_linode_account(&id).await.map_err(fail)
}

/// A new token for an existing account; the account and its servers stay.
#[tauri::command]
#[specta::specta]
pub async fn replace_linode_token(
    app: State<'_, Shared>,
    id: String,
    token: String,
) -> CmdResult<LinodeAccountDto> {
    app.replace_linode_token(&id, &token).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn linode_accounts(app: State<'_, Shared>) -> CmdResult<Vec<LinodeAccountDto>> {
    app.linode_accounts().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn refresh_account_catalogue(
    app: State<'_, Shared>,
    account_id: String,
) -> CmdResult<CatalogueStatusDto> {
    app.refresh_account_catalogue(&account_id)
        .await
        .map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn refresh_catalogue(
    app: State<'_, Shared>,
    provider: String,
) -> CmdResult<CatalogueStatusDto> {
    app.refresh_catalogue(&provider).await.map_err(fail)
}

/// Checks a DigitalOcean personal access token (a read-only one is refused),
/// keeps it in the OS keyring and adds the account. `base_url` points at
/// another API endpoint (the fake DigitalOcean in demos and tests).
#[tauri::command]
#[specta::specta]
pub async fn add_digitalocean_account(
    app: State<'_, Shared>,
    input: AddDigitalOceanAccountInput,
) -> CmdResult<DigitalOceanAccountDto> {
    app.add_digitalocean_account(input).await.map_err(fail)
}

/// Removes a DigitalOcean account without servers, and its token from the keyring.
#[tauri::command]
#[specta::specta]
pub async fn remove_digitalocean_account(
    app: State<'_, Shared>,
    id: String,
) -> CmdResult<Vec<DigitalOceanAccountDto>> {
    app.remove_digitalocean_account(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn test_digitalocean_account(
    app: State<'_, Shared>,
    id: String,
) -> CmdResult<DigitalOceanAccountDto> {
    app.test_digitalocean_account(&id).await.map_err(fail)
}

/// A new token for an existing DigitalOcean account; the account and its servers stay.
#[tauri::command]
#[specta::specta]
pub async fn replace_digitalocean_token(
    app: State<'_, Shared>,
    id: String,
    token: String,
) -> CmdResult<DigitalOceanAccountDto> {
    app.replace_digitalocean_token(&id, &token)
        .await
        .map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn digitalocean_accounts(
    app: State<'_, Shared>,
) -> CmdResult<Vec<DigitalOceanAccountDto>> {
    app.digitalocean_accounts().map_err(fail)
}
