//! Settings → Backups, as the UI sees it.

use serde::{Deserialize, Serialize};
use specta::Type;

/// The backup schedule and folder.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BackupSettingsDto {
    /// Where backups go; none until the reseller chooses a folder.
    pub folder: Option<String>,
    /// A backup every this many hours; 0 when scheduled backups are off.
    pub every_hours: u32,
    /// The schedules the UI offers (0 = off).
    pub choices: Vec<u32>,
    /// The folder of the database, where the file of before a restore is kept.
    pub data_folder: String,
}

#[derive(Debug, Clone, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BackupSettingsInput {
    pub folder: Option<String>,
    pub every_hours: u32,
}

/// A good backup in the folder (checked before it got its name).
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DataBackupDto {
    /// The file name in the backup folder; what Restore takes.
    pub file: String,
    pub taken_at: String,
    /// Bytes, as a decimal string.
    pub size_bytes: String,
    /// The size for people, e.g. `3.4 MB`.
    pub size: String,
    /// `manual` or `scheduled` when this app made it and remembers it.
    pub trigger: Option<String>,
}

/// A backup that failed.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DataBackupFailureDto {
    pub at: String,
    pub trigger: String,
    pub error: String,
}

/// Settings → Backups: the good backups, newest first, and the recent failures.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DataBackupListDto {
    pub folder: Option<String>,
    pub backups: Vec<DataBackupDto>,
    /// Failures newer than the newest good backup, newest first.
    pub failures: Vec<DataBackupFailureDto>,
    /// When the schedule makes the next backup (none when it is off).
    pub next_at: Option<String>,
    /// A backup or restore is running now.
    pub running: bool,
    /// The folder cannot be read (why, and what to do).
    pub folder_error: Option<String>,
}

/// What a database holds, for the restore preview.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StoreContentsDto {
    pub customers: u32,
    pub servers: u32,
    /// The number of the newest issued document.
    pub last_document_number: Option<String>,
    /// The start of the last hour billed.
    pub last_billed_hour: Option<String>,
}

/// Shown before a restore: what the backup holds against what the app holds now.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RestorePreviewDto {
    pub file: String,
    pub taken_at: String,
    pub size: String,
    pub backup: StoreContentsDto,
    pub current: StoreContentsDto,
    /// The backup was made by an older version: restoring upgrades it.
    pub upgrades: bool,
    /// Where the current file will be kept.
    pub aside_path: String,
    pub warning: String,
}

/// A restore that happened.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RestoredDto {
    pub file: String,
    /// Where the file of before the restore is kept.
    pub aside_path: String,
    pub contents: StoreContentsDto,
}
