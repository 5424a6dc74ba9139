//! The background loops (billing scheduler, mail worker, PayPal poller,
//! reconciler, portal sync, backups) and their supervision. A shell starts each loop through
//! [`supervise`]: the loop runs as its own task; when it panics the cause is
//! logged, the loop is marked failing (the [`EventSink`](crate::EventSink)
//! hears it, [`App::loop_health`] says it) and it is restarted after a
//! backoff (1 s doubling up to 5 minutes, back to 1 s after a loop ran well
//! for 5 minutes). The first round a restarted loop completes marks it
//! running again.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cs_core::Timestamp;
use cs_store::fmt_ts;
use serde::Serialize;
use specta::Type;

use crate::App;

/// The first restart delay after a panic.
pub const BACKOFF_MIN: Duration = Duration::from_secs(1);
/// The longest restart delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// A loop that ran this long before it panicked restarts after `BACKOFF_MIN` again.
const RAN_WELL: Duration = Duration::from_secs(300);

/// A background loop of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BackgroundLoop {
    Billing,
    Mail,
    PayPal,
    Reconciler,
    Portal,
    Backup,
}

impl BackgroundLoop {
    pub const ALL: [BackgroundLoop; 6] = [
        BackgroundLoop::Billing,
        BackgroundLoop::Mail,
        BackgroundLoop::PayPal,
        BackgroundLoop::Reconciler,
        BackgroundLoop::Portal,
        BackgroundLoop::Backup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BackgroundLoop::Billing => "billing",
            BackgroundLoop::Mail => "mail",
            BackgroundLoop::PayPal => "paypal",
            BackgroundLoop::Reconciler => "reconciler",
            BackgroundLoop::Portal => "portal",
            BackgroundLoop::Backup => "backup",
        }
    }

    /// What the loop does, for the banner.
    pub fn label(self) -> &'static str {
        match self {
            BackgroundLoop::Billing => "Hourly billing",
            BackgroundLoop::Mail => "Sending email",
            BackgroundLoop::PayPal => "Checking PayPal payments",
            BackgroundLoop::Reconciler => "Following the servers at the providers",
            BackgroundLoop::Portal => "Keeping the customer portal up to date",
            BackgroundLoop::Backup => "Scheduled backups",
        }
    }
}

/// The health of one background loop.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LoopHealthDto {
    /// `billing`, `mail`, `paypal`, `reconciler`, `portal` or `backup`.
    pub name: String,
    pub label: String,
    /// False from a panic until the restarted loop completes a round.
    pub healthy: bool,
    /// Panics since the app started.
    pub panics: u32,
    /// The last panic's message.
    pub last_panic: Option<String>,
    pub last_panic_at: Option<String>,
    /// While failing: what happened and what the app does about it.
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct LoopState {
    healthy: bool,
    panics: u32,
    last_panic: Option<String>,
    last_panic_at: Option<Timestamp>,
    restart_in: Option<Duration>,
}

/// The loops' states, kept by the App.
#[derive(Debug, Default)]
pub(crate) struct LoopHealth {
    loops: Mutex<BTreeMap<BackgroundLoop, LoopState>>,
}

fn dto(which: BackgroundLoop, s: &LoopState) -> LoopHealthDto {
    LoopHealthDto {
        name: which.as_str().into(),
        label: which.label().into(),
        healthy: s.healthy,
        panics: s.panics,
        last_panic: s.last_panic.clone(),
        last_panic_at: s.last_panic_at.as_ref().map(fmt_ts),
        message: (!s.healthy).then(|| {
            let again = s
                .restart_in
                .map(|d| format!("it restarts in {} s", d.as_secs().max(1)))
                .unwrap_or_else(|| "it is restarting".into());
            format!(
                "{} stopped after an internal error ({}); {again}. If it keeps failing, the app's log file has the details",
                which.label(),
                s.last_panic.as_deref().unwrap_or("no message"),
            )
        }),
    }
}

impl LoopHealth {
    fn update(
        &self,
        which: BackgroundLoop,
        f: impl FnOnce(&mut LoopState) -> bool,
    ) -> Option<LoopHealthDto> {
        let mut loops = self.loops.lock().unwrap_or_else(|e| e.into_inner());
        let state = loops.entry(which).or_default();
        f(state).then(|| dto(which, state))
    }
}

impl App {
    /// The health of every background loop started in this process.
    pub fn loop_health(&self) -> Vec<LoopHealthDto> {
        let loops = self.loops.loops.lock().unwrap_or_else(|e| e.into_inner());
        loops.iter().map(|(w, s)| dto(*w, s)).collect()
    }

    fn loop_changed(&self, dto: Option<LoopHealthDto>) {
        if let Some(d) = dto {
            self.events.loop_health_changed(&d);
        }
    }

    fn loop_started(&self, which: BackgroundLoop) {
        let d = self.loops.update(which, |s| {
            let first = s.panics == 0 && !s.healthy;
            if first {
                s.healthy = true;
            }
            first
        });
        self.loop_changed(d);
    }

    /// A loop completed a round: a loop restarted after a panic is running
    /// again. Cheap; the loops call it after every round.
    pub(crate) fn loop_round_done(&self, which: BackgroundLoop) {
        let d = self.loops.update(which, |s| {
            let changed = !s.healthy;
            s.healthy = true;
            s.restart_in = None;
            changed
        });
        if d.is_some() {
            tracing::info!(
                task = which.as_str(),
                "background loop is running again after its restart"
            );
        }
        self.loop_changed(d);
    }

    fn loop_panicked(&self, which: BackgroundLoop, message: String, restart_in: Duration) {
        let now = self.now();
        let d = self.loops.update(which, |s| {
            s.healthy = false;
            s.panics += 1;
            s.last_panic = Some(message);
            s.last_panic_at = Some(now);
            s.restart_in = Some(restart_in);
            true
        });
        self.loop_changed(d);
    }
}

/// The text of a panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// The restart delay after `previous` (`None`: the first restart).
fn next_backoff(previous: Option<Duration>, ran_for: Duration) -> Duration {
    match previous {
        _ if ran_for >= RAN_WELL => BACKOFF_MIN,
        None => BACKOFF_MIN,
        Some(d) => (d * 2).min(BACKOFF_MAX),
    }
}

/// Aborts the loop's task when the supervisor itself is stopped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the loop `start` makes, forever: a panic is logged, shown as the
/// loop's health and the loop restarted with backoff. Abort the returned
/// future's task to stop the loop.
pub async fn supervise<F, Fut>(app: Arc<App>, which: BackgroundLoop, start: F)
where
    F: Fn(Arc<App>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    app.loop_started(which);
    let mut backoff: Option<Duration> = None;
    loop {
        let started = std::time::Instant::now();
        let mut task = AbortOnDrop(tokio::spawn(start(app.clone())));
        let message = match (&mut task.0).await {
            Ok(()) => "the loop returned, which it never should".to_string(),
            Err(e) if e.is_panic() => panic_message(e.into_panic().as_ref()),
            // Cancelled from outside (the runtime shuts down).
            Err(_) => return,
        };
        let delay = next_backoff(backoff, started.elapsed());
        backoff = Some(delay);
        tracing::error!(
            task = which.as_str(),
            panic = %message,
            restart_in_ms = delay.as_millis() as u64,
            "a background loop stopped on a panic; restarting it"
        );
        app.loop_panicked(which, message, delay);
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_and_resets_after_a_good_run() {
        let quick = Duration::from_secs(1);
        let mut d = None;
        let mut seen = vec![];
        for _ in 0..12 {
            let next = next_backoff(d, quick);
            seen.push(next.as_secs());
            d = Some(next);
        }
        assert_eq!(&seen[..5], &[1, 2, 4, 8, 16]);
        assert_eq!(*seen.last().unwrap(), 300);
        assert_eq!(next_backoff(d, RAN_WELL), BACKOFF_MIN);
    }

    #[test]
    fn a_panic_message_is_read_from_either_payload() {
        let r = std::panic::catch_unwind(|| panic!("plain"));
        assert_eq!(panic_message(r.unwrap_err().as_ref()), "plain");
        let n = 7;
        let r = std::panic::catch_unwind(|| panic!("formatted {n}"));
        assert_eq!(panic_message(r.unwrap_err().as_ref()), "formatted 7");
    }
}
