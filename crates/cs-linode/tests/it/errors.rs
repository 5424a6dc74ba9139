//! Every error class, produced by the fake over HTTP, and the retry rules around them.

use std::time::{Duration, Instant};

use cs_fakes::linode::{FakeLimit, FaultKind, FaultRule};
use cs_linode::*;

use crate::support::{self, assert_no_secret};

fn nanode(label: &str) -> CreateInstance {
    CreateInstance {
        region: "us-east".into(),
        type_id: "g6-nanode-1".into(),
        label: label.into(),
        deploy: InstanceDeploy {
            image: Some("linode/debian12".into()),
            root_pass: Some("Err-Pass-1234".into()),
            ..Default::default()
        },
        tags: vec![],
        firewall_id: None,
        backups_enabled: None,
        private_ip: None,
    }
}

#[tokio::test]
async fn invalid_token_is_401() {
    let h = support::start().await;
    h.fake.revoke_token(&h.token);
    let err = h.client.get_instance(1).await.unwrap_err();
    assert!(matches!(err, LinodeError::InvalidToken), "{err:?}");
    assert!(err.to_string().contains("Settings → Providers"));
    assert!(!err.is_retryable());
    assert_no_secret(&err, &h.token);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn missing_scope_is_403_and_names_the_scope() {
    let h = support::start().await;
    let ro = h.fake.create_token(&["linodes:read_only"]);
    let c = LinodeClient::new(support::test_config(&h.fake.api_url(), &ro)).unwrap();
    c.list_instances(None).await.expect("read is allowed");
    let err = c.create_instance(&nanode("nope-1")).await.unwrap_err();
    match &err {
        LinodeError::ForbiddenScope {
            required_scopes, ..
        } => assert_eq!(required_scopes.as_deref(), Some("linodes:read_write")),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("`linodes:read_write`"), "{err}");
    assert_no_secret(&err, &ro);
    assert_eq!(h.fake.instance_count(), 0);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn not_found_and_validation() {
    let h = support::start().await;
    let err = h.client.get_instance(424_242).await.unwrap_err();
    assert!(
        matches!(&err, LinodeError::NotFound { what } if what == "Linode 424242"),
        "{err:?}"
    );
    assert_no_secret(&err, &h.token);

    let mut bad = nanode("bad-region");
    bad.region = "mars-1".into();
    let err = h.client.create_instance(&bad).await.unwrap_err();
    match &err {
        LinodeError::Validation { field, reason } => {
            assert_eq!(field.as_deref(), Some("region"));
            assert_eq!(reason, "region is not valid");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    let mut bad = nanode("-bad label");
    bad.deploy.root_pass = Some("Err-Pass-1234".into());
    let err = h.client.create_instance(&bad).await.unwrap_err();
    assert!(
        matches!(&err, LinodeError::Validation { field: Some(f), .. } if f == "label"),
        "{err:?}"
    );
    let mut nopass = nanode("no-pass");
    nopass.deploy.root_pass = None;
    let err = h.client.create_instance(&nopass).await.unwrap_err();
    assert!(err.to_string().contains("root_pass"), "{err}");
    let err = h
        .client
        .list_instances(Some(r#"{"foo":1}"#.into()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LinodeError::Validation { field: Some(f), reason } if f == "X-Filter" && reason == "Cannot filter on foo"),
        "{err:?}"
    );
    h.fake.shutdown().await;
}

#[tokio::test]
async fn busy_is_reported_and_retried() {
    // Provisioning must outlast the create + boot round trips even on a busy machine.
    let mut cfg = support::fast_config();
    cfg.step = Duration::from_millis(500);
    let h = support::start_with(cfg).await;
    let i = h.client.create_instance(&nanode("busy-1")).await.unwrap();
    // Real busy: the instance is still provisioning.
    let once = support::client_with(&h, |c| c.retry.max_attempts = 1);
    let err = once.boot_instance(i.id).await.unwrap_err();
    assert!(matches!(err, LinodeError::Busy), "{err:?}");
    assert!(err.is_retryable());
    h.client
        .wait_for_status(
            i.id,
            &InstanceStatus::Running,
            Duration::from_millis(10),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    // Injected busy twice, then success after backoff.
    let path = format!("/linode/instances/{}/shutdown", i.id);
    h.fake
        .add_fault(FaultRule::new(FaultKind::Busy, "POST", &path).times(2));
    h.client
        .shutdown_instance(i.id)
        .await
        .expect("succeeds after two busy answers");
    assert_eq!(h.fake.request_count("POST", &path), 3);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn rate_limited_honours_retry_after() {
    let h = support::start().await;
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::RateLimited {
                retry_after_secs: 1,
            },
            "GET",
            "/regions",
        )
        .times(1),
    );
    let once = support::client_with(&h, |c| c.retry.max_attempts = 1);
    let err = once.list_regions().await.unwrap_err();
    assert!(
        matches!(err, LinodeError::RateLimited { retry_after } if retry_after == Duration::from_secs(1)),
        "{err:?}"
    );
    assert_no_secret(&err, &h.token);

    h.fake.add_fault(
        FaultRule::new(
            FaultKind::RateLimited {
                retry_after_secs: 1,
            },
            "GET",
            "/regions",
        )
        .times(1),
    );
    let start = Instant::now();
    h.client
        .list_regions()
        .await
        .expect("retried after Retry-After");
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        start.elapsed()
    );

    // A Retry-After longer than the client accepts is handed back to the caller.
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::RateLimited {
                retry_after_secs: 600,
            },
            "GET",
            "/regions",
        )
        .times(1),
    );
    let err = h.client.list_regions().await.unwrap_err();
    assert!(
        matches!(err, LinodeError::RateLimited { retry_after } if retry_after == Duration::from_secs(600))
    );
    h.fake.shutdown().await;
}

#[tokio::test]
async fn the_fakes_own_rate_limit_answers_429_and_the_client_recovers() {
    let mut cfg = support::fast_config();
    cfg.other_limit = FakeLimit {
        capacity: 3,
        window: Duration::from_secs(1),
    };
    let h = support::start_with(cfg).await;
    // Another program using the same token spends the budget first.
    let other = support::client_with(&h, |_| {});
    for _ in 0..3 {
        other.profile().await.unwrap();
    }
    let start = Instant::now();
    for _ in 0..2 {
        h.client.profile().await.expect("429s are waited out");
    }
    assert!(start.elapsed() >= Duration::from_millis(900));
    let statuses: Vec<Option<u16>> = h.fake.requests().iter().map(|r| r.status).collect();
    assert!(statuses.contains(&Some(429)), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == Some(200)).count(), 5);
    h.fake.shutdown().await;
}

/// The gaps between the fake's receipts of consecutive requests to `path`.
fn gaps(h: &support::Harness, method: &str, path: &str) -> Vec<Duration> {
    let at: Vec<_> = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .map(|r| r.at)
        .collect();
    at.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_exponentially_with_jitter_up_to_a_cap() {
    let h = support::start().await;
    // Linode's real 429s carry no Retry-After, only X-RateLimit-Limit.
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::RateLimitedWithoutRetryAfter { reset_secs: None },
            "GET",
            "/regions",
        )
        .times(4),
    );
    let start = Instant::now();
    h.client
        .list_regions()
        .await
        .expect("succeeds after four 429s");
    let elapsed = start.elapsed();
    let gaps = gaps(&h, "GET", "/regions");
    assert_eq!(gaps.len(), 4, "{gaps:?}");
    // Test policy: the first wait is at most 20 ms, doubling, capped at 100 ms; with
    // jitter each wait is between half its ceiling and the ceiling.
    for (gap, floor_ms) in gaps.iter().zip([10, 20, 40, 50]) {
        assert!(
            *gap >= Duration::from_millis(floor_ms),
            "waits grow exponentially: {gaps:?}"
        );
    }
    assert!(
        elapsed < Duration::from_millis(900),
        "not a fixed second per retry: {elapsed:?} {gaps:?}"
    );

    // Still refused after every attempt: the caller is told how long to wait.
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::RateLimitedWithoutRetryAfter { reset_secs: None },
            "GET",
            "/linode/types",
        )
        .times(50),
    );
    let err = h.client.list_types().await.unwrap_err();
    assert!(
        matches!(err, LinodeError::RateLimited { retry_after } if retry_after == Duration::from_millis(100)),
        "{err:?}"
    );
    assert_eq!(h.fake.request_count("GET", "/linode/types"), 6);
    assert_no_secret(&err, &h.token);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn a_429_with_x_ratelimit_reset_waits_for_the_reset() {
    let h = support::start().await;
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::RateLimitedWithoutRetryAfter {
                reset_secs: Some(1),
            },
            "GET",
            "/regions",
        )
        .times(1),
    );
    h.client
        .list_regions()
        .await
        .expect("retried after the reset");
    let gaps = gaps(&h, "GET", "/regions");
    assert_eq!(gaps.len(), 1);
    assert!(
        gaps[0] >= Duration::from_millis(950),
        "waited for X-RateLimit-Reset, not the short backoff: {gaps:?}"
    );
    h.fake.shutdown().await;
}

#[tokio::test]
async fn the_client_paces_itself_to_the_limits_linode_reports() {
    // Linode reports a lower limit than the client's built-in budget (recorded real
    // answers show 8 or 10 for creating Linodes, 20 for listing images …).
    let mut cfg = support::fast_config();
    cfg.other_limit = FakeLimit {
        capacity: 3,
        window: Duration::from_secs(1),
    };
    let h = support::start_with(cfg).await;
    let start = Instant::now();
    for _ in 0..5 {
        h.client.profile().await.unwrap();
    }
    let statuses: Vec<Option<u16>> = h.fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![Some(200); 5],
        "X-RateLimit-Remaining and -Reset keep the client under the limit without a 429"
    );
    assert!(start.elapsed() >= Duration::from_millis(900));
    h.fake.shutdown().await;
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let h = support::start().await;
    h.fake
        .add_fault(FaultRule::new(FaultKind::ServerError(503), "GET", "/linode/types").times(2));
    assert!(
        !h.client.list_types().await.unwrap().is_empty(),
        "two 503s then success"
    );
    h.fake
        .add_fault(FaultRule::new(FaultKind::ServerError(500), "GET", "/linode/types").times(10));
    let c = support::client_with(&h, |c| c.retry.max_attempts = 3);
    let err = c.list_types().await.unwrap_err();
    assert!(
        matches!(err, LinodeError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("try again later"));
    assert_no_secret(&err, &h.token);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn timeouts_and_transport_failures() {
    let h = support::start().await;
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::Latency(Duration::from_millis(800)),
            "GET",
            "/profile",
        )
        .times(5),
    );
    let c = support::client_with(&h, |c| {
        c.timeout = Duration::from_millis(150);
        c.retry.max_attempts = 2;
    });
    let err = c.profile().await.unwrap_err();
    assert!(matches!(err, LinodeError::Timeout), "{err:?}");
    assert_no_secret(&err, &h.token);

    // A dropped connection on a read is retried.
    h.fake
        .add_fault(FaultRule::new(FaultKind::DropBeforeApply, "GET", "/regions").times(1));
    h.client
        .list_regions()
        .await
        .expect("read retried after a dropped connection");

    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut cfg = support::test_config(&format!("http://127.0.0.1:{port}/v4"), &h.token);
    cfg.retry.max_attempts = 2;
    let err = LinodeClient::new(cfg).unwrap().profile().await.unwrap_err();
    assert!(matches!(err, LinodeError::Transport(_)), "{err:?}");
    assert!(err.to_string().contains("internet connection"));
    assert_no_secret(&err, &h.token);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn non_idempotent_writes_are_not_blindly_retried() {
    let h = support::start().await;
    let i = h.client.create_instance(&nanode("ip-1")).await.unwrap();
    let path = format!("/linode/instances/{}/ips", i.id);
    h.fake
        .add_fault(FaultRule::new(FaultKind::DropAfterApply, "POST", &path).times(1));
    let err = h.client.allocate_ipv4(i.id).await.unwrap_err();
    assert!(matches!(err, LinodeError::Transport(_)), "{err:?}");
    assert_eq!(
        h.fake.request_count("POST", &path),
        1,
        "an ambiguous allocation is not repeated"
    );
    let ips = h.client.list_instance_ips(i.id).await.unwrap();
    assert_eq!(
        ips.ipv4.public.len(),
        2,
        "the allocation was applied exactly once"
    );
    h.fake.shutdown().await;
}

#[tokio::test]
async fn create_after_lost_answer_finds_the_instance_by_label() {
    let h = support::start().await;
    h.fake
        .add_fault(FaultRule::new(FaultKind::DropAfterApply, "POST", "/linode/instances").times(1));
    let i = h
        .client
        .create_instance(&nanode("lost-1"))
        .await
        .expect("found by label");
    assert_eq!(i.label, "lost-1");
    assert_eq!(h.fake.instance_count(), 1);
    assert_eq!(
        h.fake.request_count("POST", "/linode/instances"),
        1,
        "no second create was sent"
    );
    // A 5xx before apply: looked up, not found, then retried.
    h.fake.add_fault(
        FaultRule::new(FaultKind::ServerError(502), "POST", "/linode/instances").times(1),
    );
    h.client
        .create_instance(&nanode("lost-2"))
        .await
        .expect("retried after lookup");
    assert_eq!(h.fake.instance_count(), 2);
    h.fake.shutdown().await;
}
