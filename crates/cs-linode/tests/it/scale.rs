//! Request counts at scale.

use cs_linode::InstanceStatus;

use crate::support;

#[tokio::test]
async fn listing_5000_instances_costs_exactly_10_requests() {
    let h = support::start().await;
    h.fake.seed_instances(5_000, "us-east", "g6-nanode-1");
    h.fake.clear_requests();
    let all = h.client.list_instances(None).await.expect("list");
    assert_eq!(all.len(), 5_000);
    assert!(all.iter().all(|i| i.status == InstanceStatus::Running));
    let mut ids: Vec<u64> = all.iter().map(|i| i.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5_000, "no instance listed twice");
    let reqs = h.fake.requests();
    assert_eq!(h.fake.request_count("GET", "/linode/instances"), 10);
    assert_eq!(reqs.len(), 10);
    for (n, r) in reqs.iter().enumerate() {
        assert_eq!(
            r.query.as_deref(),
            Some(format!("page={}&page_size=500", n + 1).as_str())
        );
        assert_eq!(r.status, Some(200));
    }
    h.fake.shutdown().await;
}
