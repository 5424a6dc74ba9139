//! Tauri build: the capabilities live in `src-tauri/capabilities/`, and the
//! app's own commands are declared here so each gets an `allow-<command>`
//! permission that the main window's capability grants one by one.

/// Every command of `src-tauri/commands.rs`; a test keeps the two lists equal.
const COMMANDS: &[&str] = &[
    "app_info",
    "dashboard",
    "list_organizations",
    "get_organization",
    "create_organization",
    "update_organization",
    "list_plans",
    "create_plan",
    "update_plan",
    "catalog",
    "list_servers",
    "get_server",
    "create_server",
    "server_action",
    "delete_server",
    "server_stats",
    "list_activity",
    "get_settings",
    "update_settings",
    "billing_overview",
    "run_billing_now",
    "list_wallets",
    "get_wallet",
    "record_payment",
    "record_adjustment",
    "list_documents",
    "get_document",
    "void_invoice",
    "save_document_pdf",
    "get_billing_settings",
    "update_billing_settings",
    "plan_pricing",
    "add_price_version",
    "pending_price_changes",
    "apply_price_changes",
    "server_addons",
    "set_server_addon",
    "connect_linode",
    "disconnect_linode",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri build script");
    println!("cargo:rustc-env=CS_COMMANDS={}", COMMANDS.join(","));
}
