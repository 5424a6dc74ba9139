//! `LinodeProvider` (the `cs_provider::Provider` adapter) against the fake, over real HTTP.

use std::time::Duration;

use cs_fakes::linode::{FaultKind, FaultRule};
use cs_linode::{ApiToken, LinodeProvider};
use cs_provider::{
    CreateInstance, FirewallRule, FirewallRules, InstanceStatus, NewFirewall, Provider,
    ProviderError, Rebuild, Secret,
};

use crate::support::{self, Harness};

const POLL: Duration = Duration::from_millis(15);

fn provider(h: &Harness) -> LinodeProvider {
    LinodeProvider::new(h.client.clone()).with_stackscript_filter(None)
}

fn provider_with(h: &Harness, f: impl FnOnce(&mut cs_linode::ClientConfig)) -> LinodeProvider {
    LinodeProvider::new(support::client_with(h, f))
}

fn request(label: &str) -> CreateInstance {
    CreateInstance {
        label: label.into(),
        region: "us-east".into(),
        instance_type: "g6-nanode-1".into(),
        image: "linode/debian12".into(),
        root_password: Some(Secret::new("Prov-Pass-1234")),
        authorized_keys: vec![],
        stackscript_id: None,
        stackscript_data: vec![],
        user_data: None,
        firewall_id: None,
        tags: vec![],
        backups_enabled: false,
    }
}

async fn wait_for(p: &LinodeProvider, id: &str, want: InstanceStatus) {
    for _ in 0..600 {
        if p.get_instance(id).await.expect("instance readable").status == want {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
    panic!("instance {id} never reached {}", want.as_str());
}

/// Polls `id` every few milliseconds until `until` (or gone), recording each new status.
async fn watch(
    p: &LinodeProvider,
    id: &str,
    seen: &mut Vec<InstanceStatus>,
    until: InstanceStatus,
) -> bool {
    for _ in 0..2000 {
        match p.get_instance(id).await {
            Ok(i) => {
                if seen.last() != Some(&i.status) {
                    seen.push(i.status);
                }
                if i.status == until {
                    return true;
                }
            }
            Err(ProviderError::NotFound(_)) => return false,
            Err(e) => panic!("unexpected {e}"),
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("instance {id} never reached {}: {seen:?}", until.as_str());
}

#[tokio::test]
async fn connect_checks_the_token_and_names_missing_scopes() {
    let h = support::start().await;
    let (p, summary) =
        LinodeProvider::connect(Some(h.fake.api_url()), ApiToken::new(h.token.clone()))
            .await
            .expect("full token connects");
    assert_eq!(summary.username, "reseller");
    assert!(summary.full_access);
    assert_eq!(summary.scopes, vec!["*".to_owned()]);
    assert_eq!(p.kind(), cs_core::ProviderKind::Linode);

    let limited = h
        .fake
        .create_token(&["linodes:read_write", "events:read_only"]);
    let err = LinodeProvider::connect(Some(h.fake.api_url()), ApiToken::new(limited.clone()))
        .await
        .expect_err("under-scoped");
    match &err {
        ProviderError::Auth(m) => assert!(
            m.contains("firewall:read_write") && m.contains("ips:read_write"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains(&limited));

    h.fake.revoke_token(&limited);
    let err = LinodeProvider::connect(Some(h.fake.api_url()), ApiToken::new(limited))
        .await
        .expect_err("revoked");
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("Settings → Providers")),
        "{err:?}"
    );
    let err = LinodeProvider::connect(Some(h.fake.api_url()), ApiToken::new("  "))
        .await
        .expect_err("empty");
    assert!(matches!(err, ProviderError::Validation { .. }), "{err:?}");
    h.fake.shutdown().await;
}

#[tokio::test]
async fn catalogue_has_exact_prices_and_region_prices() {
    let h = support::start().await;
    let p = provider(&h);
    let regions = p.regions().await.unwrap();
    let jakarta = regions
        .iter()
        .find(|r| r.id == "id-cgk")
        .expect("id-cgk listed");
    assert_eq!(jakarta.country, "id");
    assert!(jakarta.available);

    let types = p.instance_types().await.unwrap();
    assert_eq!(types.len(), 5);
    let nanode = types.iter().find(|t| t.id == "g6-nanode-1").unwrap();
    assert_eq!(nanode.currency, "USD");
    assert_eq!(
        (
            nanode.vcpus,
            nanode.memory_mb,
            nanode.disk_mb,
            nanode.transfer_gb
        ),
        (1, 1024, 25600, 1000)
    );
    assert_eq!(
        nanode.price,
        cs_provider::Price {
            monthly_minor: 500,
            hourly_micros: 7_500
        }
    );
    assert_eq!(
        nanode.price_in("id-cgk"),
        cs_provider::Price {
            monthly_minor: 600,
            hourly_micros: 9_000
        }
    );
    assert_eq!(
        nanode.price_in("br-gru"),
        cs_provider::Price {
            monthly_minor: 700,
            hourly_micros: 10_500
        }
    );
    assert_eq!(nanode.price_in("us-east"), nanode.price);
    assert_eq!(
        nanode.region_prices.len(),
        2,
        "only regions whose price differs"
    );
    assert_eq!(
        nanode.backups_price,
        cs_provider::Price {
            monthly_minor: 200,
            hourly_micros: 3_000
        }
    );
    let std1 = types.iter().find(|t| t.id == "g6-standard-1").unwrap();
    assert_eq!(
        std1.price_in("id-cgk").monthly_minor,
        1440,
        "14.4 USD is exactly 1440 cents"
    );
    assert_eq!(std1.backups_price.monthly_minor, 250);

    let images = p.images().await.unwrap();
    let debian = images.iter().find(|i| i.id == "linode/debian12").unwrap();
    assert_eq!(debian.vendor, "Debian");
    assert!(debian.cloud_init);
    assert!(
        images
            .iter()
            .find(|i| i.id == "linode/centos7")
            .unwrap()
            .deprecated
    );

    let scripts = p.stackscripts().await.unwrap();
    let web = scripts.iter().find(|s| s.label == "web-server").unwrap();
    assert_eq!(web.id, "10001");
    assert!(web.images.contains(&"linode/debian12".to_owned()));
    // The default filter lists only the reseller's own scripts: the fake's two
    // are the reseller's (`mine: true`), the ones the app offers.
    assert_eq!(
        LinodeProvider::new(h.client.clone())
            .stackscripts()
            .await
            .unwrap()
            .len(),
        2
    );
    let none = h
        .client
        .list_stackscripts(Some(r#"{"mine":false}"#.to_owned()))
        .await
        .unwrap();
    assert!(none.is_empty(), "the filter is applied");
    h.fake.shutdown().await;
}

#[tokio::test]
async fn lifecycle_walks_the_real_status_sequence() {
    let mut cfg = support::fast_config();
    cfg.step = Duration::from_millis(300);
    let h = support::start_with(cfg).await;
    let p = provider(&h);

    let created = p.create_instance(&request("life-1")).await.unwrap();
    assert_eq!(created.status, InstanceStatus::Provisioning);
    assert_eq!(created.label, "life-1");
    assert_eq!(created.instance_type, "g6-nanode-1");
    assert_eq!(created.image, "linode/debian12");
    assert_eq!(created.ipv4.len(), 1);
    let id = created.id.clone();

    let mut seen = vec![created.status];
    assert!(watch(&p, &id, &mut seen, InstanceStatus::Running).await);
    assert_eq!(
        seen,
        [
            InstanceStatus::Provisioning,
            InstanceStatus::Booting,
            InstanceStatus::Running
        ]
    );

    p.reboot(&id).await.unwrap();
    let mut seen = vec![];
    // Linode answers the reboot once it has started: the next read already says rebooting.
    watch(&p, &id, &mut seen, InstanceStatus::Rebooting).await;
    assert!(watch(&p, &id, &mut seen, InstanceStatus::Running).await);
    assert_eq!(seen, [InstanceStatus::Rebooting, InstanceStatus::Running]);

    p.shutdown(&id).await.unwrap();
    let mut seen = vec![];
    assert!(watch(&p, &id, &mut seen, InstanceStatus::Offline).await);
    assert_eq!(
        seen,
        [InstanceStatus::ShuttingDown, InstanceStatus::Offline]
    );

    p.boot(&id).await.unwrap();
    let mut seen = vec![];
    assert!(watch(&p, &id, &mut seen, InstanceStatus::Running).await);
    assert_eq!(seen, [InstanceStatus::Booting, InstanceStatus::Running]);

    let found = p
        .find_instance_by_label("life-1")
        .await
        .unwrap()
        .expect("found by label");
    assert_eq!(found.id, id);
    assert!(p.find_instance_by_label("life-2").await.unwrap().is_none());
    assert!(p.list_instances().await.unwrap().iter().any(|i| i.id == id));

    p.delete(&id).await.unwrap();
    let mut seen = vec![];
    assert!(
        !watch(&p, &id, &mut seen, InstanceStatus::Offline).await,
        "deleted instance disappears"
    );
    assert_eq!(seen, [InstanceStatus::Deleting]);
    assert!(matches!(
        p.get_instance(&id).await,
        Err(ProviderError::NotFound(_))
    ));
    assert!(matches!(p.boot(&id).await, Err(ProviderError::NotFound(_))));
    h.fake.shutdown().await;
}

#[tokio::test]
async fn every_other_operation_maps_through() {
    let h = support::start().await;
    let p = provider(&h);

    // A firewall to create the instance with.
    let rules = FirewallRules {
        inbound_policy: "DROP".into(),
        outbound_policy: "ACCEPT".into(),
        inbound: vec![FirewallRule {
            label: "allow-ssh".into(),
            action: "ACCEPT".into(),
            protocol: "TCP".into(),
            ports: "22".into(),
            addresses: vec!["0.0.0.0/0".into(), "::/0".into()],
        }],
        outbound: vec![],
    };
    let fw = p
        .create_firewall(&NewFirewall {
            label: "prov-fw".into(),
            rules: rules.clone(),
        })
        .await
        .unwrap();
    assert_eq!(fw.rules, rules);

    // Create with everything.
    let mut req = request("full-1");
    req.authorized_keys = vec![
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly000000000000000000000 t@cs".into(),
    ];
    req.stackscript_id = Some("10001".into());
    req.stackscript_data = vec![("hostname".into(), "web1".into())];
    req.user_data = Some("#cloud-config\npackage_update: true\n".into());
    req.firewall_id = Some(fw.id.clone());
    req.tags = vec!["customer-7".into()];
    req.backups_enabled = true;
    let i = p.create_instance(&req).await.unwrap();
    assert!(i.backups_enabled);
    assert_eq!(i.tags, vec!["customer-7".to_owned()]);
    let raw = h.client.get_instance(i.id.parse().unwrap()).await.unwrap();
    assert!(raw.has_user_data, "cloud-init user data reached Linode");
    let id = i.id.clone();
    wait_for(&p, &id, InstanceStatus::Running).await;
    let listed = p.firewalls().await.unwrap();
    let got = listed.iter().find(|f| f.id == fw.id).unwrap();
    assert_eq!(
        got.instance_ids,
        vec![id.clone()],
        "firewall attached at creation"
    );
    p.attach_firewall(&fw.id, &id)
        .await
        .expect("attaching twice is harmless");

    // Rules round trip.
    let mut more = rules.clone();
    more.inbound.push(FirewallRule {
        label: "ping".into(),
        action: "ACCEPT".into(),
        protocol: "ICMP".into(),
        ports: String::new(),
        addresses: vec!["0.0.0.0/0".into()],
    });
    let updated = p.set_firewall_rules(&fw.id, &more).await.unwrap();
    assert_eq!(updated.rules, more);
    assert_eq!(updated.instance_ids, vec![id.clone()]);
    let bad = FirewallRules {
        inbound_policy: "MAYBE".into(),
        ..more.clone()
    };
    assert!(
        matches!(p.set_firewall_rules(&fw.id, &bad).await, Err(ProviderError::Validation { field, .. }) if field == "inbound_policy")
    );

    // Resize, rebuild, rescue, password.
    p.resize(&id, "g6-standard-1").await.unwrap();
    wait_for(&p, &id, InstanceStatus::Running).await;
    assert_eq!(
        p.get_instance(&id).await.unwrap().instance_type,
        "g6-standard-1"
    );
    p.rebuild(
        &id,
        &Rebuild {
            image: "linode/ubuntu24.04".into(),
            root_password: Some(Secret::new("Rebuild-Pass-99")),
            authorized_keys: vec![],
        },
    )
    .await
    .unwrap();
    wait_for(&p, &id, InstanceStatus::Running).await;
    assert_eq!(
        p.get_instance(&id).await.unwrap().image,
        "linode/ubuntu24.04"
    );
    p.rescue(&id).await.unwrap();
    wait_for(&p, &id, InstanceStatus::Running).await;
    p.shutdown(&id).await.unwrap();
    wait_for(&p, &id, InstanceStatus::Offline).await;
    p.reset_root_password(&id, &Secret::new("Another-Pass-77"))
        .await
        .unwrap();
    p.boot(&id).await.unwrap();
    wait_for(&p, &id, InstanceStatus::Running).await;

    // Backups.
    let snap = p.take_snapshot(&id, "before-upgrade").await.unwrap();
    assert_eq!(snap.kind, "snapshot");
    assert_eq!(snap.label.as_deref(), Some("before-upgrade"));
    assert_eq!(h.fake.run_nightly_backups(), 1);
    let backups = p.list_backups(&id).await.unwrap();
    assert!(backups.iter().any(|b| b.kind == "auto"), "{backups:?}");
    assert!(
        backups
            .iter()
            .any(|b| b.id == snap.id && b.kind == "snapshot"),
        "{backups:?}"
    );
    let auto = backups
        .iter()
        .find(|b| b.kind == "auto")
        .unwrap()
        .id
        .clone();
    p.restore_backup(&id, &auto, &id).await.unwrap();
    wait_for(&p, &id, InstanceStatus::Offline).await;
    p.cancel_backups(&id).await.unwrap();
    assert!(!p.get_instance(&id).await.unwrap().backups_enabled);
    p.enable_backups(&id).await.unwrap();
    assert!(p.get_instance(&id).await.unwrap().backups_enabled);
    assert!(matches!(
        p.restore_backup(&id, "not-a-number", &id).await,
        Err(ProviderError::NotFound(_))
    ));

    // IPs and reverse DNS, found by address alone.
    let ips = p.ips(&id).await.unwrap();
    assert!(
        ips.iter()
            .any(|ip| ip.kind == "ipv4" && ip.public && ip.prefix == 24),
        "{ips:?}"
    );
    assert!(ips.iter().any(|ip| ip.kind == "ipv6"), "{ips:?}");
    let extra = p.allocate_ipv4(&id).await.unwrap();
    assert!(extra.public && extra.kind == "ipv4");
    assert_eq!(
        p.ips(&id)
            .await
            .unwrap()
            .iter()
            .filter(|ip| ip.kind == "ipv4" && ip.public)
            .count(),
        2
    );
    let err = p
        .set_reverse_dns(&extra.address, Some("web1.example.com"))
        .await
        .unwrap_err();
    match &err {
        ProviderError::Validation { field, message } => {
            assert_eq!(field, "rdns");
            assert!(
                message.contains("forward DNS record (A for IPv4, AAAA for IPv6)")
                    && message.contains("first"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    h.fake.add_forward_dns("web1.example.com", &extra.address);
    // A fresh provider has no memory of addresses: it finds the owner in the instance list.
    let fresh = provider(&h);
    let set = fresh
        .set_reverse_dns(&extra.address, Some("web1.example.com"))
        .await
        .unwrap();
    assert_eq!(set.rdns.as_deref(), Some("web1.example.com"));
    assert!(p
        .ips(&id)
        .await
        .unwrap()
        .iter()
        .any(|ip| ip.rdns.as_deref() == Some("web1.example.com")));
    let reset = p.set_reverse_dns(&extra.address, None).await.unwrap();
    assert_ne!(reset.rdns.as_deref(), Some("web1.example.com"));
    assert!(matches!(
        p.set_reverse_dns("198.51.100.200", Some("x.example.com"))
            .await,
        Err(ProviderError::NotFound(_))
    ));
    assert!(matches!(
        p.set_reverse_dns("not an ip", None).await,
        Err(ProviderError::Validation { .. })
    ));

    // Stats and transfer.
    let stats = p.stats(&id).await.unwrap();
    assert_eq!(stats.cpu_percent.len(), 288);
    assert_eq!(stats.network_in_bits_per_s.len(), 288);
    assert_eq!(stats.network_out_bits_per_s.len(), 288);
    assert_eq!(stats.disk_io_blocks_per_s.len(), 288);
    assert!(
        stats.cpu_percent.windows(2).all(|w| w[0].at < w[1].at),
        "samples in time order"
    );
    assert!(stats.network_out_bits_per_s.iter().any(|s| s.value > 0.0));
    let t = p.transfer(&id).await.unwrap();
    assert_eq!(t.quota_gb, 2000, "g6-standard-1 after the resize");
    h.fake.shutdown().await;
}

#[tokio::test]
async fn events_after_an_id_are_newer_and_oldest_first() {
    let h = support::start().await;
    let p = provider(&h);
    let i = p.create_instance(&request("ev-1")).await.unwrap();
    wait_for(&p, &i.id, InstanceStatus::Running).await;
    let all = p.events(None).await.unwrap();
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    let create = all
        .iter()
        .find(|e| e.action == "linode_create")
        .expect("create event");
    assert_eq!(create.entity_id.as_deref(), Some(i.id.as_str()));
    assert_eq!(create.status, "finished");
    let last = all.last().unwrap().id;
    assert!(p.events(Some(last)).await.unwrap().is_empty());

    p.shutdown(&i.id).await.unwrap();
    wait_for(&p, &i.id, InstanceStatus::Offline).await;
    p.boot(&i.id).await.unwrap();
    let newer = p.events(Some(last)).await.unwrap();
    let actions: Vec<&str> = newer.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["linode_shutdown", "linode_boot"]);
    assert!(newer
        .iter()
        .all(|e| e.id > last && e.entity_id.as_deref() == Some(i.id.as_str())));
    assert_eq!(newer[0].status, "finished");
    h.fake.shutdown().await;
}

#[tokio::test]
async fn errors_map_onto_each_provider_class() {
    let h = support::start().await;
    let p = provider(&h);
    let once = provider_with(&h, |c| c.retry.max_attempts = 1);

    // NotFound: a missing id, and an id that cannot be a Linode id.
    assert!(
        matches!(p.get_instance("424242").await, Err(ProviderError::NotFound(w)) if w == "Linode 424242")
    );
    assert!(matches!(
        p.get_instance("web-1").await,
        Err(ProviderError::NotFound(_))
    ));
    assert_eq!(
        h.fake.request_count("GET", "/linode/instances/web-1"),
        0,
        "never sent"
    );

    // Validation, with Linode's field.
    let mut bad = request("bad-1");
    bad.region = "mars-1".into();
    assert_eq!(
        p.create_instance(&bad).await.unwrap_err(),
        ProviderError::Validation {
            field: "region".into(),
            message: "region is not valid".into()
        }
    );
    let mut bad = request("bad-2");
    bad.firewall_id = Some("open".into());
    assert!(
        matches!(p.create_instance(&bad).await, Err(ProviderError::Validation { field, .. }) if field == "firewall_id")
    );

    // Busy.
    let i = p.create_instance(&request("err-1")).await.unwrap();
    wait_for(&p, &i.id, InstanceStatus::Running).await;
    let path = format!("/linode/instances/{}/reboot", i.id);
    h.fake
        .add_fault(FaultRule::new(FaultKind::Busy, "POST", &path).times(1));
    let err = once.reboot(&i.id).await.unwrap_err();
    assert_eq!(err, ProviderError::Busy);
    assert!(err.is_transient());

    // Rate limited, with the wait the caller should honour.
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
    assert_eq!(
        p.regions().await.unwrap_err(),
        ProviderError::RateLimited { retry_after_s: 600 }
    );

    // Server errors, timeouts and transport failures: unavailable.
    h.fake
        .add_fault(FaultRule::new(FaultKind::ServerError(503), "GET", "/linode/types").times(5));
    let err = provider_with(&h, |c| c.retry.max_attempts = 2)
        .instance_types()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Unavailable(m) if m.contains("503")),
        "{err:?}"
    );
    h.fake.clear_faults();
    h.fake.add_fault(
        FaultRule::new(
            FaultKind::Latency(Duration::from_millis(800)),
            "GET",
            "/images",
        )
        .times(2),
    );
    let slow = provider_with(&h, |c| {
        c.timeout = Duration::from_millis(150);
        c.retry.max_attempts = 2;
    });
    assert!(matches!(
        slow.images().await,
        Err(ProviderError::Unavailable(_))
    ));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut cfg = support::test_config(&format!("http://127.0.0.1:{port}/v4"), &h.token);
    cfg.retry.max_attempts = 1;
    let err = LinodeProvider::connect_with(cfg).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Unavailable(m) if m.contains("internet connection")),
        "{err:?}"
    );

    // Auth: a token without the scope, then a revoked token.
    let ro = h.fake.create_token(&["linodes:read_only"]);
    let ro_p = LinodeProvider::new(
        cs_linode::LinodeClient::new(support::test_config(&h.fake.api_url(), &ro)).unwrap(),
    );
    ro_p.list_instances().await.expect("reading is allowed");
    match ro_p.delete(&i.id).await.unwrap_err() {
        ProviderError::Auth(m) => assert!(m.contains("`linodes:read_write`"), "{m}"),
        other => panic!("{other:?}"),
    }
    h.fake.revoke_token(&h.token);
    let err = p.list_instances().await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("Settings → Providers")),
        "{err:?}"
    );
    assert!(!err.is_transient());
    assert!(!err.to_string().contains(&h.token));
    h.fake.shutdown().await;
}

#[tokio::test]
async fn a_create_under_dropped_connections_makes_exactly_one_instance() {
    let h = support::start().await;
    let p = provider(&h);
    // The first create is dropped before Linode applies it, the second after: the
    // lookup by label (itself hit by a dropped connection) finds the instance.
    h.fake.add_fault(
        FaultRule::new(FaultKind::DropBeforeApply, "POST", "/linode/instances").times(1),
    );
    h.fake
        .add_fault(FaultRule::new(FaultKind::DropAfterApply, "POST", "/linode/instances").times(2));
    h.fake
        .add_fault(FaultRule::new(FaultKind::DropBeforeApply, "GET", "/linode/instances").times(1));
    let i = p
        .create_instance(&request("drop-1"))
        .await
        .expect("create recovers");
    assert_eq!(i.label, "drop-1");
    assert_eq!(h.fake.instance_count(), 1, "exactly one instance");
    assert_eq!(h.fake.instance_labels(), vec!["drop-1".to_owned()]);
    let posts: Vec<Option<u16>> = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/linode/instances")
        .map(|r| r.status)
        .collect();
    assert!(
        posts.iter().all(Option::is_none),
        "every create answer was lost: {posts:?}"
    );

    // What the app does after a transient failure: look up by label before retrying.
    h.fake
        .add_fault(FaultRule::new(FaultKind::DropAfterApply, "POST", "/linode/instances").times(1));
    let once = provider_with(&h, |c| c.retry.max_attempts = 1);
    let again = match once.create_instance(&request("drop-2")).await {
        Ok(i) => i,
        Err(e) if e.is_transient() => once
            .find_instance_by_label("drop-2")
            .await
            .unwrap()
            .expect("found after the lost answer"),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(again.label, "drop-2");
    assert_eq!(h.fake.instance_count(), 2);
    assert!(
        once.create_instance(&request("drop-2")).await.is_err(),
        "a blind retry is refused: labels are unique"
    );
    assert_eq!(h.fake.instance_count(), 2);
    h.fake.shutdown().await;
}
