//! The DigitalOcean provider behind the `cs_provider::Provider` trait, against the fake.

use std::time::Duration;

use cs_digitalocean::*;
use cs_fakes::digitalocean::{FakeDigitalOcean, READ_ONLY};
use cs_provider as p;
use cs_provider::{InstanceStatus, NoteTopic, Provider, ProviderError, ReverseDns};

use crate::support::{self, SSH_FINGERPRINT, SSH_KEY};

async fn connected(
    fake: &FakeDigitalOcean,
    token: &str,
) -> Result<(DigitalOceanProvider, AccountSummary), ProviderError> {
    DigitalOceanProvider::connect_with(support::test_config(&fake.api_url(), token)).await
}

fn request(label: &str) -> p::CreateInstance {
    p::CreateInstance {
        label: label.into(),
        region: "nyc3".into(),
        instance_type: "s-1vcpu-1gb".into(),
        image: "debian-12-x64".into(),
        root_password: None,
        authorized_keys: vec![SSH_KEY.into()],
        stackscript_id: None,
        stackscript_data: vec![],
        user_data: None,
        firewall_id: None,
        tags: vec![format!("cs-{}", label.replace('.', "-"))],
        backups_enabled: false,
    }
}

/// Waits for the server's backups to be switched `on` or off (an action).
async fn backups_become(p: &DigitalOceanProvider, id: &str, on: bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while p.get_instance(id).await.expect("get").backups_enabled != on {
        assert!(
            tokio::time::Instant::now() < deadline,
            "backups of {id} never became {on}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn until(p: &DigitalOceanProvider, id: &str, want: InstanceStatus) -> p::Instance {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let i = p.get_instance(id).await.expect("get");
        if i.status == want {
            return i;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{id} stuck in {:?}, wanted {want:?}",
            i.status
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn connecting_checks_the_account_and_refuses_read_only_tokens_and_locked_accounts() {
    let h = support::start().await;
    let (_, summary) = connected(&h.fake, &h.token).await.expect("connects");
    assert_eq!(summary.email, "reseller@example.com");
    assert_eq!(summary.status, "active");
    assert_eq!(summary.droplet_limit, 100);
    assert_eq!(summary.team.as_deref(), Some("Reseller team"));
    assert_eq!(h.fake.droplet_count(), 0);

    let ro = h.fake.create_token(READ_ONLY);
    match connected(&h.fake, &ro).await {
        Err(ProviderError::Auth(m)) => {
            assert!(m.contains("read-only") && m.contains("Full Access"), "{m}");
            assert!(!m.contains(&ro));
        }
        other => panic!("{other:?}"),
    }
    match connected(&h.fake, "dop_v1_wrong").await {
        Err(ProviderError::Auth(m)) => assert!(m.contains("invalid, expired or revoked"), "{m}"),
        other => panic!("{other:?}"),
    }
    h.fake
        .set_account_status("warning", "Your card was declined.");
    let (_, summary) = connected(&h.fake, &h.token)
        .await
        .expect("a warning still connects");
    assert_eq!(
        (summary.status.as_str(), summary.status_message.as_str()),
        ("warning", "Your card was declined.")
    );
    h.fake.set_account_status("locked", "Payment overdue.");
    match connected(&h.fake, &h.token).await {
        Err(ProviderError::Auth(m)) => assert!(m.contains("is locked (Payment overdue)"), "{m}"),
        other => panic!("{other:?}"),
    }
    h.fake.shutdown().await;
}

#[tokio::test]
async fn the_catalogue_has_exact_prices_countries_and_both_kinds_of_images() {
    let h = support::start().await;
    let p = DigitalOceanProvider::new(h.client.clone());
    let regions = p.regions().await.unwrap();
    let fra = regions.iter().find(|r| r.id == "fra1").unwrap();
    assert_eq!((fra.country.as_str(), fra.available), ("de", true));
    assert!(!regions.iter().find(|r| r.id == "nyc1").unwrap().available);
    let types = p.instance_types().await.unwrap();
    let t = types.iter().find(|t| t.id == "s-1vcpu-1gb").unwrap();
    assert_eq!(
        t.price,
        p::Price {
            monthly_minor: 600,
            hourly_micros: 8_930
        }
    );
    assert_eq!(
        t.backups_price,
        p::Price {
            monthly_minor: 120,
            hourly_micros: 1_786
        },
        "weekly backups: 20 %"
    );
    assert_eq!(
        (t.vcpus, t.memory_mb, t.disk_mb, t.transfer_gb),
        (1, 1024, 25 * 1024, 1000)
    );
    assert_eq!(t.currency, "USD");
    assert_eq!(t.label, "Basic 1 GB / 1 vCPU / 25 GB");
    assert!(t.region_prices.is_empty(), "one price in every region");
    let half = types.iter().find(|t| t.id == "s-1vcpu-512mb-10gb").unwrap();
    assert_eq!((half.price.hourly_micros, half.transfer_gb), (5_950, 500));
    let images = p.images().await.unwrap();
    let debian = images.iter().find(|i| i.id == "debian-12-x64").unwrap();
    assert_eq!(
        (debian.label.as_str(), debian.vendor.as_str()),
        ("Debian 12 x64", "Debian")
    );
    assert!(images
        .iter()
        .any(|i| i.id == "wordpress-24-04" && i.label == "WordPress 6.6 on Ubuntu 24.04"));
    assert!(
        p.stackscripts().await.unwrap().is_empty(),
        "DigitalOcean has none"
    );
    h.fake.shutdown().await;
}

#[tokio::test]
async fn capabilities_say_where_digitalocean_differs() {
    let h = support::start().await;
    let p = DigitalOceanProvider::new(h.client.clone());
    let c = p.capabilities();
    assert_eq!(c.reverse_dns, ReverseDns::FromServerName);
    assert_eq!(c.extra_ipv4_max, Some(1));
    assert!(
        !c.stackscripts && !c.rescue && !c.set_root_password && !c.transfer && !c.resize_running
    );
    assert!(c.disk_usage_stats && !c.disk_io_stats && !c.snapshots_need_backups);
    assert!(c
        .notes_on(NoteTopic::Network)
        .any(|n| n.contains("server's name")));
    assert!(c.notes_on(NoteTopic::Stats).any(|n| n.contains("transfer")));
    for topic in [
        NoteTopic::Account,
        NoteTopic::Catalogue,
        NoteTopic::Create,
        NoteTopic::Lifecycle,
        NoteTopic::Backups,
        NoteTopic::Firewalls,
    ] {
        assert!(c.notes_on(topic).count() > 0, "{topic:?}");
    }
    assert!(c.notes.iter().all(|n| !n.text.ends_with('.')));
    // The methods behind the `false`s say so rather than pretend.
    for err in [
        p.rescue("1").await.unwrap_err(),
        p.reset_root_password("1", &p::Secret::new("Pass-word-1"))
            .await
            .unwrap_err(),
        p.set_reverse_dns("203.0.113.2", Some("a.example.com"))
            .await
            .unwrap_err(),
        p.transfer("1").await.unwrap_err(),
        p.restore_backup("1", "2", "3").await.unwrap_err(),
    ] {
        assert!(matches!(err, ProviderError::Unsupported(_)), "{err:?}");
    }
    let mut with_script = request("script-1");
    with_script.stackscript_id = Some("7".into());
    assert!(matches!(
        p.create_instance(&with_script).await,
        Err(ProviderError::Unsupported(_))
    ));
    assert!(
        h.fake.requests().is_empty(),
        "nothing was sent for any of them"
    );
    h.fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_servers_life_through_the_trait() {
    let mut cfg = support::fast_config();
    // Long enough that the state in the middle of an action is still there
    // when the test reads it on a loaded 2-core CI machine (80 ms was not).
    cfg.step = Duration::from_secs(1);
    let h = support::start_with(cfg).await;
    let p = DigitalOceanProvider::new(h.client.clone());

    // A firewall to join at creation.
    let fw = p
        .create_firewall(&p::NewFirewall {
            label: "web".into(),
            rules: p::FirewallRules {
                inbound_policy: "DROP".into(),
                outbound_policy: "ACCEPT".into(),
                inbound: vec![p::FirewallRule {
                    label: "ssh".into(),
                    action: "ACCEPT".into(),
                    protocol: "TCP".into(),
                    ports: "22".into(),
                    addresses: vec!["0.0.0.0/0".into(), "::/0".into()],
                }],
                outbound: vec![],
            },
        })
        .await
        .expect("firewall");
    assert_eq!(fw.rules.outbound_policy, "ACCEPT");

    // Create with a root password, user data, an SSH key and the firewall.
    let mut req = request("mail.example.com");
    req.root_password = Some(p::Secret::new("Life-Pass-2024"));
    req.user_data = Some("#cloud-config\npackages: [nginx]\n".into());
    req.firewall_id = Some(fw.id.clone());
    req.backups_enabled = true;
    let created = p.create_instance(&req).await.expect("create");
    assert_eq!(created.status, InstanceStatus::Provisioning);
    let id = created.id.clone();
    let n: u64 = id.parse().unwrap();
    let running = until(&p, &id, InstanceStatus::Running).await;
    assert!(running.backups_enabled && running.ipv6.is_some());
    assert_eq!(running.ipv4.len(), 2, "public first, then private");
    assert_eq!(h.fake.droplet_ssh_keys(n), vec![SSH_FINGERPRINT.to_owned()]);
    let ud = h.fake.droplet_user_data(n).unwrap();
    assert!(
        ud.contains("multipart/mixed")
            && ud.contains("packages: [nginx]")
            && ud.contains("Life-Pass-2024")
    );
    assert_eq!(
        p.firewalls().await.unwrap()[0].instance_ids,
        vec![id.clone()]
    );
    assert_eq!(
        p.find_instance_by_label("mail.example.com")
            .await
            .unwrap()
            .map(|i| i.id),
        Some(id.clone())
    );
    assert!(p.find_instance_by_label("nobody").await.unwrap().is_none());

    // Addresses: the name is the reverse DNS of the server's own public addresses.
    let ips = p.ips(&id).await.unwrap();
    let public: Vec<_> = ips.iter().filter(|i| i.public).collect();
    assert_eq!(public.len(), 2, "IPv4 and IPv6");
    assert!(public
        .iter()
        .all(|i| i.rdns.as_deref() == Some("mail.example.com")));
    assert!(ips
        .iter()
        .any(|i| !i.public && i.rdns.is_none() && i.prefix == 20));
    let extra = p.allocate_ipv4(&id).await.expect("reserved IP");
    assert!(p
        .ips(&id)
        .await
        .unwrap()
        .iter()
        .any(|i| i.address == extra.address && i.rdns.is_none()));
    match p.allocate_ipv4(&id).await {
        Err(ProviderError::Validation { message, .. }) => {
            assert!(message.contains("already has a reserved IP"), "{message}")
        }
        other => panic!("{other:?}"),
    }

    // Shut down, resize (refused while running, with what to do), boot.
    match p.resize(&id, "s-2vcpu-4gb").await {
        Err(ProviderError::Validation { field, message }) => {
            assert_eq!(field, "status");
            assert!(message.contains("shut the server down"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    p.shutdown(&id).await.unwrap();
    assert_eq!(
        p.get_instance(&id).await.unwrap().status,
        InstanceStatus::ShuttingDown
    );
    until(&p, &id, InstanceStatus::Offline).await;
    p.resize(&id, "s-2vcpu-4gb").await.unwrap();
    assert_eq!(
        p.get_instance(&id).await.unwrap().status,
        InstanceStatus::Resizing
    );
    let resized = until(&p, &id, InstanceStatus::Offline).await;
    assert_eq!(resized.instance_type, "s-2vcpu-4gb");
    assert_eq!(
        h.client.get_droplet(n).await.unwrap().disk,
        80,
        "the disk grew with the plan"
    );
    p.boot(&id).await.unwrap();
    assert_eq!(
        p.get_instance(&id).await.unwrap().status,
        InstanceStatus::Booting
    );
    until(&p, &id, InstanceStatus::Running).await;
    p.reboot(&id).await.unwrap();
    assert_eq!(
        p.get_instance(&id).await.unwrap().status,
        InstanceStatus::Rebooting
    );
    until(&p, &id, InstanceStatus::Running).await;
    let again = p.boot(&id).await.unwrap_err();
    assert!(
        matches!(&again, ProviderError::Validation { message, .. } if message.contains("already powered on")),
        "{again:?}"
    );

    // Rebuild: an image, no new credentials.
    let with_pass = p::Rebuild {
        image: "ubuntu-24-04-x64".into(),
        root_password: Some(p::Secret::new("x")),
        authorized_keys: vec![],
    };
    assert!(matches!(
        p.rebuild(&id, &with_pass).await,
        Err(ProviderError::Unsupported(_))
    ));
    p.rebuild(
        &id,
        &p::Rebuild {
            image: "ubuntu-24-04-x64".into(),
            root_password: None,
            authorized_keys: vec![],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        p.get_instance(&id).await.unwrap().status,
        InstanceStatus::Rebuilding
    );
    assert_eq!(
        until(&p, &id, InstanceStatus::Running).await.image,
        "ubuntu-24-04-x64"
    );

    // Snapshots (pending, then listed), backups, restores.
    let snap = p.take_snapshot(&id, "before-upgrade").await.unwrap();
    assert_eq!(
        (snap.kind.as_str(), snap.status.as_str()),
        ("snapshot", "pending")
    );
    assert!(snap.id.starts_with("action-"));
    assert!(p
        .list_backups(&id)
        .await
        .unwrap()
        .iter()
        .any(|b| b.id == snap.id));
    assert!(matches!(
        p.restore_backup(&id, &snap.id, &id).await,
        Err(ProviderError::Validation { .. })
    ));
    // The snapshot action runs its course.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !p
        .list_backups(&id)
        .await
        .unwrap()
        .iter()
        .any(|b| b.kind == "snapshot" && b.status == "successful")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the snapshot never finished"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    h.fake.run_nightly_backups();
    let backups = p.list_backups(&id).await.unwrap();
    let taken = backups
        .iter()
        .find(|b| b.kind == "snapshot")
        .expect("snapshot listed");
    assert_eq!(
        (taken.label.as_deref(), taken.status.as_str()),
        (Some("before-upgrade"), "successful")
    );
    let auto = backups
        .iter()
        .find(|b| b.kind == "auto")
        .expect("backup listed");
    assert_eq!(backups.len(), 2, "the pending entry is gone: {backups:?}");
    p.restore_backup(&id, &auto.id, &id)
        .await
        .expect("restore a backup");
    assert_eq!(
        p.get_instance(&id).await.unwrap().status,
        InstanceStatus::Restoring
    );
    until(&p, &id, InstanceStatus::Running).await;
    p.restore_backup(&id, &taken.id, &id)
        .await
        .expect("restore a snapshot (a rebuild from it)");
    assert_eq!(
        p.get_instance(&id).await.unwrap().status,
        InstanceStatus::Rebuilding
    );
    until(&p, &id, InstanceStatus::Running).await;
    p.cancel_backups(&id).await.unwrap();
    backups_become(&p, &id, false).await;
    // The server takes one action at a time: the switch back waits for the
    // first to finish.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match p.enable_backups(&id).await {
            Ok(_) => break,
            Err(ProviderError::Busy) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("enabling backups: {e:?}"),
        }
    }
    backups_become(&p, &id, true).await;

    // Firewall rules replaced, membership kept.
    let mut rules = fw.rules.clone();
    rules.inbound.push(p::FirewallRule {
        label: String::new(),
        action: "ACCEPT".into(),
        protocol: "TCP".into(),
        ports: "80, 443".into(),
        addresses: vec!["0.0.0.0/0".into()],
    });
    let updated = p.set_firewall_rules(&fw.id, &rules).await.unwrap();
    assert_eq!(updated.rules.inbound.len(), 3);
    assert_eq!(updated.instance_ids, vec![id.clone()]);
    p.attach_firewall(&fw.id, &id)
        .await
        .expect("attaching again is fine");
    let mut deny = rules.clone();
    deny.inbound[0].action = "DROP".into();
    assert!(matches!(
        p.set_firewall_rules(&fw.id, &deny).await,
        Err(ProviderError::Validation { .. })
    ));

    // Graphs of a day.
    h.fake.backdate_droplet(n, Duration::from_secs(86_400));
    let stats = p.stats(&id).await.unwrap();
    assert!(!stats.cpu_percent.is_empty());
    assert!(
        stats
            .cpu_percent
            .iter()
            .all(|s| s.value > 0.0 && s.value < 100.0),
        "{:?}",
        stats.cpu_percent
    );
    assert!(stats
        .network_out_bits_per_s
        .iter()
        .all(|s| s.value > 100_000.0));
    assert!(!stats.network_in_bits_per_s.is_empty());
    assert!(
        stats.disk_io_blocks_per_s.is_empty(),
        "not measured by DigitalOcean"
    );
    assert!(stats
        .disk_used_percent
        .iter()
        .all(|s| s.value > 0.0 && s.value < 100.0));
    assert!(!stats.disk_used_percent.is_empty());

    // Events, in the trait's vocabulary, oldest first.
    let events = p.events(None).await.unwrap();
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));
    let names: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for want in [
        "linode_create",
        "linode_shutdown",
        "linode_resize",
        "linode_boot",
        "linode_reboot",
        "linode_rebuild",
        "backups_cancel",
        "backups_enable",
        "backups_restore",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    assert!(events
        .iter()
        .filter(|e| e.action == "linode_create")
        .all(|e| e.entity_id.as_deref() == Some(id.as_str()) && e.status == "finished"));
    let last = events.last().unwrap().id;
    assert!(p.events(Some(last)).await.unwrap().is_empty());

    p.delete(&id).await.unwrap();
    assert!(matches!(
        p.get_instance(&id).await,
        Err(ProviderError::NotFound(_))
    ));
    assert!(matches!(
        p.get_instance("not-a-number").await,
        Err(ProviderError::NotFound(_))
    ));
    h.fake.shutdown().await;
}

#[tokio::test]
async fn changes_made_in_digitaloceans_console_are_seen() {
    let h = support::start().await;
    let p = DigitalOceanProvider::new(h.client.clone());
    let ids = h.fake.seed_droplets(3, "nyc3", "s-1vcpu-1gb");
    let cursor = p.events(None).await.unwrap().last().map_or(0, |e| e.id);
    assert!(h.fake.console_delete(ids[0]));
    assert!(h.fake.console_resize(ids[1], "s-2vcpu-4gb"));
    assert!(h.fake.console_backups(ids[2], true));
    let events = p.events(Some(cursor)).await.unwrap();
    let seen: Vec<(String, Option<String>)> = events
        .iter()
        .map(|e| (e.action.clone(), e.entity_id.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("linode_delete".to_owned(), Some(ids[0].to_string())),
            ("linode_shutdown".to_owned(), Some(ids[1].to_string())),
            ("linode_resize".to_owned(), Some(ids[1].to_string())),
            ("backups_enable".to_owned(), Some(ids[2].to_string())),
        ]
    );
    assert!(matches!(
        p.get_instance(&ids[0].to_string()).await,
        Err(ProviderError::NotFound(_))
    ));
    let resized = p.get_instance(&ids[1].to_string()).await.unwrap();
    assert_eq!(
        (resized.instance_type.as_str(), resized.status),
        ("s-2vcpu-4gb", InstanceStatus::Offline)
    );
    assert!(
        p.get_instance(&ids[2].to_string())
            .await
            .unwrap()
            .backups_enabled
    );
    let listed = p.list_instances().await.unwrap();
    assert_eq!(listed.len(), 2);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn same_named_droplets_are_told_apart_by_the_create_tag_or_refused() {
    let h = support::start().await;
    let p = DigitalOceanProvider::new(h.client.clone());
    // Someone made a Droplet of the same name in the console.
    let mut theirs = CreateDroplet::new(
        "shop-1",
        "nyc3",
        "s-1vcpu-1gb",
        ImageRef::parse("debian-12-x64"),
    );
    theirs.tags = vec!["manual".into()];
    h.client.create_droplet(&theirs).await.unwrap();
    let mut req = request("shop-1");
    req.authorized_keys.clear();
    let ours = p.create_instance(&req).await.unwrap();
    assert_eq!(
        p.find_instance_by_label("shop-1")
            .await
            .unwrap()
            .map(|i| i.id),
        Some(ours.id.clone())
    );
    // A provider that did not create it cannot tell them apart, and says so.
    let other = DigitalOceanProvider::new(h.client.clone());
    match other.find_instance_by_label("shop-1").await {
        Err(ProviderError::Validation { field, message }) => {
            assert_eq!(field, "label");
            assert!(message.contains("2 Droplets are named shop-1"), "{message}");
        }
        x => panic!("{x:?}"),
    }
    h.fake.shutdown().await;
}
