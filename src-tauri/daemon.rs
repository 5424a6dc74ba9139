//! Headless mode: `containerstacks daemon` runs the same façade with no
//! window, so reconciliation and hourly billing (and, later, portal sync) keep
//! running 24/7 on a server. It takes the same database lock as the window:
//! starting it while the app is open on the same data folder is refused with
//! a clear message, never allowed to interleave.

use std::sync::Arc;
use std::time::Duration;

use cs_app::NoEvents;

use crate::{logging, open_app, paths};

pub fn run() -> anyhow::Result<()> {
    paths::ensure_data_dir()?;
    let _guard = logging::init(&paths::log_dir())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Arc::new(open_app(Arc::new(NoEvents)).map_err(|e| anyhow::anyhow!("{e}"))?);
        tracing::info!(database = %app.database_path().display(), "daemon started; stop it with Ctrl-C or SIGTERM");
        let reconcile = tokio::spawn(cs_app::run_reconciler(app.clone(), Duration::from_secs(5)));
        let billing = tokio::spawn(cs_app::run_billing_scheduler(app.clone(), Duration::from_secs(60)));
        let mail = tokio::spawn(cs_app::run_mail_worker(app.clone()));
        let paypal = tokio::spawn(cs_app::run_paypal_poller(app.clone(), Duration::from_secs(5)));
        shutdown_signal().await;
        paypal.abort();
        reconcile.abort();
        billing.abort();
        mail.abort();
        tracing::info!("daemon stopped");
        Ok(())
    })
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
