//! Backups of the store and restoring one: Settings → Backups.
//!
//! A backup is an online copy (`cs_store::backup::copy_into`, `VACUUM INTO`
//! on a connection of its own, so the app keeps answering while it runs)
//! written under a temporary name in the folder the reseller chose, checked
//! (`PRAGMA integrity_check` and the migration checksums,
//! `cs_store::backup::check`) and only then renamed to its final name
//! (`files.rs`): a process killed half-way never leaves a file that is
//! listed as good. After each backup, rotation keeps the newest of each of
//! the last 24 hours, 14 days and 12 months. The schedule ([`run`], a
//! supervised background loop, in the window and in the daemon) backs up
//! every 1 to 24 hours; "Back up now" any time. `backup_runs` (`store.rs`)
//! remembers failures and what started each backup.
//!
//! **Restore** checks the chosen backup again, copies it beside the database,
//! checks the copy, and swaps it in between two transactions
//! (`cs_store::Store::replace_with`): the current file is renamed, never
//! deleted, and a failure leaves the store as it was. The app then reloads
//! what it keeps in memory (provider accounts, PayPal), starts a new portal
//! stream (the portal is refilled from the restored state, even when the
//! restored outbox's sequence has passed what the portal held), and billing
//! catches up from the backup's last billed hour at its next run, each hour
//! exactly once (the engine keys every hour it bills).

pub(crate) mod dto;
mod files;
pub(crate) use files::human_size;
pub(crate) mod store;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use chrono::Duration as ChronoDuration;
use cs_core::Timestamp;
use cs_store::backup::{self as copies, CheckError};
use cs_store::rusqlite::Connection;
use cs_store::{fmt_ts, settings};

use crate::{App, AppError, AppResult, Subject};
pub(crate) use dto::*;
use files::BackupFile;
use store::{Run, Trigger};

const FOLDER_KEY: &str = "backup.folder";
const EVERY_KEY: &str = "backup.every_hours";
/// The schedules offered (hours; 0 is off).
pub const SCHEDULES: [u32; 5] = [0, 1, 6, 12, 24];
/// After a failed scheduled backup, the next try waits this long.
const RETRY_AFTER: ChronoDuration = ChronoDuration::minutes(15);
/// How often the loop looks whether a backup is due.
const CHECK_EVERY: Duration = Duration::from_secs(60);

/// Serializes backups and restores, and wakes the loop when settings change.
#[derive(Default)]
pub(crate) struct BackupRuntime {
    busy: Mutex<()>,
    wake: tokio::sync::Notify,
}

impl BackupRuntime {
    fn try_busy(&self) -> AppResult<MutexGuard<'_, ()>> {
        match self.busy.try_lock() {
            Ok(g) => Ok(g),
            Err(TryLockError::Poisoned(e)) => Ok(e.into_inner()),
            Err(TryLockError::WouldBlock) => Err(AppError::Conflict(
                "A backup or a restore is running: wait until it finishes, then try again".into(),
            )),
        }
    }

    fn running(&self) -> bool {
        matches!(self.busy.try_lock(), Err(TryLockError::WouldBlock))
    }
}

/// Whether a scheduled backup is due at `now`.
fn due(
    now: Timestamp,
    every_hours: u32,
    last_good: Option<Timestamp>,
    last_failed: Option<Timestamp>,
) -> bool {
    if every_hours == 0 {
        return false;
    }
    if last_failed.is_some_and(|f| last_good.is_none_or(|g| f > g) && now - f < RETRY_AFTER) {
        return false;
    }
    last_good.is_none_or(|g| now - g >= ChronoDuration::hours(i64::from(every_hours)))
}

#[derive(Debug, Clone)]
struct Settings {
    folder: Option<PathBuf>,
    every_hours: u32,
}

fn load_settings(c: &Connection) -> AppResult<Settings> {
    Ok(Settings {
        folder: settings::get(c, FOLDER_KEY)?.map(PathBuf::from),
        every_hours: settings::get(c, EVERY_KEY)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    })
}

/// What a database holds, read with its owners' functions.
fn contents(c: &Connection) -> AppResult<StoreContentsDto> {
    let servers: i64 = cs_store::servers::count_by_status(c)?
        .iter()
        .map(|(_, n)| n)
        .sum();
    let docs = cs_billing::documents::list_documents(
        c,
        &cs_billing::documents::DocumentFilter::default(),
        20,
    )?;
    Ok(StoreContentsDto {
        customers: crate::map::count(cs_store::orgs::count(c)?),
        servers: crate::map::count(servers),
        last_document_number: docs.into_iter().find_map(|d| d.number),
        last_billed_hour: crate::billing::last_billed_hour(c)?
            .map(|h| fmt_ts(&cs_core::metering::hour_start(h))),
    })
}

/// Why a backup cannot be used, in words for the reseller.
fn refusal(file: &str, e: &CheckError) -> AppError {
    AppError::Conflict(format!(
        "The backup {file} cannot be restored: {e}. Your current data was not touched; choose another backup"
    ))
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> AppError {
    AppError::Unavailable(format!("{what} {} failed: {e}", path.display()))
}

impl App {
    fn backup_settings_now(&self) -> AppResult<Settings> {
        self.store.read(load_settings)
    }

    fn backup_prefix(&self) -> String {
        files::prefix(self.secret_keys.database_id())
    }

    /// Settings → Backups: the folder and the schedule.
    pub fn backup_settings(&self) -> AppResult<BackupSettingsDto> {
        let s = self.backup_settings_now()?;
        Ok(BackupSettingsDto {
            folder: s.folder.map(|f| f.display().to_string()),
            every_hours: s.every_hours,
            choices: SCHEDULES.to_vec(),
            data_folder: self
                .store
                .path()
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        })
    }

    /// Saves the folder (created when missing, and checked writable) and the
    /// schedule.
    pub fn update_backup_settings(
        &self,
        input: BackupSettingsInput,
    ) -> AppResult<BackupSettingsDto> {
        let mut errors = cs_core::ValidationErrors::new();
        let folder = input
            .folder
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty());
        if !SCHEDULES.contains(&input.every_hours) {
            errors.add(
                "everyHours",
                format!(
                    "Choose one of the schedules offered (every {} hours, or off)",
                    SCHEDULES[1..]
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let folder = match folder {
            None if input.every_hours > 0 => {
                errors.add(
                    "folder",
                    "Choose a folder for the backups before turning the schedule on",
                );
                None
            }
            None => None,
            Some(f) => match check_folder(Path::new(f), self.store.path()) {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.add("folder", e);
                    None
                }
            },
        };
        errors.into_result(())?;
        let now = self.now();
        self.write(|w| {
            match &folder {
                Some(f) => settings::set(w, FOLDER_KEY, &f.display().to_string())?,
                None => settings::remove(w, FOLDER_KEY)?,
            }
            settings::set(w, EVERY_KEY, &input.every_hours.to_string())?;
            let when = match input.every_hours {
                0 => "scheduled backups off".to_string(),
                1 => "every hour".to_string(),
                h => format!("every {h} hours"),
            };
            let to = folder
                .as_ref()
                .map(|f| format!(" to {}", f.display()))
                .unwrap_or_default();
            w.record(
                now,
                "backup.settings_updated",
                Subject::settings(Some("backups")),
                format!("Backups: {when}{to}"),
            )
        })?;
        self.backup.wake.notify_one();
        self.backup_settings()
    }

    /// The good backups in the folder, newest first, and the failures since.
    pub fn list_backups(&self) -> AppResult<DataBackupListDto> {
        let s = self.backup_settings_now()?;
        let runs = self.store.read(|c| store::recent(c, 200))?;
        let (found, folder_error) = match &s.folder {
            None => (vec![], None),
            Some(f) => match files::list(f, &self.backup_prefix()) {
                Ok(l) => (l, None),
                Err(e) => (
                    vec![],
                    Some(format!(
                        "The backup folder {} cannot be read ({e}): check that it exists and is reachable, or choose another",
                        f.display()
                    )),
                ),
            },
        };
        let newest = found.first().map(|b| b.taken_at);
        let failures = runs
            .iter()
            .filter(|r| r.outcome.is_err() && newest.is_none_or(|n| r.at > n))
            .take(5)
            .map(|r| DataBackupFailureDto {
                at: fmt_ts(&r.at),
                trigger: r.trigger.clone(),
                error: r.outcome.clone().err().unwrap_or_default(),
            })
            .collect();
        let next_at = (s.every_hours > 0 && s.folder.is_some()).then(|| {
            let now = self.now();
            let last_failed = runs.iter().find(|r| r.outcome.is_err()).map(|r| r.at);
            let next = match newest {
                Some(n) => n + ChronoDuration::hours(i64::from(s.every_hours)),
                None => now,
            };
            let next = match last_failed {
                Some(f) if newest.is_none_or(|n| f > n) => next.max(f + RETRY_AFTER),
                _ => next,
            };
            fmt_ts(&next.max(now))
        });
        Ok(DataBackupListDto {
            folder: s.folder.map(|f| f.display().to_string()),
            backups: found
                .iter()
                .map(|b| DataBackupDto {
                    file: b.name.clone(),
                    taken_at: fmt_ts(&b.taken_at),
                    size_bytes: b.bytes.to_string(),
                    size: files::human_size(b.bytes),
                    trigger: runs
                        .iter()
                        .find(|r| matches!(&r.outcome, Ok((f, _)) if *f == b.name))
                        .map(|r| r.trigger.clone()),
                })
                .collect(),
            failures,
            next_at,
            running: self.backup.running(),
            folder_error,
        })
    }

    /// "Back up now". Blocks while the copy is written and checked (run it
    /// off the async runtime); the app keeps answering meanwhile.
    pub fn backup_now(&self) -> AppResult<DataBackupDto> {
        self.run_backup(Trigger::Manual)
    }

    /// Whether the schedule wants a backup now.
    pub(crate) fn backup_due(&self) -> AppResult<bool> {
        let s = self.backup_settings_now()?;
        let Some(folder) = s.folder else {
            return Ok(false);
        };
        if s.every_hours == 0 {
            return Ok(false);
        }
        let runs = self.store.read(|c| store::recent(c, 20))?;
        let last_failed = runs.iter().find(|r| r.outcome.is_err()).map(|r| r.at);
        // The folder is the truth about good backups (a restore takes the
        // runs back in time); an unreadable folder counts as none, and the
        // backup's own failure says why.
        let last_good = files::list(&folder, &self.backup_prefix())
            .ok()
            .and_then(|l| l.first().map(|b| b.taken_at));
        Ok(due(self.now(), s.every_hours, last_good, last_failed))
    }

    fn run_backup(&self, trigger: Trigger) -> AppResult<DataBackupDto> {
        let _busy = self.backup.try_busy()?;
        let s = self.backup_settings_now()?;
        let Some(folder) = s.folder else {
            return Err(AppError::Unavailable(
                "No backup folder is chosen: choose one in Settings → Backups".into(),
            ));
        };
        let at = self.now();
        let started = Instant::now();
        let result = self.write_backup(&folder, at);
        let run = Run {
            at,
            trigger: trigger.as_str().into(),
            outcome: result
                .as_ref()
                .map(|b| (b.name.clone(), b.bytes))
                .map_err(|e| e.to_string()),
            took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        self.store.write(|c| store::record(c, &run, trigger))?;
        match result {
            Ok(b) => {
                tracing::info!(file = %b.name, bytes = b.bytes, took_ms = run.took_ms, trigger = trigger.as_str(), "backup written and checked");
                Ok(DataBackupDto {
                    file: b.name,
                    taken_at: fmt_ts(&b.taken_at),
                    size_bytes: b.bytes.to_string(),
                    size: files::human_size(b.bytes),
                    trigger: Some(trigger.as_str().into()),
                })
            }
            Err(e) => {
                tracing::error!(error = %e, folder = %folder.display(), "backup failed");
                self.events.backup_failed(&e.to_string());
                Err(e)
            }
        }
    }

    /// Writes, checks and names one backup, then rotates.
    fn write_backup(&self, folder: &Path, at: Timestamp) -> AppResult<BackupFile> {
        let prefix = self.backup_prefix();
        cs_store::create_private_dir_all(folder)
            .map_err(|e| io_error("Creating the backup folder", folder, e))?;
        files::remove_partials(folder, &prefix);
        let name = files::free_name(folder, &prefix, at);
        let partial = folder.join(files::partial_name(&name));
        let fin = folder.join(&name);
        let written = (|| -> AppResult<u64> {
            copies::copy_into(self.store.path(), &partial).map_err(|e| {
                AppError::Unavailable(format!(
                    "The backup to {} could not be written ({e}): check that the folder is reachable and has free space",
                    folder.display()
                ))
            })?;
            copies::check(&partial).map_err(|e| {
                AppError::Internal(format!(
                    "the backup just written did not pass its check ({e}); it was not kept"
                ))
            })?;
            std::fs::rename(&partial, &fin).map_err(|e| io_error("Naming the backup", &fin, e))?;
            files::sync_dir(folder);
            Ok(std::fs::metadata(&fin).map(|m| m.len()).unwrap_or(0))
        })();
        let bytes = match written {
            Ok(b) => b,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        match files::list(folder, &prefix) {
            Ok(all) => {
                for old in files::to_delete(&all) {
                    match std::fs::remove_file(folder.join(&old)) {
                        Ok(()) => {
                            tracing::info!(file = %old.display(), "rotation removed an old backup")
                        }
                        Err(e) => {
                            tracing::warn!(file = %old.display(), error = %e, "rotation could not remove an old backup")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "rotation could not list the backup folder"),
        }
        Ok(BackupFile {
            name,
            taken_at: at,
            bytes,
        })
    }

    /// The path of one of this database's backups, by the file name the
    /// list gave (never a path: nothing outside the folder is opened).
    fn backup_path(&self, file: &str) -> AppResult<(PathBuf, BackupFile)> {
        let folder = self.backup_settings_now()?.folder.ok_or_else(|| {
            AppError::Unavailable(
                "No backup folder is chosen: choose one in Settings → Backups".into(),
            )
        })?;
        let list = files::list(&folder, &self.backup_prefix())
            .map_err(|e| io_error("Reading", &folder, e))?;
        let found = list.into_iter().find(|b| b.name == file).ok_or_else(|| {
            AppError::NotFound(format!(
                "There is no backup {file} in {}: refresh the list",
                folder.display()
            ))
        })?;
        Ok((folder.join(file), found))
    }

    fn aside_path(&self, at: Timestamp) -> PathBuf {
        let db = self.store.path();
        let stamp = at.format("%Y%m%dT%H%M%SZ");
        let mut n = 1;
        loop {
            let p = if n == 1 {
                PathBuf::from(format!("{}.before-restore-{stamp}", db.display()))
            } else {
                PathBuf::from(format!("{}.before-restore-{stamp}-{n}", db.display()))
            };
            if !p.exists() {
                return p;
            }
            n += 1;
        }
    }

    /// What restoring `file` would bring back, against what the app holds
    /// now. Checks the backup first: a damaged one is refused here already.
    pub fn preview_restore(&self, file: &str) -> AppResult<RestorePreviewDto> {
        let (path, found) = self.backup_path(file)?;
        let checked = copies::check(&path).map_err(|e| refusal(file, &e))?;
        let backup = self.backup_contents(file, &path)?;
        let current = self.store.read(contents)?;
        let aside = self.aside_path(self.now());
        Ok(RestorePreviewDto {
            file: file.to_string(),
            taken_at: fmt_ts(&found.taken_at),
            size: files::human_size(found.bytes),
            backup,
            current,
            upgrades: checked.migrations.pending > 0,
            aside_path: aside.display().to_string(),
            warning: format!(
                "Everything recorded since {} (customers, servers, payments, documents, billed hours) leaves the app. The current file is kept as {}; billing then catches up from the backup's last billed hour, and the portal is refilled from the restored data",
                found.taken_at.format("%Y-%m-%d %H:%M UTC"),
                aside.display()
            ),
        })
    }

    /// Reads the backup's contents and refuses another database's backup.
    fn backup_contents(&self, file: &str, path: &Path) -> AppResult<StoreContentsDto> {
        let conn = copies::open_read_only(path).map_err(|e| refusal(file, &e))?;
        if let Some(id) = settings::get(&conn, crate::secrets::DATABASE_ID_KEY)? {
            if id != self.secret_keys.database_id() {
                return Err(AppError::Conflict(format!(
                    "The backup {file} is of another ContainerStacks database (id {id}), whose keyring secrets this installation does not have. To move that database here, quit the app and copy the backup over {}",
                    self.store.path().display()
                )));
            }
        }
        contents(&conn).map_err(|e| {
            AppError::Conflict(format!(
                "The backup {file} cannot be read ({e}): choose another backup"
            ))
        })
    }

    /// Restores `file`: checked again, copied beside the database, the copy
    /// checked, then swapped in; the current file is kept aside. Blocks (run
    /// it off the async runtime); run billing after it to catch up.
    pub fn restore_backup(&self, file: &str) -> AppResult<RestoredDto> {
        let _busy = self.backup.try_busy()?;
        let (path, found) = self.backup_path(file)?;
        copies::check(&path).map_err(|e| refusal(file, &e))?;
        self.backup_contents(file, &path)?;
        let db = self.store.path().to_path_buf();
        let staging = PathBuf::from(format!("{}.restoring", db.display()));
        let _ = std::fs::remove_file(&staging);
        let staged = (|| -> AppResult<()> {
            cs_store::create_private_file(&staging)
                .map_err(|e| io_error("Copying the backup to", &staging, e))?;
            let mut from = std::fs::File::open(&path).map_err(|e| io_error("Reading", &path, e))?;
            let mut to = std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&staging)
                .map_err(|e| io_error("Copying the backup to", &staging, e))?;
            std::io::copy(&mut from, &mut to)
                .and_then(|_| to.sync_all())
                .map_err(|e| io_error("Copying the backup to", &staging, e))?;
            copies::check(&staging).map_err(|e| refusal(file, &e))?;
            Ok(())
        })();
        if let Err(e) = staged {
            let _ = std::fs::remove_file(&staging);
            return Err(e);
        }
        let now = self.now();
        let aside = self.aside_path(now);
        if let Err(e) = self.store.replace_with(&staging, &aside) {
            let _ = std::fs::remove_file(&staging);
            return Err(AppError::Internal(format!(
                "restoring {file} failed ({e}); the data of before is in use again"
            )));
        }
        tracing::warn!(backup = %path.display(), aside = %aside.display(), "the store was restored from a backup");
        self.after_restore(file, &found, &aside)?;
        Ok(RestoredDto {
            file: file.to_string(),
            aside_path: aside.display().to_string(),
            contents: self.store.read(contents)?,
        })
    }

    /// What follows a swap: the database id kept, a new portal stream, the
    /// activity entry, and what the app keeps in memory read again.
    fn after_restore(&self, file: &str, found: &BackupFile, aside: &Path) -> AppResult<()> {
        let now = self.now();
        let id = self.secret_keys.database_id().to_string();
        self.write(|w| {
            if settings::get(w, crate::secrets::DATABASE_ID_KEY)?.is_none() {
                settings::set(w, crate::secrets::DATABASE_ID_KEY, &id)?;
            }
            App::restart_portal_stream(w)?;
            w.record(
                now,
                "backup.restored",
                Subject::settings(Some("backups")),
                format!(
                    "Restored the data from the backup {file} taken {}; the data of before is kept in {}",
                    found.taken_at.format("%Y-%m-%d %H:%M UTC"),
                    aside.display()
                ),
            )
        })?;
        self.linode
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.load_linode()?;
        *self.paypal.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.load_paypal()?;
        // The restored servers are adopted at the next use of the Sandbox
        // (the reconciler's next round at the latest), not here: the restore
        // answers without reading every server.
        self.forget_sandbox_adoption();
        self.wake_portal_worker();
        self.backup.wake.notify_one();
        Ok(())
    }
}

/// Checks a backup folder: absolute, not the data folder, created when
/// missing, and writable.
fn check_folder(folder: &Path, database: &Path) -> Result<PathBuf, String> {
    if !folder.is_absolute() {
        return Err(format!(
            "{} is not a full path: choose the folder with “Choose…”",
            folder.display()
        ));
    }
    if database.parent() == Some(folder) {
        return Err("This is the app's data folder: choose a folder on another disk, or at least another folder, so a backup survives what happens to the data".into());
    }
    if folder.exists() && !folder.is_dir() {
        return Err(format!(
            "{} is a file, not a folder: choose a folder",
            folder.display()
        ));
    }
    cs_store::create_private_dir_all(folder).map_err(|e| {
        format!(
            "{} cannot be created ({e}): choose a folder you can write to",
            folder.display()
        )
    })?;
    let probe = folder.join(".containerstacks-write-test");
    std::fs::write(&probe, b"ok")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| {
            format!(
                "Cannot write to {} ({e}): choose a folder you can write to",
                folder.display()
            )
        })?;
    Ok(folder.to_path_buf())
}

/// The backup schedule: looks every minute whether a backup is due (and when
/// woken by a change of settings) and makes it off the async runtime.
pub async fn run(app: Arc<App>) {
    loop {
        match app.backup_due() {
            Ok(true) => {
                let a = app.clone();
                match tokio::task::spawn_blocking(move || a.run_backup(Trigger::Scheduled)).await {
                    Ok(Ok(_)) => {}
                    // Recorded and reported by run_backup.
                    Ok(Err(e)) => tracing::debug!(error = %e, "scheduled backup failed"),
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Err(_) => return,
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "could not read the backup schedule"),
        }
        app.loop_round_done(crate::BackgroundLoop::Backup);
        let _ = tokio::time::timeout(CHECK_EVERY, app.backup.wake.notified()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_backup_is_due_after_its_interval_and_a_failure_waits_a_while() {
        let t = Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).unwrap();
        let h = ChronoDuration::hours;
        let m = ChronoDuration::minutes;
        assert!(!due(t, 0, None, None), "off");
        assert!(due(t, 6, None, None), "never backed up");
        assert!(!due(t, 6, Some(t - h(5)), None));
        assert!(due(t, 6, Some(t - h(6)), None));
        assert!(!due(t, 6, None, Some(t - m(5))), "failed 5 minutes ago");
        assert!(due(t, 6, None, Some(t - m(15))));
        assert!(
            due(t, 1, Some(t - h(2)), Some(t - h(3))),
            "an old failure is forgotten"
        );
    }
}
