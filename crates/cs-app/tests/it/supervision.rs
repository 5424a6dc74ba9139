//! The background loops are supervised: a panic is caught, shown as the
//! loop's health (and pushed to the UI), and the loop restarts and works on.

use std::sync::Arc;
use std::time::Duration;

use cs_app::{supervise, BackgroundLoop};
use cs_provider::sandbox::Fault;

use crate::TestApp;

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_reconciler_is_restarted_reported_and_works_again() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    let TestApp {
        app,
        clock,
        events,
        dir: _dir,
        ..
    } = t;
    let app = Arc::new(app);
    // A bug below the app: the provider client panics on the next listing
    // (the reconciler's first, full pass).
    app.sandbox().inject(Fault::Panic {
        op: "list_instances",
    });
    let task = tokio::spawn(supervise(app.clone(), BackgroundLoop::Reconciler, |a| {
        cs_app::run_reconciler(a, Duration::from_millis(20))
    }));

    eventually("the panic is reported", || {
        events
            .health
            .lock()
            .unwrap()
            .iter()
            .any(|h| h.name == "reconciler" && !h.healthy)
    })
    .await;
    let failing = events
        .health
        .lock()
        .unwrap()
        .iter()
        .find(|h| !h.healthy)
        .cloned()
        .unwrap();
    assert_eq!(failing.panics, 1);
    assert!(
        failing
            .last_panic
            .as_deref()
            .is_some_and(|m| m.contains("injected panic in the Sandbox's list_instances")),
        "{failing:?}"
    );
    let message = failing.message.unwrap();
    assert!(message.contains("restarts in 1 s"), "{message}");

    // Restarted after its backoff: healthy again, and it does its work.
    eventually("the loop runs again", || {
        app.loop_health()
            .iter()
            .any(|h| h.name == "reconciler" && h.healthy && h.panics == 1)
    })
    .await;
    assert!(events.health.lock().unwrap().last().unwrap().healthy);
    for _ in 0..100 {
        clock.advance(crate::step());
        if app.get_server(&s.id).unwrap().server.status == "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(app.get_server(&s.id).unwrap().server.status, "running");

    // Stopping the supervisor stops the loop with it.
    task.abort();
    let _ = task.await;
}

#[tokio::test]
async fn every_started_loop_reports_its_health() {
    let t = TestApp::new();
    let app = Arc::new(t.app);
    assert!(app.loop_health().is_empty(), "nothing started yet");
    let task = tokio::spawn(supervise(app.clone(), BackgroundLoop::PayPal, |a| {
        cs_app::run_paypal_poller(a, Duration::from_millis(20))
    }));
    eventually("the loop is listed", || !app.loop_health().is_empty()).await;
    let h = &app.loop_health()[0];
    assert_eq!((h.name.as_str(), h.healthy, h.panics), ("paypal", true, 0));
    assert!(h.message.is_none());
    task.abort();
}
