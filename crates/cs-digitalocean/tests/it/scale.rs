//! Request counts at scale: what reconciling 5,000 Droplets costs.

use cs_digitalocean::*;
use cs_provider::{InstanceStatus, Provider};

use crate::support::{self, POLL, WAIT};

#[tokio::test]
async fn reconciling_5000_droplets_costs_25_pages_plus_one_request_per_action_in_flight() {
    let mut cfg = support::fast_config();
    // Actions last until the test lets them finish.
    cfg.step = std::time::Duration::from_secs(3600);
    let h = support::start_with(cfg).await;
    let ids = h.fake.seed_droplets(5_000, "nyc3", "s-1vcpu-1gb");
    let provider = DigitalOceanProvider::new(h.client.clone());
    let pages = |reqs: &[cs_fakes::digitalocean::RecordedRequest]| {
        reqs.iter()
            .filter(|r| r.method == "GET" && r.path == "/droplets")
            .map(|r| r.query.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };

    h.fake.clear_requests();
    let all = provider.list_instances().await.expect("list");
    assert_eq!(all.len(), 5_000);
    assert!(all.iter().all(|i| i.status == InstanceStatus::Running));
    let mut seen: Vec<&str> = all.iter().map(|i| i.id.as_str()).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 5_000, "no Droplet listed twice");
    let reqs = h.fake.requests();
    assert_eq!(reqs.len(), 25, "5,000 / 200 a page, and nothing else");
    let want: Vec<String> = (1..=25).map(|p| format!("page={p}&per_page=200")).collect();
    assert_eq!(pages(&reqs), want);

    // Three actions this provider started and has not seen finish: one request each.
    for id in &ids[..3] {
        provider.reboot(&id.to_string()).await.expect("reboot");
    }
    let cursor = h.client.list_actions_page(1).await.unwrap().items[0].id;
    h.fake.clear_requests();
    let all = provider.list_instances().await.expect("list");
    assert_eq!(
        all.iter()
            .filter(|i| i.status == InstanceStatus::Rebooting)
            .count(),
        3
    );
    let reqs = h.fake.requests();
    assert_eq!(pages(&reqs).len(), 25);
    assert_eq!(
        reqs.iter()
            .filter(|r| r.path.starts_with("/actions/"))
            .count(),
        3
    );
    assert_eq!(reqs.len(), 28);

    // The event feed after a cursor: one page.
    h.fake.clear_requests();
    let events = provider.events(Some(cursor - 3)).await.expect("events");
    assert_eq!(
        events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["linode_reboot"; 3]
    );
    assert_eq!(h.fake.requests().len(), 1);

    // Once the actions are over, the next pass reads each once more and forgets it; the
    // one after costs 25 again.
    h.fake.finish_pending_actions();
    for id in &ids[..3] {
        let d = h.client.list_droplet_actions_page(*id, 1).await.unwrap();
        h.client
            .follow_action(d.items[0].id, POLL, WAIT, |_| {})
            .await
            .unwrap();
    }
    h.fake.clear_requests();
    provider.list_instances().await.unwrap();
    assert_eq!(h.fake.requests().len(), 28);
    h.fake.clear_requests();
    let all = provider.list_instances().await.unwrap();
    assert!(all.iter().all(|i| i.status == InstanceStatus::Running));
    assert_eq!(h.fake.requests().len(), 25);
    h.fake.shutdown().await;
}
