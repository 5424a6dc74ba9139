//! Plans, their prices and a server's add-ons.

use cs_app::dto::*;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

#[tauri::command]
#[specta::specta]
pub async fn list_plans(app: State<'_, Shared>) -> CmdResult<Vec<PlanDto>> {
    app.list_plans().await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn create_plan(app: State<'_, Shared>, input: PlanInput) -> CmdResult<PlanDto> {
    app.create_plan(input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn update_plan(
    app: State<'_, Shared>,
    id: String,
    input: PlanInput,
) -> CmdResult<PlanDto> {
    app.update_plan(&id, input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn plan_pricing(app: State<'_, Shared>, plan_id: String) -> CmdResult<PlanPricingDto> {
    app.plan_pricing(&plan_id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn add_price_version(
    app: State<'_, Shared>,
    plan_id: String,
    input: PriceVersionInput,
) -> CmdResult<PlanPricingDto> {
    app.add_price_version(&plan_id, input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn pending_price_changes(
    app: State<'_, Shared>,
    plan_id: Option<String>,
) -> CmdResult<PendingPriceChangesDto> {
    app.pending_price_changes(plan_id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn apply_price_changes(
    app: State<'_, Shared>,
    plan_id: Option<String>,
) -> CmdResult<AppliedPriceChangesDto> {
    app.apply_price_changes(plan_id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn server_addons(
    app: State<'_, Shared>,
    server_id: String,
) -> CmdResult<Vec<ServerAddonDto>> {
    app.server_addons(&server_id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn set_server_addon(
    app: State<'_, Shared>,
    server_id: String,
    item: String,
    enabled: bool,
) -> CmdResult<Vec<ServerAddonDto>> {
    app.set_server_addon(&server_id, &item, enabled)
        .await
        .map_err(fail)
}
