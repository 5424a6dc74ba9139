// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

//! `containerstacks` opens the desktop app; `containerstacks daemon` runs the
//! same backend headless.

fn main() {
    cs_app::memory::fewer_arenas();
    containerstacks_desktop::webview::choose_painting();
    containerstacks_desktop::use_ring_for_tls();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None => containerstacks_desktop::run_desktop(),
        Some("daemon") => containerstacks_desktop::daemon::run(),
        Some("health") => std::process::exit(containerstacks_desktop::daemon::health()),
        Some("--version" | "-V") => {
            println!("containerstacks {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Some("--help" | "-h") => {
            println!("usage: containerstacks [daemon | health]\n\n  (no argument)  open the desktop app\n  daemon         run the backend without a window (reconciliation, billing, sync)\n  health         the running daemon's health: exit 0 when all is well, 1 while a background loop is failing, 2 when no daemon runs\n\nenvironment: CS_DATA_DIR (data folder), CS_LOG (log filter, e.g. debug)");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!(
            "unknown command {other:?}: run `containerstacks --help`"
        )),
    };
    if let Err(e) = result {
        eprintln!("containerstacks: {e:#}");
        std::process::exit(1);
    }
}
