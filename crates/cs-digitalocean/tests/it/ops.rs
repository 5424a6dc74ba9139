//! Every operation of the client against the fake, end to end.

use cs_digitalocean::*;
use cs_fakes::digitalocean::FakeDigitalOcean;

use crate::support::{self, POLL, SSH_FINGERPRINT, SSH_KEY, WAIT};

async fn done(client: &DigitalOceanClient, action: &Action) -> Action {
    assert!(
        action.in_progress() || action.status == ActionStatus::Completed,
        "{action:?}"
    );
    let mut seen = Vec::new();
    let a = client
        .follow_action(action.id, POLL, WAIT, |a| seen.push(a.status.clone()))
        .await
        .unwrap_or_else(|e| panic!("{} action {}: {e}", action.kind, action.id));
    assert_eq!(a.status, ActionStatus::Completed);
    assert_eq!(
        seen.last(),
        Some(&ActionStatus::Completed),
        "progress is reported"
    );
    assert!(a.completed_at.is_some());
    a
}

/// Walks through every operation; used by the plain test and by the Prism fidelity test.
pub async fn full_tour(client: &DigitalOceanClient, fake: &FakeDigitalOcean) {
    // Account and token.
    let account = client.account().await.expect("account");
    assert_eq!(account.email, "reseller@example.com");
    assert_eq!(account.status, AccountStatus::Active);
    assert!(account.droplet_limit >= 25);
    assert_eq!(
        client.check_write_access().await.expect("write check"),
        WriteAccess::Granted
    );
    assert_eq!(fake.droplet_count(), 0, "the write check creates nothing");
    let budget = client.rate_limit().expect("ratelimit headers are read");
    assert!(budget.remaining < budget.limit);

    // Catalogue.
    let regions = client.list_regions().await.expect("regions");
    assert!(regions.iter().any(|r| r.slug == "nyc3" && r.available));
    assert!(regions.iter().any(|r| r.slug == "nyc1" && !r.available));
    let sizes = client.list_sizes().await.expect("sizes");
    let small = sizes
        .iter()
        .find(|s| s.slug == "s-1vcpu-1gb")
        .expect("size listed");
    assert_eq!(
        small.price_hourly,
        Micros(8_930),
        "0.00893 USD/h, not its float32 digits"
    );
    assert_eq!(small.price_monthly, Micros(6_000_000));
    assert_eq!(small.transfer, Micros(1_000_000), "1 TB");
    assert!(sizes
        .iter()
        .any(|s| s.slug == "g-2vcpu-8gb" && !s.regions.contains(&"sgp1".to_owned())));
    let distributions = client
        .list_images(ImageList::Distribution)
        .await
        .expect("images");
    assert!(distributions.iter().all(|i| i.kind == "base"));
    assert!(distributions
        .iter()
        .any(|i| i.slug.as_deref() == Some("debian-12-x64")));
    let apps = client
        .list_images(ImageList::Application)
        .await
        .expect("apps");
    assert!(apps
        .iter()
        .any(|i| i.slug.as_deref() == Some("wordpress-24-04")));
    let debian = client
        .get_image("debian-12-x64")
        .await
        .expect("image by slug");
    let again = client
        .get_image(&debian.id.to_string())
        .await
        .expect("image by id");
    assert_eq!(again.slug, debian.slug);

    // SSH keys: added once, found by fingerprint the second time.
    let key = client.ensure_ssh_key(SSH_KEY).await.expect("key added");
    assert_eq!(key.fingerprint, SSH_FINGERPRINT);
    let same = client.ensure_ssh_key(SSH_KEY).await.expect("key found");
    assert_eq!(same.id, key.id);
    assert!(client
        .list_ssh_keys()
        .await
        .unwrap()
        .iter()
        .any(|k| k.id == key.id));
    assert_eq!(
        client
            .get_ssh_key(&key.id.to_string())
            .await
            .unwrap()
            .fingerprint,
        SSH_FINGERPRINT
    );

    // A firewall to put the Droplet behind.
    let fw = client
        .create_firewall(&FirewallRequest {
            name: "tour-fw".into(),
            inbound_rules: vec![InboundRule {
                protocol: Protocol::Tcp,
                ports: "22".into(),
                sources: RuleTarget {
                    addresses: vec!["0.0.0.0/0".into(), "::/0".into()],
                    ..Default::default()
                },
            }],
            outbound_rules: vec![OutboundRule {
                protocol: Protocol::Icmp,
                ports: "0".into(),
                destinations: RuleTarget {
                    addresses: vec!["0.0.0.0/0".into()],
                    ..Default::default()
                },
            }],
            droplet_ids: vec![],
            tags: vec![],
        })
        .await
        .expect("create firewall");
    assert_eq!(client.get_firewall(&fw.id).await.unwrap().name, "tour-fw");

    // Create with everything: SSH key, root password through cloud-init, tags, weekly
    // backups, monitoring, IPv6, the default VPC.
    let mut req = CreateDroplet::new(
        "tour-web-1",
        "nyc3",
        "s-1vcpu-1gb",
        ImageRef::parse("debian-12-x64"),
    );
    req.ssh_keys = vec![SshKeyRef::Fingerprint(key.fingerprint.clone())];
    req.user_data =
        userdata::build(Some("#!/bin/sh\necho hello\n"), Some("Tour-Pass-2024!")).unwrap();
    req.tags = vec!["cs-tour".into(), "customer:42".into()];
    req.backups = true;
    req.backup_policy = Some(BackupPolicy::weekly());
    req.monitoring = true;
    req.ipv6 = true;
    let created = client.create_droplet(&req).await.expect("create Droplet");
    assert_eq!(created.droplet.status, DropletStatus::New);
    assert!(
        created.droplet.public_ipv4().is_none(),
        "addresses come with `active`"
    );
    let id = created.droplet.id;
    let create_action = client
        .get_action(created.action_id.expect("create action linked"))
        .await
        .unwrap();
    done(client, &create_action).await;
    let d = client.get_droplet(id).await.expect("get Droplet");
    assert_eq!(d.status, DropletStatus::Active);
    assert!(d.public_ipv4().is_some() && d.private_ipv4().is_some() && d.public_ipv6().is_some());
    assert!(d.backups_enabled());
    assert_eq!(
        d.reverse_dns(),
        None,
        "a name without a dot publishes no PTR"
    );
    assert!(d.vpc_uuid.is_some());
    assert_eq!(fake.droplet_ssh_keys(id), vec![SSH_FINGERPRINT.to_owned()]);
    let user_data = fake.droplet_user_data(id).expect("user data sent");
    assert!(user_data.contains("chpasswd") && user_data.contains("Tour-Pass-2024!"));

    // Lookups.
    let tagged = client.list_droplets_by_tag("cs-tour").await.unwrap();
    assert_eq!(tagged.iter().map(|d| d.id).collect::<Vec<_>>(), vec![id]);
    assert_eq!(
        client
            .list_droplets_by_name("TOUR-WEB-1")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        client
            .find_droplet("tour-web-1", &req.tags)
            .await
            .unwrap()
            .map(|d| d.id),
        Some(id)
    );
    assert!(client
        .find_droplet("tour-web-1", &["other".into()])
        .await
        .unwrap()
        .is_none());
    assert!(client
        .list_droplets()
        .await
        .unwrap()
        .iter()
        .any(|d| d.id == id));
    let page = client.list_droplets_page(1).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.next, None);

    // Firewall membership and a full update.
    client
        .add_droplets_to_firewall(&fw.id, &[id])
        .await
        .expect("add Droplet");
    let listed = client.list_firewalls().await.unwrap();
    assert_eq!(
        listed.iter().find(|f| f.id == fw.id).unwrap().droplet_ids,
        vec![id]
    );
    let mut update = FirewallRequest {
        name: "tour-fw".into(),
        inbound_rules: fw.inbound_rules.clone(),
        outbound_rules: vec![],
        droplet_ids: vec![id],
        tags: vec![],
    };
    update.inbound_rules.push(InboundRule {
        protocol: Protocol::Tcp,
        ports: "8000-9000".into(),
        sources: RuleTarget {
            addresses: vec!["192.0.2.0/24".into()],
            ..Default::default()
        },
    });
    let updated = client
        .update_firewall(&fw.id, &update)
        .await
        .expect("update firewall");
    assert_eq!(updated.inbound_rules.len(), 2);
    assert_eq!(updated.droplet_ids, vec![id]);

    // Droplet actions, each followed to completion.
    done(client, &client.reboot(id).await.expect("reboot")).await;
    done(client, &client.shutdown(id).await.expect("shutdown")).await;
    assert_eq!(
        client.get_droplet(id).await.unwrap().status,
        DropletStatus::Off
    );
    done(
        client,
        &client
            .resize(id, "s-1vcpu-2gb", false)
            .await
            .expect("resize CPU and RAM"),
    )
    .await;
    let d = client.get_droplet(id).await.unwrap();
    assert_eq!(
        (d.size_slug.as_str(), d.disk),
        ("s-1vcpu-2gb", 25),
        "the disk stays"
    );
    done(
        client,
        &client
            .resize(id, "s-2vcpu-4gb", true)
            .await
            .expect("resize with disk"),
    )
    .await;
    assert_eq!(client.get_droplet(id).await.unwrap().disk, 80);
    done(client, &client.power_on(id).await.expect("power on")).await;
    done(client, &client.power_off(id).await.expect("power off")).await;
    done(client, &client.power_on(id).await.expect("power on again")).await;
    done(
        client,
        &client
            .droplet_action(id, &DropletAction::PowerCycle)
            .await
            .expect("power cycle"),
    )
    .await;
    done(
        client,
        &client
            .rebuild(id, ImageRef::parse("ubuntu-24-04-x64"))
            .await
            .expect("rebuild"),
    )
    .await;
    assert_eq!(
        client.get_droplet(id).await.unwrap().image.slug.as_deref(),
        Some("ubuntu-24-04-x64")
    );
    done(
        client,
        &client.password_reset(id).await.expect("password reset"),
    )
    .await;

    // Snapshots and backups.
    done(
        client,
        &client.snapshot(id, "tour-snap").await.expect("snapshot"),
    )
    .await;
    let snaps = client.list_droplet_snapshots(id).await.unwrap();
    assert_eq!(snaps.len(), 1);
    assert_eq!(
        (snaps[0].name.as_str(), snaps[0].kind.as_str()),
        ("tour-snap", "snapshot")
    );
    done(
        client,
        &client.disable_backups(id).await.expect("disable backups"),
    )
    .await;
    assert!(!client.get_droplet(id).await.unwrap().backups_enabled());
    done(
        client,
        &client
            .enable_backups(id, Some(BackupPolicy::weekly()))
            .await
            .expect("enable backups"),
    )
    .await;
    assert_eq!(fake.run_nightly_backups(), 1);
    let backups = client.list_droplet_backups(id).await.unwrap();
    assert_eq!(backups.len(), 1);
    assert_eq!(backups[0].kind, "backup");
    done(
        client,
        &client.restore(id, backups[0].id).await.expect("restore"),
    )
    .await;
    let all_snaps = client.list_snapshots().await.unwrap();
    let snap = all_snaps
        .iter()
        .find(|s| s.name == "tour-snap")
        .expect("listed account-wide");
    assert_eq!(snap.resource_id, id.to_string());
    assert_eq!(
        client.get_snapshot(&snap.id).await.unwrap().name,
        "tour-snap"
    );
    client
        .delete_snapshot(&snap.id)
        .await
        .expect("delete snapshot");
    assert!(client.list_droplet_snapshots(id).await.unwrap().is_empty());

    // Reverse DNS follows the name.
    done(
        client,
        &client.rename(id, "web1.example.com").await.expect("rename"),
    )
    .await;
    assert_eq!(
        client
            .get_droplet(id)
            .await
            .unwrap()
            .reverse_dns()
            .as_deref(),
        Some("web1.example.com")
    );

    // The action feed.
    let newest = client.list_actions_page(1).await.unwrap();
    assert!(
        newest.items.windows(2).all(|w| w[0].id > w[1].id),
        "newest first"
    );
    let cutoff = newest.items[3].id;
    let after = client.list_actions_after(cutoff).await.unwrap();
    assert_eq!(after.len(), 3);
    let mine = client.list_droplet_actions_page(id, 1).await.unwrap();
    assert!(mine.total >= 15);
    assert!(mine.items.iter().all(|a| a.resource_id == Some(id)));

    // Reserved IPs: assigned at creation, unassigned and assigned again, and one reserved
    // to a region.
    let rip = client
        .create_reserved_ip(&NewReservedIp::Droplet(id))
        .await
        .expect("reserved IP");
    assert_eq!(rip.droplet.as_ref().map(|d| d.id), Some(id));
    let one = client.get_reserved_ip(&rip.ip).await.unwrap();
    assert_eq!(one.region.slug, "nyc3");
    while client.get_reserved_ip(&rip.ip).await.unwrap().locked {
        tokio::time::sleep(POLL).await;
    }
    done(
        client,
        &client
            .unassign_reserved_ip(&rip.ip)
            .await
            .expect("unassign"),
    )
    .await;
    assert!(client
        .get_reserved_ip(&rip.ip)
        .await
        .unwrap()
        .droplet
        .is_none());
    done(
        client,
        &client
            .assign_reserved_ip(&rip.ip, id)
            .await
            .expect("assign"),
    )
    .await;
    assert!(client
        .list_reserved_ips()
        .await
        .unwrap()
        .iter()
        .any(|r| r.ip == rip.ip && r.droplet.as_ref().is_some_and(|d| d.id == id)));
    let spare = client
        .create_reserved_ip(&NewReservedIp::Region("fra1".into()))
        .await
        .expect("regional reserved IP");
    assert!(spare.droplet.is_none());
    client
        .delete_reserved_ip(&spare.ip)
        .await
        .expect("delete reserved IP");

    // Monitoring: a Droplet with two hours of history.
    fake.backdate_droplet(id, std::time::Duration::from_secs(2 * 3600));
    let end = chrono::Utc::now().timestamp();
    let start = end - 3600;
    let cpu = client.droplet_cpu(id, start, end).await.expect("cpu");
    assert!(cpu
        .iter()
        .any(|s| s.labels.get("mode").map(String::as_str) == Some("idle")));
    assert!(cpu.iter().all(|s| !s.points.is_empty()));
    let bw = client
        .droplet_bandwidth(id, Interface::Public, Direction::Outbound, start, end)
        .await
        .expect("bandwidth");
    assert!(bw[0].points.iter().all(|p| p.value > 0.0));
    let free = client
        .droplet_filesystem_free(id, start, end)
        .await
        .expect("filesystem free");
    let size = client
        .droplet_filesystem_size(id, start, end)
        .await
        .expect("filesystem size");
    assert!(free[0].points[0].value < size[0].points[0].value);

    // Cleanup.
    client
        .remove_droplets_from_firewall(&fw.id, &[id])
        .await
        .expect("remove Droplet");
    assert!(client
        .get_firewall(&fw.id)
        .await
        .unwrap()
        .droplet_ids
        .is_empty());
    client
        .delete_firewall(&fw.id)
        .await
        .expect("delete firewall");
    client.delete_droplet(id).await.expect("delete Droplet");
    assert!(matches!(
        client.get_droplet(id).await,
        Err(DigitalOceanError::NotFound { .. })
    ));
    client
        .delete_ssh_key(SSH_FINGERPRINT)
        .await
        .expect("delete key");
    client
        .delete_reserved_ip(&rip.ip)
        .await
        .expect("delete reserved IP");
    let destroy = client.list_actions_page(1).await.unwrap();
    assert!(destroy
        .items
        .iter()
        .any(|a| a.kind == "destroy" && a.resource_id == Some(id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_against_the_fake() {
    let h = support::start().await;
    full_tour(&h.client, &h.fake).await;
    h.fake.shutdown().await;
}
