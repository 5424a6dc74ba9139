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
mod notify;
pub mod paths;
pub mod single_instance;
pub mod webview;

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
            commands::app::app_info,
            commands::app::dashboard,
            commands::customers::list_organizations_page,
            commands::customers::get_organization,
            commands::customers::create_organization,
            commands::customers::update_organization,
            commands::plans::list_plans,
            commands::plans::create_plan,
            commands::plans::update_plan,
            commands::providers::catalogue,
            commands::servers::list_servers,
            commands::servers::get_server,
            commands::servers::create_server,
            commands::servers::server_action,
            commands::servers::delete_server,
            commands::servers::server_stats,
            commands::app::list_activity,
            commands::app::list_activity_page,
            commands::app::get_settings,
            commands::app::update_settings,
            commands::app::get_notification_settings,
            commands::app::update_notification_settings,
            commands::portal::get_portal_status,
            commands::portal::pair_portal,
            commands::portal::unpair_portal,
            commands::portal::sync_portal_now,
            commands::portal::invite_to_portal,
            commands::portal::set_portal_intent_hold,
            commands::mail::get_email_settings,
            commands::mail::update_email_settings,
            commands::mail::send_test_mail,
            commands::mail::list_outbox,
            commands::mail::get_outbox_message,
            commands::mail::retry_mail,
            commands::mail::list_mail_templates,
            commands::mail::save_mail_template,
            commands::mail::reset_mail_template,
            commands::mail::preview_mail_template,
            commands::billing::billing_overview,
            commands::billing::run_billing_now,
            commands::billing::list_wallets,
            commands::billing::get_wallet,
            commands::billing::list_wallet_entries,
            commands::billing::record_payment,
            commands::billing::record_adjustment,
            commands::documents::list_documents,
            commands::documents::get_document,
            commands::documents::void_invoice,
            commands::documents::save_document_pdf,
            commands::billing::get_billing_settings,
            commands::billing::update_billing_settings,
            commands::plans::plan_pricing,
            commands::plans::add_price_version,
            commands::plans::pending_price_changes,
            commands::plans::apply_price_changes,
            commands::plans::server_addons,
            commands::plans::set_server_addon,
            commands::providers::add_linode_account,
            commands::providers::remove_linode_account,
            commands::providers::test_linode_account,
            commands::providers::replace_linode_token,
            commands::providers::add_digitalocean_account,
            commands::providers::remove_digitalocean_account,
            commands::providers::test_digitalocean_account,
            commands::providers::replace_digitalocean_token,
            commands::providers::digitalocean_accounts,
            commands::payments::get_paypal_settings,
            commands::payments::save_paypal_settings,
            commands::payments::test_paypal_connection,
            commands::payments::create_payment_link,
            commands::payments::list_payments,
            commands::payments::get_payment,
            commands::payments::check_payment,
            commands::payments::send_payment_link,
            commands::payments::refund_payment,
            commands::documents::get_branding,
            commands::documents::update_branding,
            commands::documents::upload_logo,
            commands::documents::preview_branding,
            commands::documents::document_pdf_data,
            commands::documents::save_document_ubl,
            commands::documents::plan_export,
            commands::documents::export_documents,
            commands::documents::cancel_export,
            commands::documents::pick_folder,
            commands::providers::linode_accounts,
            commands::providers::refresh_catalogue,
            commands::providers::refresh_account_catalogue,
            commands::servers::server_backups,
            commands::servers::enable_server_backups,
            commands::servers::cancel_server_backups,
            commands::servers::take_server_snapshot,
            commands::servers::restore_server_backup,
            commands::servers::server_network,
            commands::servers::add_server_ipv4,
            commands::servers::set_server_rdns,
            commands::servers::server_firewalls,
            commands::servers::attach_server_firewall,
            commands::servers::detach_server_firewall,
            commands::servers::set_firewall_rules,
            commands::servers::create_server_firewall,
            commands::servers::resize_server,
            commands::servers::rebuild_server,
            commands::servers::rescue_server,
            commands::servers::reset_server_root_password,
            commands::servers::provider_firewalls,
            commands::app::loop_health,
            commands::app::first_paint,
            commands::backup::get_backup_settings,
            commands::backup::update_backup_settings,
            commands::backup::list_backups,
            commands::backup::back_up_now,
            commands::backup::preview_restore,
            commands::backup::restore_backup,
            commands::updates::about,
            commands::updates::save_update_settings,
            commands::updates::pending_update,
            commands::updates::check_for_update,
            commands::updates::install_update,
        ])
        .events(tauri_specta::collect_events![
            events::ServerChanged,
            events::ActivityRecorded,
            events::ExportProgress,
            events::BillingProgress,
            events::LoopHealthChanged,
            commands::updates::UpdateProgress,
            commands::updates::UpdateAvailable
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

/// The background loops, each under `cs_app::supervise` (a panic is
/// logged, shown and the loop restarted with backoff), for the caller's
/// runtime to spawn: the reconciler every `reconcile_every`, billing, the
/// mail worker, the PayPal poller, the portal sync and the backup schedule
/// (the window and the daemon run the same set).
pub fn start_background_loops(
    app: Arc<App>,
    reconcile_every: Duration,
) -> Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> {
    use cs_app::{supervise, BackgroundLoop};
    vec![
        Box::pin(supervise(
            app.clone(),
            BackgroundLoop::Reconciler,
            move |a| cs_app::run_reconciler(a, reconcile_every),
        )),
        Box::pin(supervise(
            app.clone(),
            BackgroundLoop::Mail,
            cs_app::run_mail_worker,
        )),
        Box::pin(supervise(app.clone(), BackgroundLoop::PayPal, |a| {
            cs_app::run_paypal_poller(a, PAYPAL_POLL_EVERY)
        })),
        Box::pin(supervise(
            app.clone(),
            BackgroundLoop::Portal,
            cs_app::run_portal_sync,
        )),
        Box::pin(supervise(
            app.clone(),
            BackgroundLoop::Backup,
            cs_app::run_backup_loop,
        )),
        Box::pin(supervise(app, BackgroundLoop::Billing, |a| {
            cs_app::run_billing_scheduler(a, BILL_EVERY)
        })),
    ]
}

/// Shows why the app cannot start in a native dialog, then exits with
/// status 2 once it is closed. The dialog runs on the main thread after
/// `setup` returns (a blocking dialog here would wait for itself); the main
/// window stays hidden meanwhile.
fn show_startup_failure(app: &mut tauri::App, message: String) {
    use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
    for window in app.webview_windows().values() {
        let _ = window.hide();
    }
    app.dialog()
        .message(message)
        .title(cs_app::STARTUP_FAILURE_TITLE)
        .kind(MessageDialogKind::Error)
        .show(|_| std::process::exit(2));
}

/// Told by the window's page when it has painted its first frame
/// (`first_paint`), which starts the background loops.
pub struct FirstPaint(pub Arc<tokio::sync::Notify>);

/// When the background loops start even if the page never said it loaded.
const START_LOOPS_AT_LATEST: Duration = Duration::from_secs(10);

/// The window-state plugin's file in the data folder.
pub const WINDOW_STATE_FILE: &str = "window-state.json";

/// Brings the main window back: shown, restored if minimized, focused.
fn focus_main_window(app: &tauri::AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// Every HTTPS client in the process (providers, PayPal, the portal, mail,
/// the updater) uses rustls with ring, the one crypto back-end built in:
/// reqwest is built without its own (`rustls-no-provider`), so this must run
/// before any client is made, which `main` does first of all.
pub fn use_ring_for_tls() {
    // An error means a provider is already installed: nothing to do.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Runs the desktop app until its window closes.
pub fn run_desktop() -> anyhow::Result<()> {
    paths::ensure_data_dir()?;
    let log_guard = logging::init(&paths::log_dir())?;
    let context = tauri::generate_context!();
    tracing::info!(data_dir = %paths::data_dir().display(), version = %context.package_info().version, "starting ContainerStacks");
    // First of all: a second start of the window with this data folder hands
    // over to the running one, which comes to the front, and exits before it
    // touches the database.
    let instance = match single_instance::claim(&paths::data_dir())? {
        single_instance::Start::First(instance) => instance,
        single_instance::Start::HandedOver => {
            tracing::info!("this data folder's window is open: it was brought to the front");
            println!("ContainerStacks is already open: its window was brought to the front");
            return Ok(());
        }
    };
    let builder = specta_builder();
    let result = tauri::Builder::default()
        // The window's size and place, kept in the data folder (so each
        // data folder, as each test's, has its own).
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_filename(
                    paths::data_dir()
                        .join(WINDOW_STATE_FILE)
                        .display()
                        .to_string(),
                )
                .build(),
        )
        // The folder chooser of "Export period…", called from the pick_folder
        // command (Rust side): the webview gets no dialog permission.
        .plugin(tauri_plugin_dialog::init())
        // Desktop notifications, sent from Rust (`events::TauriEvents`); the
        // webview does not call the plugin, so no capability grants it.
        // Updates (Settings → About): the release key and the built-in
        // address are in tauri.conf.json; the commands drive the plugin
        // from Rust, so the webview gets no updater permission.
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(commands::updates::PendingUpdate::default())
        .invoke_handler(builder.invoke_handler())
        .setup(move |tauri_app| {
            builder.mount_events(tauri_app);
            let handle = tauri_app.handle().clone();
            instance.serve(move || focus_main_window(&handle));
            let events = Arc::new(events::TauriEvents(tauri_app.handle().clone()));
            let app = match open_app(events) {
                Ok(app) => Arc::new(app),
                Err(e) => {
                    // The window cannot work without its database: say why
                    // (in a dialog too: started from a menu, nobody sees
                    // stderr) and stop, rather than open an empty shell.
                    let message = cs_app::startup_failure_message(&e, &paths::database_path());
                    tracing::error!(error = %e, "cannot open the database");
                    eprintln!("{}: {message}", cs_app::STARTUP_FAILURE_TITLE);
                    show_startup_failure(tauri_app, message);
                    return Ok(());
                }
            };
            tauri_app.manage(app.clone());
            // Nothing proportional to the store runs before the first paint:
            // the loops (the Sandbox adoption, the billing catch-up with its
            // banner, the first full reconciliation) start once the window's
            // page says it has painted (`first_paint`), or after a while if
            // it never says so. Starting them at the page's load event made
            // them take the CPU from that very first paint.
            tracing::info!(
                version = %commands::updates::running_version(tauri_app.handle()),
                "the window is up"
            );
            commands::updates::check_at_start(tauri_app.handle().clone());
            let painted = Arc::new(tokio::sync::Notify::new());
            tauri_app.manage(FirstPaint(painted.clone()));
            tauri::async_runtime::spawn(async move {
                let waited = tokio::time::timeout(START_LOOPS_AT_LATEST, painted.notified()).await;
                tracing::info!(painted = waited.is_ok(), "starting the background loops");
                for task in start_background_loops(app, RECONCILE_EVERY) {
                    tauri::async_runtime::spawn(task);
                }
            });
            Ok(())
        })
        .build(context)
        .map(|app| {
            app.run(|_, event| {
                if let tauri::RunEvent::ExitRequested { .. } | tauri::RunEvent::Exit = event {
                    // A start from now on waits for this one to end rather
                    // than hand over to it.
                    single_instance::release();
                }
            })
        });
    drop(log_guard);
    result.map_err(|e| anyhow::anyhow!("the window failed: {e}"))
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
