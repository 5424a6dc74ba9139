//! The Tauri commands: each parses its arguments, calls the façade and maps
//! the error to `{code, message, fields}`. No business logic lives here.

use cs_app::dto::*;
use cs_app::AppError;
use tauri::State;

use crate::Shared;

type CmdResult<T> = Result<T, ErrorDto>;

/// Maps a façade error for the UI, logging the ones that are our fault.
fn fail(e: AppError) -> ErrorDto {
    if e.code() == "internal" {
        tracing::error!(error = %e, "command failed");
    }
    e.to_dto()
}

#[tauri::command]
#[specta::specta]
pub async fn app_info(app: State<'_, Shared>) -> CmdResult<AppInfo> {
    app.info().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn dashboard(app: State<'_, Shared>) -> CmdResult<Dashboard> {
    app.dashboard().map_err(fail)
}

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
pub async fn create_organization(app: State<'_, Shared>, input: OrganizationInput) -> CmdResult<OrganizationDto> {
    app.create_organization(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn update_organization(app: State<'_, Shared>, id: String, input: OrganizationInput) -> CmdResult<OrganizationDto> {
    app.update_organization(&id, input).map_err(fail)
}

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
pub async fn update_plan(app: State<'_, Shared>, id: String, input: PlanInput) -> CmdResult<PlanDto> {
    app.update_plan(&id, input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn catalog(app: State<'_, Shared>, provider: String) -> CmdResult<CatalogDto> {
    app.catalog(&provider).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn list_servers(app: State<'_, Shared>) -> CmdResult<Vec<ServerDto>> {
    app.list_servers().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_server(app: State<'_, Shared>, id: String) -> CmdResult<ServerDetail> {
    app.get_server(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn create_server(app: State<'_, Shared>, input: ServerInput) -> CmdResult<ServerDto> {
    app.create_server(input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn server_action(app: State<'_, Shared>, id: String, action: ServerAction) -> CmdResult<ServerDto> {
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
pub async fn list_activity(app: State<'_, Shared>, limit: u32, subject: Option<String>) -> CmdResult<Vec<ActivityDto>> {
    app.list_activity(limit, subject).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_settings(app: State<'_, Shared>) -> CmdResult<SettingsDto> {
    app.settings().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn update_settings(app: State<'_, Shared>, input: SettingsInput) -> CmdResult<SettingsDto> {
    app.update_settings(input).map_err(fail)
}

// ---- Billing -------------------------------------------------------------

#[tauri::command]
#[specta::specta]
pub async fn billing_overview(app: State<'_, Shared>) -> CmdResult<BillingOverview> {
    app.billing_overview().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn run_billing_now(app: State<'_, Shared>) -> CmdResult<BillingRunDto> {
    app.run_billing().await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn list_wallets(app: State<'_, Shared>) -> CmdResult<Vec<WalletDto>> {
    app.list_wallets().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_wallet(app: State<'_, Shared>, organization_id: String) -> CmdResult<WalletDetail> {
    app.get_wallet(&organization_id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn record_payment(app: State<'_, Shared>, input: PaymentInput) -> CmdResult<WalletDetail> {
    app.record_payment(input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn record_adjustment(app: State<'_, Shared>, input: AdjustmentInput) -> CmdResult<WalletDetail> {
    app.record_adjustment(input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn list_documents(app: State<'_, Shared>, filter: DocumentFilterInput) -> CmdResult<Vec<DocumentSummaryDto>> {
    app.list_documents(filter).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_document(app: State<'_, Shared>, id: String) -> CmdResult<DocumentDetail> {
    app.get_document(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn void_invoice(app: State<'_, Shared>, id: String, reason: String) -> CmdResult<DocumentSummaryDto> {
    app.void_invoice(&id, &reason).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn save_document_pdf(app: State<'_, Shared>, id: String) -> CmdResult<SavedFile> {
    app.save_document_pdf(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_billing_settings(app: State<'_, Shared>) -> CmdResult<BillingSettingsDto> {
    app.billing_settings().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn update_billing_settings(app: State<'_, Shared>, input: BillingSettingsDto) -> CmdResult<BillingSettingsDto> {
    app.update_billing_settings(input).map_err(fail)
}

// ---- Prices and add-ons ----------------------------------------------------

#[tauri::command]
#[specta::specta]
pub async fn plan_pricing(app: State<'_, Shared>, plan_id: String) -> CmdResult<PlanPricingDto> {
    app.plan_pricing(&plan_id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn add_price_version(app: State<'_, Shared>, plan_id: String, input: PriceVersionInput) -> CmdResult<PlanPricingDto> {
    app.add_price_version(&plan_id, input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn pending_price_changes(app: State<'_, Shared>, plan_id: Option<String>) -> CmdResult<PendingPriceChangesDto> {
    app.pending_price_changes(plan_id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn apply_price_changes(app: State<'_, Shared>, plan_id: Option<String>) -> CmdResult<AppliedPriceChangesDto> {
    app.apply_price_changes(plan_id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn server_addons(app: State<'_, Shared>, server_id: String) -> CmdResult<Vec<ServerAddonDto>> {
    app.server_addons(&server_id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn set_server_addon(app: State<'_, Shared>, server_id: String, item: String, enabled: bool) -> CmdResult<Vec<ServerAddonDto>> {
    app.set_server_addon(&server_id, &item, enabled).await.map_err(fail)
}

// ---- Providers -----------------------------------------------------------

/// Checks a Linode personal access token and keeps it in the OS keyring.
/// `base_url` points at another API endpoint (the fake Linode in demos and tests).
#[tauri::command]
#[specta::specta]
pub async fn connect_linode(app: State<'_, Shared>, token: String, base_url: Option<String>) -> CmdResult<ProviderInfo> {
    app.connect_linode(&token, base_url).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn disconnect_linode(app: State<'_, Shared>) -> CmdResult<ProviderInfo> {
    app.disconnect_linode().map_err(fail)
}
