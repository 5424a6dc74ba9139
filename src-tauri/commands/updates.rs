//! Settings → About: the version, where updates come from, "Check for
//! updates", and installing one (`tauri-plugin-updater`: the manifest is
//! read from the configured address, the package downloaded with progress
//! events, its minisign signature checked against the release key built into
//! the app, the .deb installed with `dpkg` through pkexec or sudo, and the
//! app restarted into the new version).
//!
//! A failed check or install leaves the running version as it was; the
//! message says which step failed and why.

use std::sync::atomic::{AtomicBool, Ordering};

use cs_app::dto::{ErrorCode, ErrorDto};
use cs_app::{CopyBeforeUpdateDto, UpdateSettingsDto};
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_updater::{Error as UpdaterError, Update, UpdaterExt};
use tauri_specta::Event;

use super::{fail, CmdResult};
use crate::Shared;

/// The update found by the last check, kept for "Install".
#[derive(Default)]
pub struct PendingUpdate {
    update: tokio::sync::Mutex<Option<Update>>,
    installing: AtomicBool,
}

/// What Settings → About shows.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AboutDto {
    pub version: String,
    pub database_path: String,
    /// The address built into this version, used when none is set.
    pub built_in_endpoint: String,
    pub settings: UpdateSettingsDto,
    /// Copies of the database kept before updates migrated it, newest first.
    pub copies_before_update: Vec<CopyBeforeUpdateDto>,
}

/// A newer version found at the update address.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AvailableUpdateDto {
    pub version: String,
    pub current_version: String,
    /// The release notes, as plain text.
    pub notes: String,
    /// When it was published (RFC 3339), when the manifest says.
    pub date: Option<String>,
}

/// The download of an update: `downloaded` of `total` bytes (when the
/// server says), then `verifying`, `installing`, `restarting`.
#[derive(Debug, Clone, Serialize, Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProgress {
    pub phase: UpdatePhase,
    pub downloaded: f64,
    pub total: Option<f64>,
}

#[derive(Debug, Clone, Copy, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UpdatePhase {
    Downloading,
    Installing,
    Restarting,
}

/// A check at start found a newer version.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct UpdateAvailable {
    pub update: AvailableUpdateDto,
}

fn built_in_endpoint(handle: &AppHandle) -> String {
    handle
        .config()
        .plugins
        .0
        .get("updater")
        .and_then(|u| u.get("endpoints"))
        .and_then(|e| e.get(0))
        .and_then(|e| e.as_str())
        .unwrap_or_default()
        .to_string()
}

/// The running version (tauri.conf.json's, or the package's when it has
/// none): what the updater compares with.
pub fn running_version(handle: &AppHandle) -> String {
    handle.package_info().version.to_string()
}

#[tauri::command]
#[specta::specta]
pub async fn about(app: State<'_, Shared>, handle: AppHandle) -> CmdResult<AboutDto> {
    Ok(AboutDto {
        version: running_version(&handle),
        database_path: app.database_path().display().to_string(),
        built_in_endpoint: built_in_endpoint(&handle),
        settings: app.updater_settings().map_err(fail)?,
        copies_before_update: app.copies_before_update(),
    })
}

#[tauri::command]
#[specta::specta]
pub async fn save_update_settings(
    app: State<'_, Shared>,
    input: UpdateSettingsDto,
) -> CmdResult<UpdateSettingsDto> {
    app.set_updater_settings(input).map_err(fail)
}

/// The update found by the check at start, if any (the window may have
/// missed its event while it loaded).
#[tauri::command]
#[specta::specta]
pub async fn pending_update(
    pending: State<'_, PendingUpdate>,
) -> CmdResult<Option<AvailableUpdateDto>> {
    Ok(pending.update.lock().await.as_ref().map(available))
}

#[tauri::command]
#[specta::specta]
pub async fn check_for_update(
    app: State<'_, Shared>,
    pending: State<'_, PendingUpdate>,
    handle: AppHandle,
) -> CmdResult<Option<AvailableUpdateDto>> {
    check(&app, &pending, &handle).await
}

/// Downloads the update found by the last check, checks its signature,
/// installs it and restarts into it. Returns only when that fails (the
/// running version is then untouched).
#[tauri::command]
#[specta::specta]
pub async fn install_update(pending: State<'_, PendingUpdate>, handle: AppHandle) -> CmdResult<()> {
    if pending.installing.swap(true, Ordering::SeqCst) {
        return Err(error(
            ErrorCode::Conflict,
            "An update is already being installed".into(),
        ));
    }
    let result = install(&pending, &handle).await;
    pending.installing.store(false, Ordering::SeqCst);
    result?;
    tracing::info!("update installed: restarting into the new version");
    // The new version's start must become the window, not hand over to this one.
    crate::single_instance::release();
    progress(&handle, UpdatePhase::Restarting, 0, None);
    handle.restart()
}

async fn install(pending: &PendingUpdate, handle: &AppHandle) -> CmdResult<()> {
    // Kept until it is installed: after a failure "Install" can be tried again.
    let update = pending.update.lock().await.clone().ok_or_else(|| {
        error(
            ErrorCode::Conflict,
            "Check for updates first: there is no update to install".into(),
        )
    })?;
    tracing::info!(version = %update.version, url = %update.download_url, "downloading the update");
    let mut downloaded: u64 = 0;
    let bytes = update
        .download(
            |chunk, total| {
                downloaded += chunk as u64;
                progress(handle, UpdatePhase::Downloading, downloaded, total);
            },
            || {},
        )
        .await
        .map_err(|e| refused(&update, e))?;
    progress(handle, UpdatePhase::Installing, downloaded, None);
    tracing::info!(version = %update.version, bytes = bytes.len(), "the update's signature is good: installing");
    let installing = update.clone();
    tokio::task::spawn_blocking(move || installing.install(bytes))
        .await
        .map_err(|e| error(ErrorCode::Internal, format!("installing failed: {e}")))?
        .map_err(|e| refused(&update, e))
}

fn progress(handle: &AppHandle, phase: UpdatePhase, downloaded: u64, total: Option<u64>) {
    #[allow(clippy::cast_precision_loss)]
    let event = UpdateProgress {
        phase,
        downloaded: downloaded as f64,
        total: total.map(|t| t as f64),
    };
    let _ = event.emit(handle);
}

/// Looks for a newer version at the configured (or built-in) address and
/// keeps it for "Install".
pub async fn check(
    app: &Shared,
    pending: &PendingUpdate,
    handle: &AppHandle,
) -> CmdResult<Option<AvailableUpdateDto>> {
    let settings = app.updater_settings().map_err(fail)?;
    let mut builder = handle.updater_builder();
    let endpoint = if settings.endpoint.is_empty() {
        built_in_endpoint(handle)
    } else {
        settings.endpoint.clone()
    };
    if !settings.endpoint.is_empty() {
        let url = settings.endpoint.parse().map_err(|e| {
            error(
                ErrorCode::Validation,
                format!(
                    "The update address is not a web address ({e}): correct it in Settings → About"
                ),
            )
        })?;
        builder = builder
            .endpoints(vec![url])
            .map_err(|e| checking(&endpoint, e))?;
    }
    let updater = builder.build().map_err(|e| checking(&endpoint, e))?;
    let found = updater.check().await.map_err(|e| checking(&endpoint, e))?;
    let dto = found.as_ref().map(available);
    match &found {
        Some(u) => tracing::info!(version = %u.version, "an update is available"),
        None => tracing::info!(endpoint, "no newer version"),
    }
    *pending.update.lock().await = found;
    Ok(dto)
}

/// The check at start, in the background: a newer version is announced to
/// the window; a failure is only logged (Settings → About says it again
/// when asked).
pub fn check_at_start(handle: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let (Some(app), Some(pending)) = (
            handle.try_state::<Shared>(),
            handle.try_state::<PendingUpdate>(),
        ) else {
            return;
        };
        match app.updater_settings() {
            Ok(s) if s.check_at_start => {}
            _ => return,
        }
        match check(&app, &pending, &handle).await {
            Ok(Some(update)) => {
                let _ = UpdateAvailable { update }.emit(&handle);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e.message, "checking for updates at start failed"),
        }
    });
}

fn available(u: &Update) -> AvailableUpdateDto {
    AvailableUpdateDto {
        version: u.version.clone(),
        current_version: u.current_version.clone(),
        notes: u.body.clone().unwrap_or_default(),
        date: u.date.and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }),
    }
}

fn error(code: ErrorCode, message: String) -> ErrorDto {
    if code == ErrorCode::Internal {
        tracing::error!(%message, "updating failed");
    } else {
        tracing::warn!(%message, "updating failed");
    }
    ErrorDto {
        code,
        message,
        fields: Vec::new(),
    }
}

/// A check that failed, in words.
fn checking(endpoint: &str, e: UpdaterError) -> ErrorDto {
    match e {
        UpdaterError::InsecureTransportProtocol => error(
            ErrorCode::Validation,
            format!("Updates are only fetched over https://, and {endpoint} is not: correct the address in Settings → About"),
        ),
        UpdaterError::EmptyEndpoints => error(
            ErrorCode::Validation,
            "No update address is set: enter your mirror's address in Settings → About".into(),
        ),
        UpdaterError::Serialization(e) if e.to_string().contains("signature") => error(
            ErrorCode::Conflict,
            format!("The update at {endpoint} is not signed, so it will not be installed: an update must carry ContainerStacks' signature"),
        ),
        UpdaterError::Serialization(_) | UpdaterError::ReleaseNotFound => error(
            ErrorCode::Unavailable,
            format!("{endpoint} did not answer with an update manifest: check the address in Settings → About"),
        ),
        UpdaterError::TargetNotFound(target) => error(
            ErrorCode::Unavailable,
            format!("The update at {endpoint} has no package for this computer ({target})"),
        ),
        UpdaterError::TargetsNotFound(targets) => error(
            ErrorCode::Unavailable,
            format!("The update at {endpoint} has no package for this computer ({})", targets.join(", ")),
        ),
        UpdaterError::Reqwest(e) => error(
            ErrorCode::Unavailable,
            format!("Could not reach {endpoint} ({e}): check the network and the address in Settings → About, then try again"),
        ),
        UpdaterError::Network(e) => error(
            ErrorCode::Unavailable,
            format!("Could not reach {endpoint} ({e}): check the network and the address in Settings → About, then try again"),
        ),
        e => error(ErrorCode::Internal, format!("Checking for updates failed: {e}")),
    }
}

/// A download or install that failed, in words; the running version keeps
/// working in every case.
fn refused(update: &Update, e: UpdaterError) -> ErrorDto {
    let v = &update.version;
    match e {
        UpdaterError::Minisign(_) | UpdaterError::Base64(_) | UpdaterError::SignatureUtf8(_) => error(
            ErrorCode::Conflict,
            format!("The package of version {v} does not carry ContainerStacks' signature (it is damaged, truncated or not ours), so it was not installed: this version keeps running"),
        ),
        UpdaterError::InvalidUpdaterFormat => error(
            ErrorCode::Conflict,
            format!("The download of version {v} is not a Debian package, so it was not installed: this version keeps running"),
        ),
        UpdaterError::PackageInstallFailed
        | UpdaterError::DebInstallFailed
        | UpdaterError::AuthenticationFailed => error(
            ErrorCode::Unavailable,
            format!("Installing version {v} needs administrator rights (pkexec or sudo), which were refused or are missing: this version keeps running; install the package by hand or try again"),
        ),
        UpdaterError::Reqwest(e) => error(
            ErrorCode::Unavailable,
            format!("Downloading version {v} failed ({e}): this version keeps running; try again"),
        ),
        UpdaterError::Network(e) => error(
            ErrorCode::Unavailable,
            format!("Downloading version {v} failed ({e}): this version keeps running; try again"),
        ),
        e => error(
            ErrorCode::Internal,
            format!("Installing version {v} failed ({e}): this version keeps running"),
        ),
    }
}
