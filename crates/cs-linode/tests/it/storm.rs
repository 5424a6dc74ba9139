//! Creating many servers while the API misbehaves must create each exactly once.

use std::collections::BTreeSet;
use std::time::Duration;

use cs_fakes::linode::{FaultKind, FaultRule};
use cs_linode::*;

use crate::support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_creates_under_429_busy_5xx_and_dropped_answers_make_exactly_fifty() {
    let h = support::start().await;
    let create = "/linode/instances";
    // Counted faults so each kind certainly happens, plus seeded random ones.
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::RateLimited {
                retry_after_secs: 1,
            },
            "POST",
            create,
        )
        .times(3)
        .probability_permille(60),
    );
    // And 429s without Retry-After, as Linode really sends them.
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::RateLimitedWithoutRetryAfter { reset_secs: None },
            "POST",
            create,
        )
        .times(3)
        .probability_permille(40),
    );
    h.fake.add_fault(
        FaultRule::new(FaultKind::Busy, "POST", create)
            .times(3)
            .probability_permille(120),
    );
    h.fake.add_fault(
        FaultRule::new(FaultKind::ServerError(503), "POST", create)
            .times(1)
            .probability_permille(40),
    );
    h.fake.add_fault(
        FaultRule::new(FaultKind::DropAfterApply, "POST", create)
            .times(3)
            .probability_permille(150),
    );
    let client = support::client_with(&h, |c| {
        c.retry.max_attempts = 12;
        // Pace creates like Linode's 20 per 15 s, scaled down 30×.
        c.rate_limits.create_instance = Limit::new(20, Duration::from_millis(500));
    });

    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..50 {
        let client = client.clone();
        tasks.spawn(async move {
            let req = CreateInstance {
                region: "us-west".into(),
                type_id: "g6-nanode-1".into(),
                label: format!("storm-{n:02}"),
                deploy: InstanceDeploy {
                    image: Some("linode/debian12".into()),
                    root_pass: Some("Storm-Pass-99".into()),
                    ..Default::default()
                },
                tags: vec!["storm".into()],
                firewall_id: None,
                backups_enabled: None,
                private_ip: None,
            };
            let created = client.create_instance(&req).await;
            (req.label, created)
        });
    }
    let mut ids = BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let (label, created) = joined.expect("task completes");
        let inst = created.unwrap_or_else(|e| panic!("create {label} failed: {e}"));
        assert_eq!(inst.label, label);
        ids.insert(inst.id);
    }
    assert_eq!(ids.len(), 50, "fifty distinct instances returned");
    assert_eq!(
        h.fake.instance_count(),
        50,
        "the fake holds exactly fifty instances"
    );
    let labels: BTreeSet<String> = h.fake.instance_labels().into_iter().collect();
    let want: BTreeSet<String> = (0..50).map(|n| format!("storm-{n:02}")).collect();
    assert_eq!(labels, want);

    // The faults really happened.
    let posts: Vec<Option<u16>> = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == create)
        .map(|r| r.status)
        .collect();
    let dropped = posts.iter().filter(|s| s.is_none()).count();
    assert!(
        dropped >= 3,
        "answers were lost after the create was applied: {posts:?}"
    );
    assert!(
        posts.contains(&Some(429)) && posts.contains(&Some(400)) && posts.contains(&Some(503)),
        "{posts:?}"
    );
    assert_eq!(
        posts.iter().filter(|s| **s == Some(200)).count() + dropped,
        50,
        "every applied create is either answered or recovered by label"
    );
    let listed = client
        .list_instances(Some(filter_eq("tags", "storm")))
        .await
        .unwrap();
    assert_eq!(listed.len(), 50);
    h.fake.shutdown().await;
}
