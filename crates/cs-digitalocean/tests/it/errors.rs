//! Every error class, produced by the fake over HTTP, and the retry rules around them.

use std::time::{Duration, Instant};

use cs_digitalocean::*;
use cs_fakes::digitalocean::{FakeLimit, FaultKind, FaultRule, READ_ONLY};

use crate::support::{self, assert_no_secret, POLL, WAIT};

fn small(name: &str) -> CreateDroplet {
    let mut r = CreateDroplet::new(
        name,
        "nyc3",
        "s-1vcpu-1gb",
        ImageRef::parse("debian-12-x64"),
    );
    r.tags = vec![format!("cs-{name}")];
    r
}

async fn active(h: &support::Harness, name: &str) -> u64 {
    let c = h.client.create_droplet(&small(name)).await.expect("create");
    if let Some(a) = c.action_id {
        h.client
            .follow_action(a, POLL, WAIT, |_| {})
            .await
            .expect("created");
    }
    c.droplet.id
}

#[tokio::test]
async fn invalid_token_is_401_and_not_retried() {
    let h = support::start().await;
    h.fake.revoke_token(&h.token);
    let err = h.client.get_droplet(1).await.unwrap_err();
    assert!(matches!(err, DigitalOceanError::InvalidToken), "{err:?}");
    assert!(err.to_string().contains("Settings → Providers"));
    assert!(!err.is_retryable());
    assert_no_secret(&err, &h.token);
    assert_eq!(h.fake.requests().len(), 1);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn a_read_only_token_is_found_before_anything_is_written_and_403_names_the_scope() {
    let h = support::start().await;
    let ro = h.fake.create_token(READ_ONLY);
    let c = DigitalOceanClient::new(support::test_config(&h.fake.api_url(), &ro)).unwrap();
    c.list_droplets().await.expect("reading is allowed");
    assert_eq!(c.check_write_access().await.unwrap(), WriteAccess::ReadOnly);
    assert_eq!(
        h.client.check_write_access().await.unwrap(),
        WriteAccess::Granted
    );
    let err = c.create_droplet(&small("nope-1")).await.unwrap_err();
    match &err {
        DigitalOceanError::Forbidden { scope, .. } => assert_eq!(*scope, "droplet:create"),
        other => panic!("{other:?}"),
    }
    assert_no_secret(&err, &ro);
    assert_eq!(h.fake.droplet_count(), 0);

    // A custom-scoped token: it may create, but not snapshot (`image:create`).
    let custom = h.fake.create_token(&[
        "droplet:read",
        "droplet:create",
        "droplet:update",
        "actions:read",
    ]);
    let c = DigitalOceanClient::new(support::test_config(&h.fake.api_url(), &custom)).unwrap();
    let d = c
        .create_droplet(&small("custom-1"))
        .await
        .expect("create allowed");
    c.follow_action(d.action_id.unwrap(), POLL, WAIT, |_| {})
        .await
        .unwrap();
    let err = c.snapshot(d.droplet.id, "s").await.unwrap_err();
    assert!(err.to_string().contains("`image:create`"), "{err}");
    let err = c.delete_droplet(d.droplet.id).await.unwrap_err();
    assert!(err.to_string().contains("`droplet:delete`"), "{err}");
    h.fake.shutdown().await;
}

#[tokio::test]
async fn not_found_and_validation_carry_what_and_the_request_id() {
    let h = support::start().await;
    let err = h.client.get_droplet(424_242).await.unwrap_err();
    assert!(
        matches!(&err, DigitalOceanError::NotFound { what } if what == "Droplet 424242"),
        "{err:?}"
    );
    assert_no_secret(&err, &h.token);
    let err = h.client.get_action(7).await.unwrap_err();
    assert!(matches!(&err, DigitalOceanError::NotFound { what } if what == "action 7"));

    let mut bad = small("bad-size");
    bad.size = "s-0vcpu-0gb".into();
    let err = h.client.create_droplet(&bad).await.unwrap_err();
    match &err {
        DigitalOceanError::Validation {
            id,
            message,
            request_id,
        } => {
            assert_eq!(id, "unprocessable_entity");
            assert_eq!(
                message,
                "You specified an invalid size for Droplet creation."
            );
            assert!(request_id.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    assert_no_secret(&err, &h.token);
    let mut bad = small("bad_name");
    bad.tags.clear();
    assert!(matches!(
        h.client.create_droplet(&bad).await,
        Err(DigitalOceanError::Validation { .. })
    ));
    let mut wrong_region = small("sgp-general");
    wrong_region.size = "g-2vcpu-8gb".into();
    wrong_region.region = Some("sgp1".into());
    let err = h.client.create_droplet(&wrong_region).await.unwrap_err();
    assert!(err.to_string().contains("not available in sgp1"), "{err}");
    assert_eq!(h.fake.droplet_count(), 0);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn a_pending_event_is_busy_and_retried_until_the_droplet_is_free() {
    let mut cfg = support::fast_config();
    cfg.step = Duration::from_millis(300);
    let h = support::start_with(cfg).await;
    let id = active(&h, "busy-1").await;
    let once = support::client_with(&h, |c| c.retry.max_attempts = 1);
    once.reboot(id).await.expect("reboot starts");
    let err = once.power_off(id).await.unwrap_err();
    assert!(matches!(err, DigitalOceanError::Busy), "{err:?}");
    assert!(err.is_retryable());
    // With retries (backoff up to a second) the power-off goes through once the reboot ends.
    let patient = support::client_with(&h, |c| {
        c.retry.max_attempts = 20;
        c.retry.max_backoff = Duration::from_millis(200);
    });
    let a = patient
        .power_off(id)
        .await
        .expect("power off after the reboot");
    patient
        .follow_action(a.id, POLL, WAIT, |_| {})
        .await
        .unwrap();
    assert_eq!(h.fake.droplet_status(id).as_deref(), Some("off"));
    h.fake.shutdown().await;
}

#[tokio::test]
async fn rate_limits_honour_retry_after_and_a_spent_hourly_budget_stops_sending() {
    let h = support::start().await;
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::RateLimited {
                retry_after_secs: Some(1),
            },
            "GET",
            "/account",
        )
        .times(1),
    );
    let t = Instant::now();
    h.client
        .account()
        .await
        .expect("answered after the burst limit");
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "waited the retry-after"
    );
    assert_eq!(h.fake.request_count("GET", "/account"), 2);

    // A too-long wait is returned rather than slept.
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::RateLimited {
                retry_after_secs: Some(600),
            },
            "GET",
            "/account",
        )
        .times(1),
    );
    let err = h.client.account().await.unwrap_err();
    assert!(
        matches!(err, DigitalOceanError::RateLimited { retry_after } if retry_after == Duration::from_secs(600)),
        "{err:?}"
    );
    assert!(err.to_string().contains("wait 600 s"));
    assert_no_secret(&err, &h.token);

    // The hourly budget: three requests an hour.
    let mut cfg = support::fast_config();
    cfg.hourly_limit = FakeLimit {
        capacity: 3,
        window: Duration::from_secs(3600),
    };
    let h2 = support::start_with(cfg).await;
    for _ in 0..3 {
        h2.client.account().await.expect("within the budget");
    }
    let status = h2.client.rate_limit().expect("headers read");
    assert_eq!((status.limit, status.remaining), (3, 0));
    assert!(status.reset > chrono::Utc::now() + chrono::Duration::minutes(59));
    let err = h2.client.account().await.unwrap_err();
    assert!(
        matches!(err, DigitalOceanError::RateLimited { retry_after } if retry_after > Duration::from_secs(3500)),
        "{err:?}"
    );
    assert_eq!(
        h2.fake.requests().len(),
        3,
        "a spent budget is not spent again: nothing was sent"
    );
    h.fake.shutdown().await;
    h2.fake.shutdown().await;
}

#[tokio::test]
async fn the_fakes_burst_limit_answers_429_and_the_client_recovers() {
    let mut cfg = support::fast_config();
    cfg.burst_limit = FakeLimit {
        capacity: 5,
        window: Duration::from_millis(800),
    };
    let h = support::start_with(cfg).await;
    for _ in 0..12 {
        h.client
            .list_regions()
            .await
            .expect("every call ends answered");
    }
    let statuses: Vec<Option<u16>> = h.fake.requests().iter().map(|r| r.status).collect();
    assert!(statuses.contains(&Some(429)), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == Some(200)).count(), 12);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_with_the_request_id() {
    let h = support::start().await;
    h.fake
        .add_fault(FaultRule::new(FaultKind::ServerError(503), "GET", "/regions").times(2));
    assert!(
        !h.client.list_regions().await.unwrap().is_empty(),
        "two 503s are ridden out"
    );
    h.fake
        .add_fault(FaultRule::new(FaultKind::ServerError(500), "GET", "/sizes").times(10));
    let err = h.client.list_sizes().await.unwrap_err();
    match &err {
        DigitalOceanError::Server {
            status, request_id, ..
        } => {
            assert_eq!(*status, 500);
            assert!(err.to_string().contains(request_id.as_deref().unwrap()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.fake.request_count("GET", "/sizes"), 6, "six attempts");
    assert_no_secret(&err, &h.token);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn actions_are_not_repeated_after_an_ambiguous_failure() {
    let h = support::start().await;
    let id = active(&h, "once-1").await;
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::ServerErrorAfterApply(502),
            "POST",
            &format!("/droplets/{id}/actions"),
        )
        .times(1),
    );
    let err = h.client.snapshot(id, "only-one").await.unwrap_err();
    assert!(
        matches!(err, DigitalOceanError::Server { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(
        h.fake
            .request_count("POST", &format!("/droplets/{id}/actions")),
        1,
        "not sent twice"
    );
    // It was applied: one snapshot action, which completes.
    let actions = h.client.list_droplet_actions_page(id, 1).await.unwrap();
    let snap = actions
        .items
        .iter()
        .find(|a| a.kind == "snapshot")
        .expect("applied once");
    h.client
        .follow_action(snap.id, POLL, WAIT, |_| {})
        .await
        .unwrap();
    assert_eq!(h.client.list_droplet_snapshots(id).await.unwrap().len(), 1);

    // A delete whose answer is lost is repeated, and the 404 then means it is done.
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::DropAfterApply,
            "DELETE",
            &format!("/droplets/{id}"),
        )
        .times(1),
    );
    h.client.delete_droplet(id).await.expect("delete recovered");
    assert_eq!(h.fake.droplet_count(), 0);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn a_lost_create_answer_is_recovered_by_name_and_tag_not_by_a_second_create() {
    let h = support::start().await;
    for (n, fault) in [
        FaultKind::DropAfterApply,
        FaultKind::ServerErrorAfterApply(504),
        FaultKind::DropBeforeApply,
        FaultKind::ServerError(500),
    ]
    .into_iter()
    .enumerate()
    {
        h.fake.clear_requests();
        h.fake
            .add_fault(FaultRule::new(fault.clone(), "POST", "/droplets").times(1));
        let name = format!("lost-{n}");
        let made = h
            .client
            .create_droplet(&small(&name))
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(made.droplet.name, name);
        let applied_first = matches!(
            fault,
            FaultKind::DropAfterApply | FaultKind::ServerErrorAfterApply(_)
        );
        assert_eq!(
            h.fake.request_count("POST", "/droplets"),
            if applied_first { 1 } else { 2 },
            "{fault:?}: the create is sent again only when the lookup finds nothing"
        );
        assert_eq!(
            h.fake.request_count("GET", "/droplets"),
            1,
            "{fault:?}: one lookup by name"
        );
        assert_eq!(made.action_id.is_none(), applied_first, "{fault:?}");
    }
    assert_eq!(h.fake.droplet_count(), 4, "one Droplet per create");
    h.fake.shutdown().await;
}

#[tokio::test]
async fn timeouts_transport_and_decode_failures() {
    let h = support::start().await;
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::Latency(Duration::from_millis(1500)),
            "GET",
            "/account",
        )
        .times(1),
    );
    let quick = support::client_with(&h, |c| {
        c.timeout = Duration::from_millis(300);
        c.retry.max_attempts = 1;
    });
    let err = quick.account().await.unwrap_err();
    assert!(matches!(err, DigitalOceanError::Timeout), "{err:?}");
    assert!(err.is_retryable());

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let nowhere = DigitalOceanClient::new(support::test_config(
        &format!("http://{closed}/v2"),
        &h.token,
    ))
    .unwrap();
    let err = nowhere.account().await.unwrap_err();
    assert!(matches!(err, DigitalOceanError::Transport(_)), "{err:?}");
    assert_no_secret(&err, &h.token);

    // Something answering 200 with what is not DigitalOcean's JSON.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n<html/>  ").await;
        }
    });
    let odd = DigitalOceanClient::new(support::test_config(&format!("http://{addr}/v2"), &h.token))
        .unwrap();
    let err = odd.account().await.unwrap_err();
    assert!(matches!(err, DigitalOceanError::Decode(_)), "{err:?}");
    assert!(err.to_string().contains("update ContainerStacks"));

    assert!(matches!(
        DigitalOceanClient::new(support::test_config("ftp://example.com", &h.token)),
        Err(DigitalOceanError::Config(_))
    ));
    h.fake.shutdown().await;
}

#[tokio::test]
async fn an_errored_action_and_one_that_outlasts_the_wait() {
    let mut cfg = support::fast_config();
    cfg.step = Duration::from_millis(200);
    let h = support::start_with(cfg).await;
    let id = active(&h, "fail-1").await;
    h.fake.fail_next_action("power_off");
    let a = h.client.power_off(id).await.unwrap();
    let err = h
        .client
        .follow_action(a.id, POLL, WAIT, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DigitalOceanError::ActionErrored { action_id, kind } if *action_id == a.id && kind == "power_off"),
        "{err:?}"
    );
    assert!(err.to_string().contains(&a.id.to_string()));
    assert_eq!(
        h.fake.droplet_status(id).as_deref(),
        Some("active"),
        "nothing changed"
    );

    let a = h.client.reboot(id).await.unwrap();
    let mut seen = 0;
    let err = h
        .client
        .follow_action(a.id, POLL, Duration::from_millis(60), |_| seen += 1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, DigitalOceanError::ActionTimedOut { .. }),
        "{err:?}"
    );
    assert!(seen >= 2, "progress is reported while waiting");
    h.fake.shutdown().await;
}

#[tokio::test]
async fn ssh_keys_are_checked_before_sending_and_a_lost_answer_is_recovered_by_fingerprint() {
    let h = support::start().await;
    let err = h
        .client
        .ensure_ssh_key("ssh-ed25519 not-base64!")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DigitalOceanError::Validation { message, .. } if message.contains(".pub file")),
        "{err:?}"
    );
    assert!(h.fake.requests().is_empty());
    h.fake
        .add_fault(FaultRule::new(FaultKind::DropAfterApply, "POST", "/account/keys").times(1));
    let key = h
        .client
        .ensure_ssh_key(support::SSH_KEY)
        .await
        .expect("recovered");
    assert_eq!(key.fingerprint, support::SSH_FINGERPRINT);
    assert_eq!(
        h.fake.request_count("POST", "/account/keys"),
        1,
        "added once"
    );
    h.fake
        .add_fault(FaultRule::new(FaultKind::ServerError(500), "POST", "/account/keys").times(10));
    let other =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKuXeriMhlBY56y3WYvd8NtMqNrGDAkHY5RFSgfMnApr other@cs";
    let err = h.client.ensure_ssh_key(other).await.unwrap_err();
    assert!(
        matches!(err, DigitalOceanError::Server { status: 500, .. }),
        "the refusal stands, not a 404: {err:?}"
    );
    h.fake.shutdown().await;
}
