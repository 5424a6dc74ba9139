//! Servers: create, power, stats, and the server tabs (backups, network, firewalls, lifecycle).

use cs_app::dto::*;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

#[tauri::command]
#[specta::specta]
pub async fn list_servers(app: State<'_, Shared>, input: ServerListInput) -> CmdResult<ServerPage> {
    app.list_servers_page(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_server(app: State<'_, Shared>, id: String) -> CmdResult<ServerDetail> {
    app.get_server(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn create_server(
    app: State<'_, Shared>,
    input: ServerInput,
    options: CreateOptionsInput,
) -> CmdResult<ServerDto> {
    app.create_server(input, options).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn server_action(
    app: State<'_, Shared>,
    id: String,
    action: ServerAction,
) -> CmdResult<ServerDto> {
    app.server_action(&id, action).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_server(app: State<'_, Shared>, id: String) -> CmdResult<ServerDto> {
    app.delete_server(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn server_stats(app: State<'_, Shared>, id: String) -> CmdResult<ServerStatsDto> {
    app.server_stats(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn server_backups(app: State<'_, Shared>, id: String) -> CmdResult<ServerBackupsDto> {
    app.server_backups(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn enable_server_backups(
    app: State<'_, Shared>,
    id: String,
) -> CmdResult<ServerBackupsDto> {
    app.enable_server_backups(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_server_backups(
    app: State<'_, Shared>,
    id: String,
) -> CmdResult<ServerBackupsDto> {
    app.cancel_server_backups(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn take_server_snapshot(
    app: State<'_, Shared>,
    id: String,
    label: String,
) -> CmdResult<BackupDto> {
    app.take_server_snapshot(&id, &label).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn restore_server_backup(
    app: State<'_, Shared>,
    id: String,
    backup_id: String,
) -> CmdResult<ServerDto> {
    app.restore_server_backup(&id, &backup_id)
        .await
        .map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn server_network(app: State<'_, Shared>, id: String) -> CmdResult<ServerNetworkDto> {
    app.server_network(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn add_server_ipv4(app: State<'_, Shared>, id: String) -> CmdResult<ServerNetworkDto> {
    app.add_server_ipv4(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn set_server_rdns(
    app: State<'_, Shared>,
    id: String,
    address: String,
    rdns: Option<String>,
) -> CmdResult<IpAddressDto> {
    app.set_server_rdns(&id, &address, rdns).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn server_firewalls(app: State<'_, Shared>, id: String) -> CmdResult<ServerFirewallsDto> {
    app.server_firewalls(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn attach_server_firewall(
    app: State<'_, Shared>,
    id: String,
    firewall_id: String,
) -> CmdResult<ServerFirewallsDto> {
    app.attach_server_firewall(&id, &firewall_id)
        .await
        .map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn detach_server_firewall(
    app: State<'_, Shared>,
    id: String,
    firewall_id: String,
) -> CmdResult<ServerFirewallsDto> {
    app.detach_server_firewall(&id, &firewall_id)
        .await
        .map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn set_firewall_rules(
    app: State<'_, Shared>,
    id: String,
    firewall_id: String,
    rules: FirewallRulesDto,
) -> CmdResult<FirewallDto> {
    app.set_firewall_rules(&id, &firewall_id, rules)
        .await
        .map_err(fail)
}

/// A new firewall on the account server `id` lives on; attached to it when asked.
#[tauri::command]
#[specta::specta]
pub async fn create_server_firewall(
    app: State<'_, Shared>,
    id: String,
    input: NewFirewallInput,
) -> CmdResult<ServerFirewallsDto> {
    app.create_server_firewall(&id, input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn resize_server(
    app: State<'_, Shared>,
    id: String,
    plan_id: String,
) -> CmdResult<ServerDto> {
    app.resize_server(&id, &plan_id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn rebuild_server(
    app: State<'_, Shared>,
    id: String,
    input: RebuildInput,
) -> CmdResult<ServerDto> {
    app.rebuild_server(&id, input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn rescue_server(app: State<'_, Shared>, id: String) -> CmdResult<ServerDto> {
    app.rescue_server(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn reset_server_root_password(
    app: State<'_, Shared>,
    id: String,
    password: String,
) -> CmdResult<()> {
    app.reset_server_root_password(&id, &password)
        .await
        .map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn provider_firewalls(
    app: State<'_, Shared>,
    provider: String,
) -> CmdResult<Vec<FirewallDto>> {
    app.provider_firewalls(&provider).await.map_err(fail)
}
