//! Settings → Backups: the folder and schedule, "Back up now", the list, and
//! restoring a backup (with its preview first).

use cs_app::dto::*;
use cs_app::AppError;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

#[tauri::command]
#[specta::specta]
pub async fn get_backup_settings(app: State<'_, Shared>) -> CmdResult<BackupSettingsDto> {
    app.backup_settings().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn update_backup_settings(
    app: State<'_, Shared>,
    input: BackupSettingsInput,
) -> CmdResult<BackupSettingsDto> {
    app.update_backup_settings(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn list_backups(app: State<'_, Shared>) -> CmdResult<DataBackupListDto> {
    app.list_backups().map_err(fail)
}

/// Writes and checks a backup off the async runtime: other commands keep
/// answering meanwhile.
#[tauri::command]
#[specta::specta]
pub async fn back_up_now(app: State<'_, Shared>) -> CmdResult<DataBackupDto> {
    let app = app.inner().clone();
    blocking(move || app.backup_now()).await
}

#[tauri::command]
#[specta::specta]
pub async fn preview_restore(app: State<'_, Shared>, file: String) -> CmdResult<RestorePreviewDto> {
    let app = app.inner().clone();
    blocking(move || app.preview_restore(&file)).await
}

/// Restores a backup, then runs billing once so the hours since the
/// backup's last billed hour are billed now (each exactly once).
#[tauri::command]
#[specta::specta]
pub async fn restore_backup(app: State<'_, Shared>, file: String) -> CmdResult<RestoredDto> {
    let a = app.inner().clone();
    let restored = blocking(move || a.restore_backup(&file)).await?;
    if let Err(e) = app.run_billing().await {
        tracing::error!(error = %e, "billing after the restore could not be recorded; the scheduler retries");
    }
    Ok(restored)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> cs_app::AppResult<T> + Send + 'static,
) -> CmdResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| fail(AppError::Internal(format!("the backup task failed: {e}"))))?
        .map_err(fail)
}
