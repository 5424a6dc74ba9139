//! Billing: the overview, runs, wallets, manual payments, Settings → Billing.

use cs_app::dto::*;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

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
pub async fn get_wallet(
    app: State<'_, Shared>,
    organization_id: String,
) -> CmdResult<WalletDetail> {
    app.get_wallet(&organization_id).map_err(fail)
}

/// One page of a customer's wallet transactions.
#[tauri::command]
#[specta::specta]
pub async fn list_wallet_entries(
    app: State<'_, Shared>,
    input: WalletEntryListInput,
) -> CmdResult<WalletEntryPage> {
    app.list_wallet_entries(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn record_payment(
    app: State<'_, Shared>,
    input: PaymentInput,
) -> CmdResult<WalletDetail> {
    app.record_payment(input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn record_adjustment(
    app: State<'_, Shared>,
    input: AdjustmentInput,
) -> CmdResult<WalletDetail> {
    app.record_adjustment(input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_billing_settings(app: State<'_, Shared>) -> CmdResult<BillingSettingsDto> {
    app.billing_settings().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn update_billing_settings(
    app: State<'_, Shared>,
    input: BillingSettingsDto,
) -> CmdResult<BillingSettingsDto> {
    app.update_billing_settings(input).map_err(fail)
}
