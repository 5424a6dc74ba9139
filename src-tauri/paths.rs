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

/// Creates the data folder readable by its owner only (0700 on Unix), and
/// tightens one an earlier version created readable by everyone: it holds
/// customer data. Call before anything writes into it (the logs).
pub fn ensure_data_dir() -> std::io::Result<()> {
    let dir = data_dir();
    cs_app::create_private_dir_all(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

pub fn database_path() -> PathBuf {
    data_dir().join("containerstacks.db")
}

pub fn log_dir() -> PathBuf {
    data_dir().join("logs")
}
