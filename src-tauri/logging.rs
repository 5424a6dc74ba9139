//! tracing: human-readable logs to stderr and JSON lines to a daily-rotated
//! file in the log folder (14 files kept).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the subscriber; keep the guard alive to flush the file on exit.
pub fn init(log_dir: &Path) -> anyhow::Result<WorkerGuard> {
    cs_app::create_private_dir_all(log_dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("containerstacks")
        .filename_suffix("log")
        .max_log_files(14)
        .build(log_dir)?;
    let (file, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("CS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr).with_target(false))
        .with(fmt::layer().json().with_writer(file))
        .try_init()?;
    Ok(guard)
}
