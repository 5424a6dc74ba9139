//! The desktop shell of ContainerStacks: Tauri setup, the commands, backend
//! events, and the headless daemon that runs the same façade with no window.
//!
//! Everything here is an adapter: [`commands`] turn webview calls into
//! `cs_app::App` calls, [`events::TauriEvents`] turns façade events into
//! webview events. This is the only crate that depends on Tauri.

pub mod commands;
pub mod daemon;
pub mod events;
pub mod logging;
pub mod paths;

use std::sync::Arc;
use std::time::Duration;

use cs_app::{App, AppConfig, EventSink, SystemClock};
use cs_provider::sandbox::Timing;
use cs_secrets::Keyring;
use tauri::Manager;

/// The managed state every command reaches through `tauri::State`.
pub type Shared = Arc<App>;

/// How often transitional servers are polled.
const RECONCILE_EVERY: Duration = Duration::from_secs(1);

/// How often the billing scheduler looks for hours that are over; each run
/// bills only what is due, so this only bounds the delay after an hour ends.
const BILL_EVERY: Duration = Duration::from_secs(60);
/// How often payments waiting for PayPal are checked (young links every
/// round, older ones less often: see `cs_app::App::poll_payments`).
const PAYPAL_POLL_EVERY: Duration = Duration::from_secs(5);

/// The commands and events, for the invoke handler and the bindings.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            commands::app_info,
            commands::dashboard,
            commands::list_organizations,
            commands::get_organization,
            commands::create_organization,
            commands::update_organization,
            commands::list_plans,
            commands::create_plan,
            commands::update_plan,
            commands::catalog,
            commands::list_servers,
            commands::get_server,
            commands::create_server,
            commands::server_action,
            commands::delete_server,
            commands::server_stats,
            commands::list_activity,
            commands::get_settings,
            commands::update_settings,
            commands::get_email_settings,
            commands::update_email_settings,
            commands::send_test_mail,
            commands::list_outbox,
            commands::get_outbox_message,
            commands::retry_mail,
            commands::list_mail_templates,
            commands::save_mail_template,
            commands::reset_mail_template,
            commands::preview_mail_template,
            commands::billing_overview,
            commands::run_billing_now,
            commands::list_wallets,
            commands::get_wallet,
            commands::record_payment,
            commands::record_adjustment,
            commands::list_documents,
            commands::get_document,
            commands::void_invoice,
            commands::save_document_pdf,
            commands::get_billing_settings,
            commands::update_billing_settings,
            commands::plan_pricing,
            commands::add_price_version,
            commands::pending_price_changes,
            commands::apply_price_changes,
            commands::server_addons,
            commands::set_server_addon,
            commands::add_linode_account,
            commands::remove_linode_account,
            commands::test_linode_account,
            commands::replace_linode_token,
            commands::get_paypal_settings,
            commands::save_paypal_settings,
            commands::test_paypal_connection,
            commands::create_payment_link,
            commands::list_payments,
            commands::get_payment,
            commands::check_payment,
            commands::send_payment_link,
            commands::refund_payment,
            commands::get_branding,
            commands::update_branding,
            commands::upload_logo,
            commands::preview_branding,
            commands::document_pdf_data,
            commands::save_document_ubl,
            commands::plan_export,
            commands::export_documents,
            commands::cancel_export,
            commands::pick_folder,
            commands::linode_accounts,
            commands::refresh_catalogue,
            commands::refresh_account_catalogue,
            commands::create_server_with_options,
            commands::server_backups,
            commands::enable_server_backups,
            commands::cancel_server_backups,
            commands::take_server_snapshot,
            commands::restore_server_backup,
            commands::server_network,
            commands::add_server_ipv4,
            commands::set_server_rdns,
            commands::server_firewalls,
            commands::attach_server_firewall,
            commands::detach_server_firewall,
            commands::set_firewall_rules,
            commands::create_server_firewall,
            commands::resize_server,
            commands::rebuild_server,
            commands::rescue_server,
            commands::reset_server_root_password,
            commands::provider_firewalls,
        ])
        .events(tauri_specta::collect_events![
            events::ServerChanged,
            events::ActivityRecorded,
            events::ExportProgress,
            events::BillingProgress
        ])
}

/// The TypeScript bindings, as committed in `ui/src/bindings.ts`.
pub fn render_bindings() -> anyhow::Result<String> {
    let dir = tempfile_dir()?;
    let path = dir.join("bindings.ts");
    specta_builder()
        .export(specta_typescript::Typescript::default().header("// Generated from Rust by tauri-specta (cargo xtask bindings). Do not edit.\n/* eslint-disable */\n// @ts-nocheck"), &path)
        .map_err(|e| anyhow::anyhow!("exporting the TypeScript bindings failed: {e}"))?;
    let text = std::fs::read_to_string(&path)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(text)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "cs-bindings-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Sandbox delays: `CS_SANDBOX_STEP_MS` makes every step take that long
/// (tests and demos); otherwise realistic delays of a few seconds.
pub fn sandbox_timing() -> Timing {
    match std::env::var("CS_SANDBOX_STEP_MS")
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
    {
        Some(ms) => Timing::uniform(chrono::Duration::milliseconds(ms)),
        None => Timing::default(),
    }
}

/// Opens the façade on the default (or `CS_DATA_DIR`) data folder.
pub fn open_app(events: Arc<dyn EventSink>) -> cs_app::AppResult<App> {
    let user = std::env::var("USER").unwrap_or_else(|_| "owner".into());
    let app = App::open(AppConfig {
        database_path: paths::database_path(),
        log_dir: paths::log_dir(),
        clock: Arc::new(SystemClock),
        events,
        secrets: Arc::new(Keyring::new("containerstacks")),
        sandbox_timing: sandbox_timing(),
        actor: format!("staff:{user}"),
    })?;
    // `CS_MAIL_RETRY_MS` shortens the outbox's first retry delay and its
    // polling (tests and demos); otherwise 30 s doubling up to an hour.
    if let Some(ms) = std::env::var("CS_MAIL_RETRY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        let d = Duration::from_millis(ms.max(100));
        app.set_mail_policy(cs_app::OutboxPolicy {
            base_delay: d,
            max_delay: d * 4,
            poll_interval: d,
            ..cs_app::OutboxPolicy::default()
        });
    }
    Ok(app)
}

/// Runs the desktop app until its window closes.
pub fn run_desktop() -> anyhow::Result<()> {
    let _guard = logging::init(&paths::log_dir())?;
    tracing::info!(data_dir = %paths::data_dir().display(), version = env!("CARGO_PKG_VERSION"), "starting ContainerStacks");
    let builder = specta_builder();
    tauri::Builder::default()
        // The folder chooser of "Export period…", called from the pick_folder
        // command (Rust side): the webview gets no dialog permission.
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |tauri_app| {
            builder.mount_events(tauri_app);
            let events = Arc::new(events::TauriEvents(tauri_app.handle().clone()));
            let app = match open_app(events) {
                Ok(app) => Arc::new(app),
                Err(e) => {
                    // The window cannot work without its database: say why
                    // and stop, rather than open an empty shell.
                    tracing::error!(error = %e, "cannot open the database");
                    eprintln!("ContainerStacks cannot start: {e}");
                    std::process::exit(2);
                }
            };
            tauri_app.manage(app.clone());
            tauri::async_runtime::spawn(cs_app::run_reconciler(app.clone(), RECONCILE_EVERY));
            tauri::async_runtime::spawn(cs_app::run_mail_worker(app.clone()));
            tauri::async_runtime::spawn(cs_app::run_paypal_poller(app.clone(), PAYPAL_POLL_EVERY));
            tauri::async_runtime::spawn(cs_app::run_billing_scheduler(app, BILL_EVERY));
            Ok(())
        })
        .run(tauri::generate_context!())
        .map_err(|e| anyhow::anyhow!("the window failed: {e}"))
}

#[cfg(test)]
mod tests {
    /// The committed bindings are what the Rust side would generate now.
    #[test]
    fn typescript_bindings_are_fresh() {
        let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/bindings.ts");
        let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
        let fresh = super::render_bindings().unwrap();
        assert!(
            committed == fresh,
            "ui/src/bindings.ts is stale: run `cargo xtask bindings` and commit the result"
        );
    }

    /// Every command is registered with the invoke handler, declared in
    /// build.rs (for its permission) and granted to the main window.
    #[test]
    fn commands_permissions_and_capability_agree() {
        let declared: Vec<&str> = env!("CS_COMMANDS").split(',').collect();
        let bindings = super::render_bindings().unwrap();
        let capability = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src-tauri/capabilities/main.json"
        ))
        .unwrap();
        for cmd in &declared {
            assert!(
                bindings.contains(&format!("TAURI_INVOKE(\"{cmd}\"")),
                "{cmd} is not in the invoke handler"
            );
            assert!(
                capability.contains(&format!("\"allow-{}\"", cmd.replace('_', "-"))),
                "{cmd} is not granted to the main window"
            );
        }
        assert_eq!(
            bindings.matches("TAURI_INVOKE(").count(),
            declared.len(),
            "a command is registered but not declared in build.rs"
        );
        assert!(
            !capability.contains("core:default") && !capability.contains("http:"),
            "the main window gets only our commands and events"
        );
    }
}
