//! Payments: PayPal settings, payment links, refunds.

use cs_app::dto::*;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

#[tauri::command]
#[specta::specta]
pub async fn get_paypal_settings(app: State<'_, Shared>) -> CmdResult<PayPalSettingsDto> {
    app.paypal_settings().map_err(fail)
}

/// Saves the PayPal REST app; the secret goes to the OS keyring (an empty one keeps it).
#[tauri::command]
#[specta::specta]
pub async fn save_paypal_settings(
    app: State<'_, Shared>,
    input: PayPalSettingsInput,
) -> CmdResult<PayPalSettingsDto> {
    app.save_paypal_settings(input).map_err(fail)
}

/// Gets an access token with the saved settings.
#[tauri::command]
#[specta::specta]
pub async fn test_paypal_connection(app: State<'_, Shared>) -> CmdResult<PayPalConnectionTest> {
    app.test_paypal_connection().await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn create_payment_link(
    app: State<'_, Shared>,
    input: PaymentLinkInput,
) -> CmdResult<PaymentDetail> {
    app.create_payment_link(input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn list_payments(
    app: State<'_, Shared>,
    filter: PaymentFilterInput,
) -> CmdResult<PaymentPage> {
    app.list_payments(filter).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_payment(app: State<'_, Shared>, id: String) -> CmdResult<PaymentDetail> {
    app.get_payment(&id).map_err(fail)
}

/// "Check now": asks PayPal and captures / credits / finishes refunds.
#[tauri::command]
#[specta::specta]
pub async fn check_payment(app: State<'_, Shared>, id: String) -> CmdResult<PaymentDetail> {
    app.check_payment(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn send_payment_link(app: State<'_, Shared>, id: String) -> CmdResult<PaymentDetail> {
    app.send_payment_link(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn refund_payment(
    app: State<'_, Shared>,
    input: RefundInput,
) -> CmdResult<PaymentDetail> {
    app.refund_payment(input).await.map_err(fail)
}
