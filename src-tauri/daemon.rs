//! Headless mode: `containerstacks daemon` runs the same façade with no
//! window, so reconciliation, hourly billing, the portal sync and the
//! scheduled backups keep running 24/7 on a server. It takes the same database lock as the window:
//! starting it while the app is open on the same data folder is refused with
//! a clear message, never allowed to interleave.
//!
//! Health: the daemon keeps `daemon-health.json` in the data folder up to
//! date (its pid and each background loop's health; removed when it stops),
//! and `containerstacks health` reads it for a monitor: exit status 0 when
//! every loop runs, 1 while a loop is failing (it panicked and is being
//! restarted), 2 when no daemon runs on the data folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cs_app::dto::{ActivityDto, LoopHealthDto, ServerDto};
use cs_app::EventSink;
use serde::{Deserialize, Serialize};

use crate::{logging, open_app, paths};

/// The health file's name in the data folder.
pub const HEALTH_FILE: &str = "daemon-health.json";

/// What `daemon-health.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HealthFile {
    pub pid: u32,
    /// False while any loop is failing.
    pub healthy: bool,
    pub loops: Vec<HealthLoop>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HealthLoop {
    pub name: String,
    pub healthy: bool,
    pub panics: u32,
    pub message: Option<String>,
}

/// The daemon's event sink: it has no UI, so it keeps the health file.
pub struct HealthFileEvents {
    path: PathBuf,
    loops: Mutex<BTreeMap<String, LoopHealthDto>>,
}

impl HealthFileEvents {
    pub fn new(path: PathBuf) -> HealthFileEvents {
        HealthFileEvents {
            path,
            loops: Mutex::new(BTreeMap::new()),
        }
    }

    fn write(&self, loops: &BTreeMap<String, LoopHealthDto>) {
        let file = HealthFile {
            pid: std::process::id(),
            healthy: loops.values().all(|l| l.healthy),
            loops: loops
                .values()
                .map(|l| HealthLoop {
                    name: l.name.clone(),
                    healthy: l.healthy,
                    panics: l.panics,
                    message: l.message.clone(),
                })
                .collect(),
        };
        if let Err(e) = write_atomically(&self.path, &file) {
            tracing::warn!(error = %e, path = %self.path.display(), "could not write the daemon's health file");
        }
    }
}

fn write_atomically(path: &Path, file: &HealthFile) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(file)?)?;
    std::fs::rename(&tmp, path)
}

impl EventSink for HealthFileEvents {
    fn server_changed(&self, _: &ServerDto) {}
    fn activity_recorded(&self, _: &ActivityDto) {}
    fn loop_health_changed(&self, health: &LoopHealthDto) {
        let mut loops = self.loops.lock().unwrap_or_else(|e| e.into_inner());
        loops.insert(health.name.clone(), health.clone());
        self.write(&loops);
    }
}

pub fn run() -> anyhow::Result<()> {
    paths::ensure_data_dir()?;
    let _guard = logging::init(&paths::log_dir())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let health_path = paths::data_dir().join(HEALTH_FILE);
    runtime.block_on(async {
        let events = Arc::new(HealthFileEvents::new(health_path.clone()));
        let app = Arc::new(open_app(events).map_err(|e| anyhow::anyhow!("{e}"))?);
        tracing::info!(database = %app.database_path().display(), health = %health_path.display(), "daemon started; stop it with Ctrl-C or SIGTERM");
        let tasks: Vec<_> = crate::start_background_loops(app.clone(), Duration::from_secs(5))
            .into_iter()
            .map(tokio::spawn)
            .collect();
        shutdown_signal().await;
        for t in &tasks {
            t.abort();
        }
        let _ = std::fs::remove_file(&health_path);
        tracing::info!("daemon stopped");
        Ok(())
    })
}

/// What `containerstacks health` prints and its exit status, from the health
/// file at `path` (`alive` says whether a pid still runs).
pub fn health_report(path: &Path, alive: impl Fn(u32) -> bool) -> (String, i32) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(_) => {
            return (
                format!(
                    "no daemon is running on this data folder ({} is missing): start it with `containerstacks daemon`",
                    path.display()
                ),
                2,
            )
        }
    };
    let file: HealthFile = match serde_json::from_str(&text) {
        Ok(f) => f,
        Err(e) => {
            return (
                format!(
                    "{} cannot be read ({e}): restart the daemon",
                    path.display()
                ),
                2,
            )
        }
    };
    if !alive(file.pid) {
        return (
            format!(
                "the daemon (pid {}) is not running any more; {} is left from it: start it with `containerstacks daemon`",
                file.pid,
                path.display()
            ),
            2,
        );
    }
    if file.healthy {
        let names: Vec<&str> = file.loops.iter().map(|l| l.name.as_str()).collect();
        return (
            format!("ok: daemon pid {}, running {}", file.pid, names.join(", ")),
            0,
        );
    }
    let failing: Vec<String> = file
        .loops
        .iter()
        .filter(|l| !l.healthy)
        .map(|l| format!("{}: {}", l.name, l.message.as_deref().unwrap_or("failing")))
        .collect();
    (
        format!("failing: daemon pid {}\n{}", file.pid, failing.join("\n")),
        1,
    )
}

/// `containerstacks health`: prints the daemon's health; returns the exit status.
pub fn health() -> i32 {
    let (text, code) = health_report(&paths::data_dir().join(HEALTH_FILE), pid_alive);
    if code == 0 {
        println!("{text}");
    } else {
        eprintln!("{text}");
    }
    code
}

fn pid_alive(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        Path::new(&format!("/proc/{pid}")).exists()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        true
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dto(name: &str, healthy: bool) -> LoopHealthDto {
        LoopHealthDto {
            name: name.into(),
            label: name.into(),
            healthy,
            panics: u32::from(!healthy),
            last_panic: (!healthy).then(|| "boom".into()),
            last_panic_at: None,
            message: (!healthy).then(|| format!("{name} stopped after an internal error (boom)")),
        }
    }

    #[test]
    fn the_health_file_follows_the_loops_and_the_exit_status_says_it() {
        let dir = tempfile_dir();
        let path = dir.join(HEALTH_FILE);
        assert_eq!(health_report(&path, |_| true).1, 2, "no daemon");

        let sink = HealthFileEvents::new(path.clone());
        sink.loop_health_changed(&dto("billing", true));
        sink.loop_health_changed(&dto("mail", true));
        let (text, code) = health_report(&path, |_| true);
        assert_eq!(code, 0, "{text}");
        assert!(text.contains("billing, mail"), "{text}");

        sink.loop_health_changed(&dto("mail", false));
        let (text, code) = health_report(&path, |_| true);
        assert_eq!(code, 1, "{text}");
        assert!(
            text.contains("mail: mail stopped after an internal error (boom)"),
            "{text}"
        );

        sink.loop_health_changed(&dto("mail", true));
        assert_eq!(health_report(&path, |_| true).1, 0);
        assert_eq!(health_report(&path, |_| false).1, 2, "a dead daemon's file");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "cs-health-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
