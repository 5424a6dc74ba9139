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
    "connect_linode",
    "disconnect_linode",
    "linode_account",
    "refresh_catalogue",
    "create_server_with_options",
    "server_backups",
    "enable_server_backups",
    "cancel_server_backups",
    "take_server_snapshot",
    "restore_server_backup",
    "server_network",
    "add_server_ipv4",
    "set_server_rdns",
    "server_firewalls",
    "attach_server_firewall",
    "detach_server_firewall",
    "set_firewall_rules",
    "resize_server",
    "rebuild_server",
    "rescue_server",
    "reset_server_root_password",
    "provider_firewalls",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri build script");
    println!("cargo:rustc-env=CS_COMMANDS={}", COMMANDS.join(","));
}
