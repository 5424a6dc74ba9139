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
pub async fn list_activity(
    app: State<'_, Shared>,
    limit: u32,
    subject: Option<String>,
) -> CmdResult<Vec<ActivityDto>> {
    app.list_activity(limit, subject).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_settings(app: State<'_, Shared>) -> CmdResult<SettingsDto> {
    app.settings().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn update_settings(
    app: State<'_, Shared>,
    input: SettingsInput,
) -> CmdResult<SettingsDto> {
    app.update_settings(input).map_err(fail)
}

// ---- Email -------------------------------------------------------------------

#[tauri::command]
#[specta::specta]
pub async fn get_email_settings(app: State<'_, Shared>) -> CmdResult<EmailSettingsDto> {
    app.email_settings().map_err(fail)
}

/// Saves Settings → Email; the password goes to the OS keyring (`None` keeps it).
#[tauri::command]
#[specta::specta]
pub async fn update_email_settings(
    app: State<'_, Shared>,
    input: EmailSettingsInput,
) -> CmdResult<EmailSettingsDto> {
    app.update_email_settings(input).map_err(fail)
}

/// Sends a test mail now with the saved settings (not through the outbox).
#[tauri::command]
#[specta::specta]
pub async fn send_test_mail(app: State<'_, Shared>, to: String) -> CmdResult<TestMailResult> {
    app.send_test_mail(&to).await.map_err(fail)
}

/// `filter`: all, pending, sent or failed.
#[tauri::command]
#[specta::specta]
pub async fn list_outbox(app: State<'_, Shared>, filter: String) -> CmdResult<OutboxListDto> {
    app.list_outbox(&filter).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_outbox_message(app: State<'_, Shared>, id: String) -> CmdResult<OutboxMessageDto> {
    app.get_outbox_message(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn retry_mail(app: State<'_, Shared>, id: String) -> CmdResult<OutboxItemDto> {
    app.retry_mail(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn list_mail_templates(app: State<'_, Shared>) -> CmdResult<Vec<MailTemplateDto>> {
    app.list_mail_templates().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn save_mail_template(
    app: State<'_, Shared>,
    kind: String,
    input: MailTemplateInput,
) -> CmdResult<MailTemplateDto> {
    app.save_mail_template(&kind, input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn reset_mail_template(
    app: State<'_, Shared>,
    kind: String,
) -> CmdResult<MailTemplateDto> {
    app.reset_mail_template(&kind).map_err(fail)
}

/// Renders an unsaved template with sample data (the editor's live preview).
#[tauri::command]
#[specta::specta]
pub async fn preview_mail_template(
    app: State<'_, Shared>,
    kind: String,
    input: MailTemplateInput,
) -> CmdResult<MailPreviewDto> {
    app.preview_mail_template(&kind, input).map_err(fail)
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
pub async fn get_wallet(
    app: State<'_, Shared>,
    organization_id: String,
) -> CmdResult<WalletDetail> {
    app.get_wallet(&organization_id).map_err(fail)
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
pub async fn list_documents(
    app: State<'_, Shared>,
    filter: DocumentFilterInput,
) -> CmdResult<Vec<DocumentSummaryDto>> {
    app.list_documents(filter).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_document(app: State<'_, Shared>, id: String) -> CmdResult<DocumentDetail> {
    app.get_document(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn void_invoice(
    app: State<'_, Shared>,
    id: String,
    reason: String,
) -> CmdResult<DocumentSummaryDto> {
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
pub async fn update_billing_settings(
    app: State<'_, Shared>,
    input: BillingSettingsDto,
) -> CmdResult<BillingSettingsDto> {
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

// ---- Providers -----------------------------------------------------------

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

// ---- Payments (PayPal) -----------------------------------------------------

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
) -> CmdResult<Vec<PaymentDto>> {
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

// ---- Documents for accountants: branding, previews, e-invoices, period export ----

#[tauri::command]
#[specta::specta]
pub async fn get_branding(app: State<'_, Shared>) -> CmdResult<BrandingDto> {
    app.branding().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn update_branding(
    app: State<'_, Shared>,
    input: BrandingInput,
) -> CmdResult<BrandingDto> {
    app.update_branding(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn upload_logo(app: State<'_, Shared>, input: LogoUploadInput) -> CmdResult<LogoDto> {
    app.upload_logo(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn preview_branding(app: State<'_, Shared>, input: BrandingInput) -> CmdResult<PdfDto> {
    app.preview_branding(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn document_pdf_data(app: State<'_, Shared>, id: String) -> CmdResult<PdfDto> {
    app.document_pdf_dto(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn save_document_ubl(app: State<'_, Shared>, id: String) -> CmdResult<SavedFile> {
    app.save_document_ubl(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn plan_export(
    app: State<'_, Shared>,
    from: String,
    to: String,
    folder: String,
) -> CmdResult<ExportPlanDto> {
    app.plan_export(&from, &to, &folder).map_err(fail)
}

/// Runs the export on a blocking thread, pushing `ExportProgress` events.
#[tauri::command]
#[specta::specta]
pub async fn export_documents(
    handle: tauri::AppHandle,
    app: State<'_, Shared>,
    input: ExportInput,
) -> CmdResult<ExportResultDto> {
    use tauri_specta::Event;
    let app = app.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        app.export_documents(input, &|p| {
            let _ = crate::events::ExportProgress { progress: p }.emit(&handle);
        })
    })
    .await
    .map_err(|e| ErrorDto {
        code: "internal".into(),
        message: format!("the export stopped unexpectedly: {e}"),
        fields: vec![],
    })?
    .map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_export(app: State<'_, Shared>) -> CmdResult<bool> {
    Ok(app.cancel_export())
}

/// The native folder chooser; null when the user closes it.
#[tauri::command]
#[specta::specta]
pub async fn pick_folder(handle: tauri::AppHandle, title: String) -> CmdResult<Option<String>> {
    use tauri_plugin_dialog::DialogExt;
    let picked = tauri::async_runtime::spawn_blocking(move || {
        handle
            .dialog()
            .file()
            .set_title(title)
            .blocking_pick_folder()
    })
    .await
    .map_err(|e| ErrorDto {
        code: "internal".into(),
        message: format!("the folder chooser failed: {e}"),
        fields: vec![],
    })?;
    match picked {
        None => Ok(None),
        Some(p) => p
            .into_path()
            .map(|p| Some(p.display().to_string()))
            .map_err(|e| ErrorDto {
                code: "unavailable".into(),
                message: format!(
                    "That location is not a local folder ({e}): choose a folder on this computer"
                ),
                fields: vec![],
            }),
    }
}

// ---- Linode account, provider catalogue and the server tabs (backups, network, firewalls, lifecycle)

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

#[tauri::command]
#[specta::specta]
pub async fn create_server_with_options(
    app: State<'_, Shared>,
    input: ServerInput,
    options: CreateOptionsInput,
) -> CmdResult<ServerDto> {
    app.create_server_with(input, options).await.map_err(fail)
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
