//! Creating many Droplets while the API misbehaves must create each exactly once, and
//! reconciliation must then see every one of them running.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use cs_digitalocean::*;
use cs_fakes::digitalocean::{FakeLimit, FaultKind, FaultRule};
use cs_provider::{InstanceStatus, Provider};

use crate::support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_creates_under_a_storm_of_429s_and_5xx_make_exactly_fifty() {
    let mut cfg = support::fast_config();
    // DigitalOcean's burst limit, scaled down: 40 requests in any 1.5 s answer 429 with
    // retry-after, on top of the injected faults.
    cfg.burst_limit = FakeLimit {
        capacity: 40,
        window: Duration::from_millis(1500),
    };
    let h = support::start_with(cfg).await;
    let create = "/droplets";
    // Counted faults so each kind certainly happens, plus seeded random ones.
    for (kind, times, permille) in [
        (
            FaultKind::RateLimited {
                retry_after_secs: Some(1),
            },
            4,
            80,
        ),
        (FaultKind::ServerError(503), 3, 60),
        (FaultKind::ServerError(500), 2, 40),
        (FaultKind::ServerErrorAfterApply(504), 3, 60),
        (FaultKind::DropAfterApply, 3, 80),
        (FaultKind::DropBeforeApply, 2, 40),
    ] {
        h.fake.add_fault(
            FaultRule::new(kind, "POST", create)
                .times(times)
                .probability_permille(permille),
        );
    }
    let client = support::client_with(&h, |c| c.retry.max_attempts = 15);

    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..50 {
        let client = client.clone();
        tasks.spawn(async move {
            let mut req = CreateDroplet::new(
                &format!("storm-{n:02}"),
                "nyc3",
                "s-1vcpu-1gb",
                ImageRef::parse("debian-12-x64"),
            );
            req.tags = vec!["storm".into(), format!("cs-storm-{n:02}")];
            let created = client.create_droplet(&req).await;
            (req.name, created)
        });
    }
    let mut ids = BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let (name, created) = joined.expect("task completes");
        let d = created.unwrap_or_else(|e| panic!("create {name} failed: {e}"));
        assert_eq!(d.droplet.name, name);
        ids.insert(d.droplet.id);
    }
    assert_eq!(ids.len(), 50, "fifty distinct Droplets returned");
    assert_eq!(
        h.fake.droplet_count(),
        50,
        "the fake holds exactly fifty Droplets"
    );
    let names: BTreeSet<String> = h.fake.droplet_names().into_iter().collect();
    let want: BTreeSet<String> = (0..50).map(|n| format!("storm-{n:02}")).collect();
    assert_eq!(names, want, "no name twice");

    // The storm really happened.
    let posts: Vec<Option<u16>> = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == create)
        .map(|r| r.status)
        .collect();
    for status in [Some(429), Some(503), Some(500), Some(504), None] {
        assert!(posts.contains(&status), "{status:?} happened: {posts:?}");
    }
    let all: Vec<Option<u16>> = h.fake.requests().iter().map(|r| r.status).collect();
    assert!(
        all.iter().filter(|s| **s == Some(429)).count() > 4,
        "the burst limit answered 429 too"
    );

    // Reconciliation converges: the provider lists all fifty, and they all come up.
    let provider = Arc::new(DigitalOceanProvider::new(client.clone()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let listed = provider.list_instances().await.expect("list");
        assert_eq!(listed.len(), 50);
        if listed.iter().all(|i| i.status == InstanceStatus::Running) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all running: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        client.list_droplets_by_tag("storm").await.unwrap().len(),
        50
    );
    h.fake.shutdown().await;
}
