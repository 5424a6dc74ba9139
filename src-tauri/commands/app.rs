//! The app-wide commands: about, the dashboard, the activity log, Settings → General and
//! Notifications.

use cs_app::dto::*;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

#[tauri::command]
#[specta::specta]
pub async fn app_info(app: State<'_, Shared>, handle: tauri::AppHandle) -> CmdResult<AppInfo> {
    let mut info = app.info().map_err(fail)?;
    // The shell's version is the one the updater compares with.
    info.version = super::updates::running_version(&handle);
    Ok(info)
}

/// The window's page has painted its first frame: the background loops
/// (the Sandbox adoption, the billing catch-up, the first reconciliation)
/// may start. Later calls (a reload) change nothing.
#[tauri::command]
#[specta::specta]
pub async fn first_paint(painted: State<'_, crate::FirstPaint>) -> CmdResult<()> {
    // A permit is kept when nobody waits yet; once the loops run, nobody
    // waits any more.
    painted.0.notify_one();
    Ok(())
}

/// The health of the background loops (the banner shows the failing ones).
#[tauri::command]
#[specta::specta]
pub async fn loop_health(app: State<'_, Shared>) -> CmdResult<Vec<LoopHealthDto>> {
    Ok(app.loop_health())
}

#[tauri::command]
#[specta::specta]
pub async fn dashboard(app: State<'_, Shared>) -> CmdResult<Dashboard> {
    app.dashboard().map_err(fail)
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

/// One page of the Activity screen.
#[tauri::command]
#[specta::specta]
pub async fn list_activity_page(
    app: State<'_, Shared>,
    input: ActivityListInput,
) -> CmdResult<ActivityPage> {
    app.list_activity_page(input).map_err(fail)
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

/// Settings → Notifications: which desktop notifications are on.
#[tauri::command]
#[specta::specta]
pub async fn get_notification_settings(
    app: State<'_, Shared>,
) -> CmdResult<NotificationSettingsDto> {
    app.notification_settings().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn update_notification_settings(
    app: State<'_, Shared>,
    input: NotificationSettingsDto,
) -> CmdResult<NotificationSettingsDto> {
    app.update_notification_settings(input).map_err(fail)
}
