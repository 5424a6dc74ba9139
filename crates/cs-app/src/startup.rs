//! What the shells say when the database cannot be opened at start (in use
//! by the daemon, read-only, from a newer version, damaged): one message
//! that says what went wrong and what to do, shown by the window in a
//! native dialog (it may have been started from a menu, with no terminal)
//! and printed on stderr.

use std::path::Path;

use cs_store::rusqlite::{self, ffi::ErrorCode};
use cs_store::StoreError;

use crate::AppError;

/// The title of the dialog.
pub const STARTUP_FAILURE_TITLE: &str = "ContainerStacks cannot start";

/// The message for `err`, raised opening the database at `database_path`.
pub fn startup_failure_message(err: &AppError, database_path: &Path) -> String {
    let folder = database_path
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let what = match err {
        AppError::Store(StoreError::Open { source, .. })
            if source.kind() == std::io::ErrorKind::PermissionDenied
                || source.kind() == std::io::ErrorKind::ReadOnlyFilesystem =>
        {
            read_only(err)
        }
        AppError::Store(
            StoreError::Sqlite(e) | StoreError::MigrationFailed { source: e, .. },
        ) => match sqlite_code(e) {
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                read_only(err)
            }
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => format!(
                "The database {} is damaged or is not a ContainerStacks database ({err}): restore it from a backup, or move it out of the data folder to start with an empty one",
                database_path.display()
            ),
            _ => format!("The database {} could not be opened: {err}", database_path.display()),
        },
        // Already say what to do: in use by another process (stop the daemon
        // or close the other window), written by a newer version, an edited
        // migration.
        other => other.to_string(),
    };
    format!("{what}\n\nData folder: {folder}")
}

fn read_only(err: &AppError) -> String {
    format!(
        "ContainerStacks cannot write to its data folder ({err}): make the folder and the database file writable by you, or point CS_DATA_DIR at another folder"
    )
}

fn sqlite_code(e: &rusqlite::Error) -> Option<ErrorCode> {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
        _ => None,
    }
}
