//! Where the app keeps its files. The window and the daemon must agree, so
//! both use this instead of Tauri's path resolver.

use std::path::PathBuf;

/// Matches `identifier` in tauri.conf.json.
pub const IDENTIFIER: &str = "com.containerstacks.desktop";

/// `$CS_DATA_DIR` when set (tests, several installations), else the
/// platform's data folder: `~/.local/share/com.containerstacks.desktop` on
/// Linux.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CS_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(IDENTIFIER)
}

pub fn database_path() -> PathBuf {
    data_dir().join("containerstacks.db")
}

pub fn log_dir() -> PathBuf {
    data_dir().join("logs")
}
