//! Desktop notifications: each situation a reseller must act on produces one
//! notification with a clear title and body, none twice for one event, and
//! a kind switched off in Settings produces none.

use chrono::Duration;
use cs_app::dto::*;
use cs_fakes::smtp::{SmtpSink, SmtpSinkConfig};

use crate::TestApp;

fn payment(org: &OrganizationDto, amount: &str, reference: &str) -> PaymentInput {
    PaymentInput {
        organization_id: org.id.clone(),
        amount: amount.into(),
        method: "bank_transfer".into(),
        reference: reference.into(),
        note: None,
    }
}

/// The notifications of `kind` shown so far.
fn shown(t: &TestApp, kind: &str) -> Vec<NotificationDto> {
    t.events
        .notifications
        .lock()
        .unwrap()
        .iter()
        .filter(|n| n.kind == kind)
        .cloned()
        .collect()
}

fn all_on() -> NotificationSettingsDto {
    NotificationSettingsDto {
        server_failed: true,
        customer_suspended: true,
        payment_received: true,
        mail_relay_down: true,
        backup_failed: true,
    }
}

async fn running_server(t: &TestApp) -> (OrganizationDto, ServerDto) {
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    (org, s)
}

#[tokio::test]
async fn notifications_are_all_on_by_default_and_switching_one_off_is_kept() {
    let t = TestApp::new();
    assert_eq!(t.app.notification_settings().unwrap(), all_on());
    let off = NotificationSettingsDto {
        payment_received: false,
        ..all_on()
    };
    assert_eq!(
        t.app.update_notification_settings(off.clone()).unwrap(),
        off
    );
    let t = t.restart();
    assert_eq!(t.app.notification_settings().unwrap(), off);
    assert!(t
        .app
        .list_activity(5, None)
        .unwrap()
        .iter()
        .any(|a| a.action == "settings.notifications_updated"
            && a.summary.contains("payment received off")));
}

#[tokio::test]
async fn a_failed_server_notifies_once_with_its_label_and_customer() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    t.app.sandbox().inject(cs_provider::sandbox::Fault::Fail {
        op: "create_instance",
        error: cs_provider::ProviderError::Validation {
            field: "region".into(),
            message: "London is full".into(),
        },
    });
    t.app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap_err();
    t.tick().await;
    t.tick().await;
    assert_eq!(
        shown(&t, "server_failed"),
        vec![NotificationDto {
            kind: "server_failed".into(),
            title: "Server failed".into(),
            body: "Server web-1 of Acme Hosting failed: open it in Servers to see why".into(),
        }]
    );
    assert_eq!(t.events.notifications.lock().unwrap().len(), 1);

    // Switched off: the next failure is in the log but not notified.
    let mut s = all_on();
    s.server_failed = false;
    t.app.update_notification_settings(s).unwrap();
    t.app.sandbox().inject(cs_provider::sandbox::Fault::Fail {
        op: "create_instance",
        error: cs_provider::ProviderError::Validation {
            field: "region".into(),
            message: "London is full".into(),
        },
    });
    t.app
        .create_server(t.server_input(&org, &plan, "web-2"), Default::default())
        .await
        .unwrap_err();
    assert_eq!(shown(&t, "server_failed").len(), 1);
}

#[tokio::test]
async fn a_server_the_provider_fails_to_build_notifies_once() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    t.app
        .sandbox()
        .inject(cs_provider::sandbox::Fault::FailProvisioning);
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    for _ in 0..4 {
        t.tick().await;
    }
    assert_eq!(t.app.get_server(&s.id).unwrap().server.status, "failed");
    assert_eq!(
        *t.events.notifications.lock().unwrap(),
        vec![NotificationDto {
            kind: "server_failed".into(),
            title: "Server failed".into(),
            body: "Server web-1 of Acme Hosting failed: open it in Servers to see why".into(),
        }]
    );
}

#[tokio::test]
async fn a_suspension_for_an_unpaid_balance_notifies_once_and_a_payment_too() {
    let t = TestApp::new();
    let (org, _s) = running_server(&t).await;
    t.clock.advance(Duration::hours(2));
    t.app.run_billing().await.unwrap();
    t.clock.advance(Duration::hours(73));
    t.app.run_billing().await.unwrap();
    assert_eq!(t.app.get_wallet(&org.id).unwrap().wallet.state, "suspended");
    t.tick().await;
    t.app.run_billing().await.unwrap();
    assert_eq!(
        shown(&t, "customer_suspended"),
        vec![NotificationDto {
            kind: "customer_suspended".into(),
            title: "Customer suspended".into(),
            body: "Acme Hosting's servers were suspended for an unpaid balance".into(),
        }]
    );

    t.app
        .record_payment(payment(&org, "20.00", "CASH-7 secret note"))
        .await
        .unwrap();
    assert_eq!(t.app.get_wallet(&org.id).unwrap().wallet.state, "good");
    let paid = shown(&t, "payment_received");
    assert_eq!(paid.len(), 1, "{paid:?}");
    assert_eq!(paid[0].title, "Payment received");
    assert!(
        paid[0].body.starts_with("Acme Hosting paid ") && paid[0].body.contains("20.00"),
        "{paid:?}"
    );
    assert!(!paid[0].body.contains("CASH-7"), "no reference: {paid:?}");
    // The release is no suspension.
    assert_eq!(shown(&t, "customer_suspended").len(), 1);
}

#[tokio::test]
async fn switched_off_suspensions_and_payments_are_not_notified() {
    let t = TestApp::new();
    t.app
        .update_notification_settings(NotificationSettingsDto {
            customer_suspended: false,
            payment_received: false,
            ..all_on()
        })
        .unwrap();
    let (org, _s) = running_server(&t).await;
    t.clock.advance(Duration::hours(2));
    t.app.run_billing().await.unwrap();
    t.clock.advance(Duration::hours(73));
    t.app.run_billing().await.unwrap();
    assert_eq!(t.app.get_wallet(&org.id).unwrap().wallet.state, "suspended");
    t.app
        .record_payment(payment(&org, "20.00", "CASH-7"))
        .await
        .unwrap();
    assert_eq!(t.app.get_wallet(&org.id).unwrap().wallet.state, "good");
    assert_eq!(*t.events.notifications.lock().unwrap(), vec![]);
}

#[tokio::test]
async fn a_mail_relay_that_is_down_notifies_once_until_it_is_back() {
    let t = TestApp::new();
    let mut sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
    crate::mail::configured(&t, &sink).await;
    sink.stop().await;
    t.customer("Customer 1", "c1@example.com");
    let r = t.app.send_due_mail().await.unwrap().unwrap();
    assert_eq!((r.sent, r.retried), (0, 1));
    t.clock.advance(Duration::seconds(11));
    let r = t.app.send_due_mail().await.unwrap().unwrap();
    assert_eq!(r.retried, 1, "still down");
    assert_eq!(
        shown(&t, "mail_relay_down"),
        vec![NotificationDto {
            kind: "mail_relay_down".into(),
            title: "Mail relay down".into(),
            body: "The mail relay is not accepting mail: mail waits in the outbox and is retried; check Settings → Email".into(),
        }]
    );

    sink.restart().await.unwrap();
    t.clock.advance(Duration::seconds(21));
    assert_eq!(t.app.send_due_mail().await.unwrap().unwrap().sent, 1);
    let log = t.app.list_activity(10, None).unwrap();
    assert!(log.iter().any(|a| a.action == "mail.relay_up"), "{log:?}");

    // Down again, now switched off: logged, not notified.
    let mut s = all_on();
    s.mail_relay_down = false;
    t.app.update_notification_settings(s).unwrap();
    sink.stop().await;
    t.customer("Customer 2", "c2@example.com");
    assert_eq!(t.app.send_due_mail().await.unwrap().unwrap().retried, 1);
    let downs = t
        .app
        .list_activity(20, None)
        .unwrap()
        .iter()
        .filter(|a| a.action == "mail.relay_down")
        .count();
    assert_eq!(downs, 2);
    assert_eq!(shown(&t, "mail_relay_down").len(), 1);
}

#[tokio::test]
async fn a_failed_backup_notifies_once_unless_switched_off() {
    let t = TestApp::new();
    crate::backup::turn_on(&t, 6);
    let dir = crate::backup::backups_dir(&t);
    std::fs::remove_dir_all(&dir).ok();
    std::fs::write(&dir, b"in the way").unwrap();
    let e = t.app.backup_now().unwrap_err();
    let failed = shown(&t, "backup_failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].title, "Backup failed");
    assert_eq!(
        failed[0].body,
        format!("{e}; see Settings → Backups"),
        "says why and where to look"
    );

    let mut s = all_on();
    s.backup_failed = false;
    t.app.update_notification_settings(s).unwrap();
    t.app.backup_now().unwrap_err();
    assert_eq!(shown(&t, "backup_failed").len(), 1);
}
