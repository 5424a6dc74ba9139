//! The backup folder: names, the list of good backups, half-written files,
//! and rotation.
//!
//! A backup is written as `.containerstacks-<db>-<time>.db.partial`, checked,
//! and only then renamed to `containerstacks-<db>-<time>.db` (`<db>` is the
//! start of the database's id, so two databases can share a folder without
//! touching each other's files). Only final names are listed, so a process
//! killed half-way leaves a partial file that is never counted as good and is
//! removed by the next backup.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDateTime, Timelike};
use cs_core::Timestamp;

/// Rotation: the newest backup of each of the last 24 hours, 14 days and 12
/// months is kept.
pub(crate) const KEEP_HOURLY: usize = 24;
pub(crate) const KEEP_DAILY: usize = 14;
pub(crate) const KEEP_MONTHLY: usize = 12;

const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// A good backup in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BackupFile {
    pub name: String,
    pub taken_at: Timestamp,
    pub bytes: u64,
}

/// The name prefix of one database's backups.
pub(crate) fn prefix(database_id: &str) -> String {
    let short: String = database_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    format!("containerstacks-{short}-")
}

/// A free final name for a backup taken at `at` (a second backup in the same
/// second gets `-2`, `-3` …).
pub(crate) fn free_name(folder: &Path, prefix: &str, at: Timestamp) -> String {
    let stamp = at.format(STAMP).to_string();
    let mut n = 1;
    loop {
        let name = if n == 1 {
            format!("{prefix}{stamp}.db")
        } else {
            format!("{prefix}{stamp}-{n}.db")
        };
        if !folder.join(&name).exists() && !folder.join(partial_name(&name)).exists() {
            return name;
        }
        n += 1;
    }
}

/// Where a backup is written before it is checked.
pub(crate) fn partial_name(name: &str) -> String {
    format!(".{name}.partial")
}

/// When a final name says its backup was taken, if it is one of ours.
pub(crate) fn parse_name(prefix: &str, name: &str) -> Option<Timestamp> {
    let rest = name.strip_prefix(prefix)?.strip_suffix(".db")?;
    let stamp = match rest.split_once('-') {
        Some((s, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => s,
        Some(_) => return None,
        None => rest,
    };
    NaiveDateTime::parse_from_str(stamp, STAMP)
        .ok()
        .map(|t| t.and_utc())
}

/// The good backups of this database in `folder`, newest first.
pub(crate) fn list(folder: &Path, prefix: &str) -> std::io::Result<Vec<BackupFile>> {
    let mut out = vec![];
    let entries = match std::fs::read_dir(folder) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let Some(taken_at) = parse_name(prefix, &name) else {
            continue;
        };
        let meta = entry.metadata()?;
        if !meta.is_file() {
            continue;
        }
        out.push(BackupFile {
            name,
            taken_at,
            bytes: meta.len(),
        });
    }
    out.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(b.name.cmp(&a.name)));
    Ok(out)
}

/// Removes this database's half-written backups (a process killed while
/// writing one). Returns how many.
pub(crate) fn remove_partials(folder: &Path, prefix: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    let start = format!(".{prefix}");
    let mut n = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(&start) && name.ends_with(".partial") {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {
                    tracing::info!(file = %name, "removed a half-written backup");
                    n += 1;
                }
                Err(e) => {
                    tracing::warn!(file = %name, error = %e, "a half-written backup could not be removed")
                }
            }
        }
    }
    n
}

/// The hour, day or month a backup falls in.
type Bucket = fn(&Timestamp) -> (i32, u32, u32, u32);

/// The backups rotation deletes: all but the newest of each of the last
/// [`KEEP_HOURLY`] hours, [`KEEP_DAILY`] days and [`KEEP_MONTHLY`] months
/// that have a backup. `backups` is newest first.
pub(crate) fn to_delete(backups: &[BackupFile]) -> Vec<PathBuf> {
    let mut keep: HashSet<&str> = HashSet::new();
    let policies: [(usize, Bucket); 3] = [
        (KEEP_HOURLY, |t| (t.year(), t.month(), t.day(), t.hour())),
        (KEEP_DAILY, |t| (t.year(), t.month(), t.day(), 0)),
        (KEEP_MONTHLY, |t| (t.year(), t.month(), 0, 0)),
    ];
    for (n, bucket) in policies {
        let mut last = None;
        let mut kept = 0;
        for b in backups {
            let this = bucket(&b.taken_at);
            if last == Some(this) {
                continue;
            }
            last = Some(this);
            if kept == n {
                break;
            }
            keep.insert(&b.name);
            kept += 1;
        }
    }
    backups
        .iter()
        .filter(|b| !keep.contains(b.name.as_str()))
        .map(|b| PathBuf::from(&b.name))
        .collect()
}

/// Makes a rename in `folder` durable.
pub(crate) fn sync_dir(folder: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(folder) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = folder;
}

/// A size for people: `512 B`, `3.4 MB`, `1.2 GB` (integer arithmetic).
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    let mut scale: u64 = 1000;
    while unit + 1 < UNITS.len() && bytes >= scale * 1000 {
        scale *= 1000;
        unit += 1;
    }
    // Tenths, rounded half up.
    let tenths = (bytes * 10 + scale / 2) / scale;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn file(prefix: &str, t: Timestamp) -> BackupFile {
        BackupFile {
            name: format!("{prefix}{}.db", t.format(STAMP)),
            taken_at: t,
            bytes: 1,
        }
    }

    #[test]
    fn names_round_trip_and_foreign_names_are_ignored() {
        let p = prefix("0b9f1c2e-7d4a-4e7b-9a0c-1d2e3f405162");
        assert_eq!(p, "containerstacks-0b9f1c2e-");
        let t = Utc.with_ymd_and_hms(2026, 1, 31, 10, 30, 5).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let name = free_name(dir.path(), &p, t);
        assert_eq!(name, "containerstacks-0b9f1c2e-20260131T103005Z.db");
        assert_eq!(parse_name(&p, &name), Some(t));
        std::fs::write(dir.path().join(&name), b"x").unwrap();
        let second = free_name(dir.path(), &p, t);
        assert_eq!(second, "containerstacks-0b9f1c2e-20260131T103005Z-2.db");
        assert_eq!(parse_name(&p, &second), Some(t));
        for other in [
            partial_name(&name),
            "containerstacks-aaaaaaaa-20260131T103005Z.db".into(),
            "containerstacks-0b9f1c2e-20260131T103005Z.db.bak".into(),
            "containerstacks-0b9f1c2e-yesterday.db".into(),
            "containerstacks-0b9f1c2e-20260131T103005Z-x.db".into(),
        ] {
            assert_eq!(parse_name(&p, &other), None, "{other}");
        }
    }

    #[test]
    fn rotation_keeps_24_hourly_14_daily_and_12_monthly() {
        let p = "containerstacks-x-";
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        // One backup every 30 minutes for two years, newest first.
        let mut all: Vec<BackupFile> = (0..(2 * 365 * 48))
            .map(|i| file(p, start + Duration::minutes(30 * i)))
            .collect();
        all.reverse();
        let gone: HashSet<PathBuf> = to_delete(&all).into_iter().collect();
        let kept: Vec<&BackupFile> = all
            .iter()
            .filter(|b| !gone.contains(Path::new(&b.name)))
            .collect();
        let newest = all[0].taken_at;
        assert_eq!(kept[0].taken_at, newest, "the newest is always kept");
        // 24 hourly (the first day's), then one a day back to 14 days, then
        // one a month back to 12 months; the buckets overlap.
        let hourly = kept
            .iter()
            .filter(|b| newest - b.taken_at < Duration::hours(24))
            .count();
        assert_eq!(hourly, 24);
        let daily = kept
            .iter()
            .filter(|b| newest - b.taken_at < Duration::days(14))
            .count();
        assert_eq!(daily, 24 + 13);
        assert!(kept.len() <= KEEP_HOURLY + KEEP_DAILY + KEEP_MONTHLY);
        assert!(kept.len() >= 24 + 13 + 11 - 2, "{}", kept.len());
        let oldest = kept.last().unwrap().taken_at;
        assert!(newest - oldest > Duration::days(300), "a year back");
        assert!(newest - oldest < Duration::days(366), "not more");
        // A second rotation deletes nothing more.
        let again: Vec<BackupFile> = kept.into_iter().cloned().collect();
        assert!(to_delete(&again).is_empty());
    }

    #[test]
    fn a_few_backups_are_all_kept() {
        let p = "containerstacks-x-";
        let t = Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).unwrap();
        let all = vec![
            file(p, t + Duration::hours(2)),
            file(p, t + Duration::hours(1)),
            file(p, t),
        ];
        assert!(to_delete(&all).is_empty());
        // Two in the same hour: the older goes (and it is its day's and
        // month's older one too).
        let all = vec![
            file(p, t + Duration::minutes(40)),
            file(p, t + Duration::minutes(10)),
        ];
        assert_eq!(to_delete(&all), vec![PathBuf::from(&all[1].name)]);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1000), "1.0 KB");
        assert_eq!(human_size(3_450_000), "3.5 MB");
        assert_eq!(human_size(1_073_741_824), "1.1 GB");
    }
}
