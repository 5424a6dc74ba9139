//! Every operation of the client against the fake, end to end.

use std::collections::BTreeMap;
use std::time::Duration;

use cs_fakes::linode::FakeLinode;
use cs_linode::*;

use crate::support;

const POLL: Duration = Duration::from_millis(15);
const WAIT: Duration = Duration::from_secs(10);

async fn wait(client: &LinodeClient, id: u64, want: InstanceStatus) -> Instance {
    let i = client
        .wait_for_status(id, &want, POLL, WAIT)
        .await
        .expect("instance can be read");
    assert_eq!(
        i.status,
        want,
        "instance {id} did not reach {}",
        want.as_str()
    );
    i
}

fn ssh_key() -> String {
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly000000000000000000000 test@cs"
        .to_owned()
}

/// Walks through every operation; used by the plain test and by the Prism fidelity test.
/// `direct` talks to the fake without any proxy; it is used only for the requests the
/// official spec cannot describe (see `fidelity.rs`): creating a firewall and `X-Filter`.
pub async fn full_tour(client: &LinodeClient, direct: &LinodeClient, fake: &FakeLinode) {
    // Profile and scopes.
    let profile = client.profile().await.expect("profile");
    assert_eq!(profile.username, "reseller");
    assert!(profile.scopes.all, "a `*` token reports full access");
    client
        .check_token(RESELLER_SCOPES)
        .await
        .expect("full token has every scope");

    // Catalogue.
    let regions = client.list_regions().await.expect("regions");
    assert!(regions.iter().any(|r| r.id == "us-east"));
    let types = client.list_types().await.expect("types");
    let nanode = types
        .iter()
        .find(|t| t.id == "g6-nanode-1")
        .expect("nanode listed");
    assert_eq!(nanode.price.hourly, Micros(7_500));
    assert_eq!(
        nanode.price_in("id-cgk").monthly,
        Micros(6_000_000),
        "region-specific price"
    );
    assert_eq!(
        nanode.price_in("us-east"),
        nanode.price,
        "base price elsewhere"
    );
    assert!(nanode.backup_price_in("br-gru").is_some());
    let one = client.get_type("g6-standard-2").await.expect("type");
    assert_eq!(one.vcpus, 2);
    let images = client.list_images().await.expect("images");
    assert!(images.iter().any(|i| i.id == "linode/debian12"));
    let img = client
        .get_image("linode/debian12")
        .await
        .expect("image with a slash in its id");
    assert_eq!(img.vendor.as_deref(), Some("Debian"));
    let scripts = client.list_stackscripts(None).await.expect("stackscripts");
    let web = scripts
        .iter()
        .find(|s| s.label == "web-server")
        .expect("web-server script");
    let web = client.get_stackscript(web.id).await.expect("stackscript");
    assert!(web.user_defined_fields.iter().any(|f| f.name == "hostname"));

    // A firewall to attach at creation.
    let rules = FirewallRules {
        inbound_policy: Some(FirewallAction::Drop),
        outbound_policy: Some(FirewallAction::Accept),
        inbound: vec![FirewallRule {
            action: FirewallAction::Accept,
            protocol: FirewallProtocol::Tcp,
            ports: Some("22, 80, 443".into()),
            addresses: RuleAddresses {
                ipv4: Some(vec!["0.0.0.0/0".into()]),
                ipv6: Some(vec!["::/0".into()]),
            },
            label: Some("allow-web".into()),
            description: Some("SSH and web".into()),
        }],
        outbound: vec![],
        version: None,
        fingerprint: None,
    };
    let fw = direct
        .create_firewall(&CreateFirewall {
            label: "tour-fw".into(),
            rules: rules.clone(),
            devices: None,
            tags: vec!["cs".into()],
        })
        .await
        .expect("create firewall");
    assert_eq!(fw.status, "enabled");

    // Create with everything: root password, SSH keys, StackScript data, cloud-init, firewall, tags.
    let mut data = BTreeMap::new();
    data.insert("hostname".to_owned(), "web1".to_owned());
    let created = client
        .create_instance(&CreateInstance {
            region: "us-east".into(),
            type_id: "g6-nanode-1".into(),
            label: "tour-web-1".into(),
            deploy: InstanceDeploy {
                image: Some("linode/debian12".into()),
                root_pass: Some("Tour-Pass-2024!".into()),
                authorized_keys: vec![ssh_key()],
                stackscript_id: Some(web.id),
                stackscript_data: Some(data),
                metadata: Some(InstanceMetadata::from_cloud_config(
                    "#cloud-config\npackage_update: true\n",
                )),
                booted: None,
            },
            tags: vec!["customer-42".into()],
            firewall_id: Some(fw.id),
            backups_enabled: None,
            private_ip: None,
        })
        .await
        .expect("create instance");
    assert_eq!(created.status, InstanceStatus::Provisioning);
    assert!(created.has_user_data);
    assert_eq!(created.ipv4.len(), 1);
    let id = created.id;
    let running = wait(client, id, InstanceStatus::Running).await;
    assert!(running.created.is_some(), "timestamps decode");

    let by_tag = direct
        .list_instances(Some(filter_eq("tags", "customer-42")))
        .await
        .expect("filtered list");
    assert_eq!(by_tag.iter().map(|i| i.id).collect::<Vec<_>>(), vec![id]);
    let found = direct
        .find_instance_by_label("tour-web-1")
        .await
        .expect("lookup")
        .expect("found by label");
    assert_eq!(found.id, id);
    let page = client.list_instances_page(1, None).await.expect("one page");
    assert!(page.results >= 1);
    let updated = client
        .update_instance(
            id,
            &UpdateInstance {
                label: Some("tour-web-one".into()),
                tags: Some(vec!["customer-42".into(), "vip".into()]),
            },
        )
        .await
        .expect("update");
    assert_eq!(updated.label, "tour-web-one");
    assert_eq!(updated.tags.len(), 2);

    // Power cycle.
    client.shutdown_instance(id).await.expect("shutdown");
    wait(client, id, InstanceStatus::Offline).await;
    client
        .reset_root_password(id, "An0ther-Pass!")
        .await
        .expect("password reset while offline");
    client.boot_instance(id).await.expect("boot");
    wait(client, id, InstanceStatus::Running).await;
    client.reboot_instance(id).await.expect("reboot");
    wait(client, id, InstanceStatus::Running).await;
    client
        .resize_instance(id, "g6-standard-1", MigrationType::Cold)
        .await
        .expect("resize");
    let resized = wait(client, id, InstanceStatus::Running).await;
    assert_eq!(resized.type_id.as_deref(), Some("g6-standard-1"));
    let rebuilt = client
        .rebuild_instance(
            id,
            &RebuildInstance {
                deploy: InstanceDeploy {
                    image: Some("linode/ubuntu24.04".into()),
                    root_pass: Some("Rebuild-Pass-1!".into()),
                    authorized_keys: vec![ssh_key()],
                    ..Default::default()
                },
            },
        )
        .await
        .expect("rebuild");
    assert_eq!(rebuilt.image.as_deref(), Some("linode/ubuntu24.04"));
    wait(client, id, InstanceStatus::Running).await;
    client.rescue_instance(id).await.expect("rescue");
    wait(client, id, InstanceStatus::Running).await;

    // Backups and snapshots.
    client.enable_backups(id).await.expect("enable backups");
    assert!(client.get_instance(id).await.unwrap().backups.enabled);
    let snap = client
        .take_snapshot(id, "before-upgrade")
        .await
        .expect("snapshot");
    assert_eq!(snap.label.as_deref(), Some("before-upgrade"));
    let listed = client.list_backups(id).await.expect("backups");
    // Under load the snapshot may already have finished by the time we look.
    let seen = listed
        .snapshot
        .in_progress
        .as_ref()
        .or(listed.snapshot.current.as_ref())
        .map(|b| b.id);
    assert_eq!(seen, Some(snap.id));
    assert_eq!(fake.run_nightly_backups(), 1);
    let mut current = None;
    for _ in 0..200 {
        let b = client.list_backups(id).await.expect("backups");
        if let Some(c) = b.snapshot.current {
            current = Some(c);
            assert_eq!(b.automatic.len(), 1);
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let current = current.expect("snapshot completes");
    assert_eq!(current.status, "successful");
    let one = client.get_backup(id, current.id).await.expect("get backup");
    assert!(one.available);
    client
        .restore_backup(id, current.id, id, true)
        .await
        .expect("restore");
    wait(client, id, InstanceStatus::Offline).await;
    client.boot_instance(id).await.expect("boot after restore");
    wait(client, id, InstanceStatus::Running).await;

    // IPs and reverse DNS.
    let ips = client.list_instance_ips(id).await.expect("ips");
    let primary = ips.ipv4.public[0].address.clone();
    assert!(ips.ipv6.slaac.is_some());
    let extra = client.allocate_ipv4(id).await.expect("allocate ipv4");
    assert!(extra.public);
    assert_eq!(
        client
            .list_instance_ips(id)
            .await
            .unwrap()
            .ipv4
            .public
            .len(),
        2
    );
    let err = client
        .update_rdns(id, &primary, Some("web1.example.com"))
        .await
        .expect_err("no forward DNS yet");
    assert!(
        matches!(err, LinodeError::RdnsNeedsForwardDns { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("forward DNS"), "{err}");
    fake.add_forward_dns("web1.example.com", &primary);
    let ip = client
        .update_rdns(id, &primary, Some("web1.example.com"))
        .await
        .expect("rdns set");
    assert_eq!(ip.rdns.as_deref(), Some("web1.example.com"));
    let reset = client
        .update_rdns(id, &primary, None)
        .await
        .expect("rdns reset");
    assert_ne!(reset.rdns.as_deref(), Some("web1.example.com"));

    // Firewalls.
    assert!(client
        .list_firewalls()
        .await
        .unwrap()
        .iter()
        .any(|f| f.id == fw.id));
    assert_eq!(client.get_firewall(fw.id).await.unwrap().label, "tour-fw");
    let attached = client
        .list_instance_firewalls(id)
        .await
        .expect("instance firewalls");
    assert_eq!(
        attached.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![fw.id]
    );
    let got_rules = client.get_firewall_rules(fw.id).await.expect("rules");
    assert_eq!(got_rules.inbound, rules.inbound);
    let v1 = got_rules.version;
    let mut more = rules.clone();
    more.inbound.push(FirewallRule {
        action: FirewallAction::Accept,
        protocol: FirewallProtocol::Icmp,
        ports: None,
        addresses: RuleAddresses {
            ipv4: Some(vec!["0.0.0.0/0".into()]),
            ipv6: None,
        },
        label: Some("allow-ping".into()),
        description: None,
    });
    let new_rules = client
        .set_firewall_rules(fw.id, &more)
        .await
        .expect("set rules");
    assert_eq!(new_rules.inbound.len(), 2);
    assert!(new_rules.version > v1);
    let devices = client.list_firewall_devices(fw.id).await.expect("devices");
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].entity.id, id);
    client
        .remove_firewall_device(fw.id, devices[0].id)
        .await
        .expect("remove device");
    let dev = client
        .add_firewall_device(fw.id, id)
        .await
        .expect("add device");
    assert_eq!(dev.entity.id, id);
    let renamed = client
        .update_firewall(
            fw.id,
            &UpdateFirewall {
                label: Some("tour-fw-2".into()),
                status: Some("disabled".into()),
                tags: None,
            },
        )
        .await
        .expect("update firewall");
    assert_eq!(renamed.status, "disabled");

    // Stats, transfer.
    let stats = client.instance_stats(id).await.expect("stats");
    assert_eq!(stats.cpu.len(), 288, "24 h of 5-minute samples");
    assert!(!stats.netv4.r#in.is_empty() && !stats.io.io.is_empty());
    let t = client
        .instance_transfer(id)
        .await
        .expect("instance transfer");
    assert_eq!(t.quota, 2000);
    let at = client.account_transfer().await.expect("account transfer");
    assert!(at.region_transfers.iter().any(|r| r.id == "us-east"));

    // Events.
    let events = client.list_events(None).await.expect("events");
    let actions: Vec<&str> = events
        .iter()
        .filter(|e| e.linode_id() == Some(id))
        .map(|e| e.action.as_str())
        .collect();
    for want in [
        "linode_create",
        "linode_shutdown",
        "linode_boot",
        "linode_reboot",
        "linode_resize",
        "linode_rebuild",
        "backups_enable",
        "linode_snapshot",
        "backups_restore",
        "linode_addip",
        "password_reset",
    ] {
        assert!(
            actions.contains(&want),
            "event {want} missing from {actions:?}"
        );
    }
    let create_ev = events
        .iter()
        .find(|e| e.action == "linode_create" && e.linode_id() == Some(id))
        .unwrap();
    assert_eq!(create_ev.status, "finished");
    assert_eq!(create_ev.percent_complete, Some(100));
    let first_page = direct
        .list_events_page(1, Some(r#"{"action":"linode_boot"}"#.into()))
        .await
        .expect("filtered events");
    assert!(first_page.data.iter().all(|e| e.action == "linode_boot"));
    let again = client.get_event(create_ev.id).await.expect("event");
    assert_eq!(again.id, create_ev.id);

    // Clean up: cancel backups, delete the firewall and the instance.
    client.cancel_backups(id).await.expect("cancel backups");
    assert!(!client.get_instance(id).await.unwrap().backups.enabled);
    client
        .delete_firewall(fw.id)
        .await
        .expect("delete firewall");
    client.delete_instance(id).await.expect("delete instance");
    let mut gone = false;
    for _ in 0..300 {
        match client.get_instance(id).await {
            Err(LinodeError::NotFound { .. }) => {
                gone = true;
                break;
            }
            Ok(i) => assert_eq!(i.status, InstanceStatus::Deleting),
            Err(e) => panic!("unexpected {e}"),
        }
        tokio::time::sleep(POLL).await;
    }
    assert!(gone, "deleted instance disappears");
}

#[tokio::test]
async fn every_operation_works_against_the_fake() {
    let h = support::start().await;
    full_tour(&h.client, &h.client, &h.fake).await;
    h.fake.shutdown().await;
}

#[tokio::test]
async fn status_follows_the_real_sequence() {
    // Slow enough steps that polling every 5 ms cannot miss a status, even on a busy machine.
    let mut cfg = support::fast_config();
    cfg.step = Duration::from_millis(300);
    let h = support::start_with(cfg).await;
    let i = h
        .client
        .create_instance(&CreateInstance {
            region: "eu-central".into(),
            type_id: "g6-nanode-1".into(),
            label: "seq-1".into(),
            deploy: InstanceDeploy {
                image: Some("linode/debian12".into()),
                root_pass: Some("Seq-Pass-123".into()),
                ..Default::default()
            },
            tags: vec![],
            firewall_id: None,
            backups_enabled: None,
            private_ip: None,
        })
        .await
        .unwrap();
    let mut seen: Vec<InstanceStatus> = vec![i.status.clone()];
    for _ in 0..200 {
        let s = h.client.get_instance(i.id).await.unwrap().status;
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s == InstanceStatus::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        seen,
        vec![
            InstanceStatus::Provisioning,
            InstanceStatus::Booting,
            InstanceStatus::Running
        ]
    );
    h.client.shutdown_instance(i.id).await.unwrap();
    assert_eq!(
        h.client.get_instance(i.id).await.unwrap().status,
        InstanceStatus::ShuttingDown
    );
    wait(&h.client, i.id, InstanceStatus::Offline).await;
    h.fake.shutdown().await;
}

#[tokio::test]
async fn scopes_are_reported_and_missing_ones_named() {
    let h = support::start().await;
    let limited = h
        .fake
        .create_token(&["linodes:read_write", "events:read_only"]);
    let c = LinodeClient::new(support::test_config(&h.fake.api_url(), &limited)).unwrap();
    let p = c.profile().await.unwrap();
    assert!(p.scopes.allows("linodes", Access::ReadWrite));
    assert!(!p.scopes.allows("firewall", Access::ReadOnly));
    let err = c
        .check_token(RESELLER_SCOPES)
        .await
        .expect_err("scopes are missing");
    let text = err.to_string();
    assert!(
        text.contains("firewall:read_write") && text.contains("ips:read_write"),
        "{text}"
    );
    support::assert_no_secret(&err, &limited);
    h.fake.shutdown().await;
}

#[tokio::test]
async fn the_token_in_use_is_found_in_the_token_list_with_its_expiry() {
    let h = support::start().await;
    let in_ten_days = chrono::Utc::now() + chrono::Duration::days(10);
    let expiring = h
        .fake
        .create_token_for("reseller", &["*"], Some(in_ten_days));
    let _other_user = h.fake.create_token_for("someone-else", &["*"], None);
    let c = LinodeClient::new(support::test_config(&h.fake.api_url(), &expiring)).unwrap();
    let list = c.list_tokens().await.unwrap();
    // The harness token and this one: the same user's only, never a whole secret.
    assert_eq!(list.len(), 2, "{list:?}");
    for t in &list {
        let shown = t.token.as_deref().unwrap();
        assert_eq!(shown.len(), 16, "only the first 16 characters are listed");
        assert_ne!(shown, expiring);
    }
    let mine = c
        .current_token()
        .await
        .unwrap()
        .expect("the token in use is listed");
    assert!(mine.is_prefix_of(&expiring));
    let expiry = mine.expiry.expect("it expires");
    assert!(
        (expiry - in_ten_days).num_seconds().abs() <= 1,
        "{expiry} vs {in_ten_days}"
    );
    assert_eq!(mine.scopes.as_deref(), Some("*"));
    // The harness token never expires.
    let never = LinodeClient::new(support::test_config(&h.fake.api_url(), &h.token)).unwrap();
    assert!(never
        .current_token()
        .await
        .unwrap()
        .unwrap()
        .expiry
        .is_none());
    // Listing tokens needs account:read_only.
    let limited = h.fake.create_token(&["linodes:read_write"]);
    let c = LinodeClient::new(support::test_config(&h.fake.api_url(), &limited)).unwrap();
    let err = c.list_tokens().await.unwrap_err();
    assert!(matches!(err, LinodeError::ForbiddenScope { .. }), "{err:?}");
    h.fake.shutdown().await;
}

#[tokio::test]
async fn creating_a_firewall_is_validated_like_linode() {
    let h = support::start().await;
    let rule = |ports: Option<&str>| FirewallRule {
        action: FirewallAction::Accept,
        protocol: FirewallProtocol::Tcp,
        ports: ports.map(str::to_owned),
        addresses: RuleAddresses {
            ipv4: Some(vec!["0.0.0.0/0".into()]),
            ipv6: None,
        },
        label: Some("web".into()),
        description: None,
    };
    let rules = |r: FirewallRule| FirewallRules {
        inbound_policy: Some(FirewallAction::Drop),
        outbound_policy: Some(FirewallAction::Accept),
        inbound: vec![r],
        outbound: vec![],
        version: None,
        fingerprint: None,
    };
    let create = |label: &str, r: FirewallRules| CreateFirewall {
        label: label.into(),
        rules: r,
        devices: None,
        tags: vec![],
    };
    let fw = h
        .client
        .create_firewall(&create("web-only", rules(rule(Some("80,443")))))
        .await
        .expect("created");
    assert_eq!(fw.label, "web-only");
    // The label is unique among the account's firewalls.
    let err = h
        .client
        .create_firewall(&create("web-only", rules(rule(Some("22")))))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LinodeError::Validation { field: Some(f), .. } if f == "label"),
        "{err:?}"
    );
    // Too short a label, and a port list that is not one: each names its field.
    let err = h
        .client
        .create_firewall(&create("w", rules(rule(Some("22")))))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LinodeError::Validation { field: Some(f), .. } if f == "label"),
        "{err:?}"
    );
    let err = h
        .client
        .create_firewall(&create("bad-ports", rules(rule(Some("22-")))))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LinodeError::Validation { field: Some(f), .. } if f.contains("inbound") && f.contains("ports")),
        "{err:?}"
    );
    // Nothing was created by the refused requests.
    assert_eq!(h.client.list_firewalls().await.unwrap().len(), 1);
    h.fake.shutdown().await;
}

/// Linode's documented rule for `root_pass`: 11 to 128 characters (its documentation and
/// its own Terraform provider; the v4.189.0 spec still says 7) and an internal strength
/// score whose threshold is not published. The fake must accept every password that rule
/// accepts; it refuses only what the documentation names as weak (a repeat like `aaa`, a
/// sequence like `abcd`, a keyboard pattern like `qwerty`) when that is the whole password.
#[tokio::test]
async fn root_passwords_follow_linodes_rule_at_its_boundaries() {
    let h = support::start().await;
    let create = |n: usize, pass: String| {
        let client = h.client.clone();
        async move {
            client
                .create_instance(&CreateInstance {
                    region: "us-east".into(),
                    type_id: "g6-nanode-1".into(),
                    label: format!("pw-{n}"),
                    deploy: InstanceDeploy {
                        image: Some("linode/debian12".into()),
                        root_pass: Some(pass),
                        ..Default::default()
                    },
                    tags: vec![],
                    firewall_id: None,
                    backups_enabled: None,
                    private_ip: None,
                })
                .await
        }
    };
    let accepted = [
        // 11 characters, lower case only: no character-class rule at Linode.
        "kqzvwmtrhxb".to_owned(),
        // A passphrase of words and spaces.
        "violet anchor tundra pebble".to_owned(),
        // 128 characters.
        "Zq7!mV2#".repeat(16),
        // 128 characters of two bytes each: the length counts characters, not bytes.
        "ñøåéüçßðþæ".repeat(12) + "ñøåéüçßð",
        // Digits and punctuation only.
        "4821-9930-7714".to_owned(),
    ];
    for (n, pass) in accepted.into_iter().enumerate() {
        let shown = pass.chars().count();
        create(n, pass)
            .await
            .unwrap_or_else(|e| panic!("Linode accepts this {shown}-character password: {e}"));
    }
    let refused = [
        ("kqzvwmtrhx".to_owned(), "10 characters"),
        ("Zq7!mV2#".repeat(16) + "Z", "129 characters"),
        ("ñøåéüçßðþæ".to_owned(), "10 characters of 20 bytes"),
        ("aaaaaaaaaaaa".to_owned(), "one character repeated"),
        ("abcabcabcabc".to_owned(), "a short group repeated"),
        ("abcdefghijklm".to_owned(), "a sequence"),
        ("98765432109".to_owned(), "a sequence, down and round"),
        ("qwertyuiopas".to_owned(), "a keyboard pattern"),
    ];
    for (n, (pass, why)) in refused.into_iter().enumerate() {
        let err = create(100 + n, pass)
            .await
            .expect_err(&format!("refused: {why}"));
        assert!(
            matches!(&err, LinodeError::Validation { field: Some(f), .. } if f == "root_pass"),
            "{why}: {err:?}"
        );
    }
    assert_eq!(
        h.fake.instance_count(),
        5,
        "nothing made by refused creates"
    );

    // The same rule for a password reset.
    let i = h
        .client
        .list_instances(Some(filter_eq("label", "pw-0")))
        .await
        .unwrap()
        .remove(0);
    wait(&h.client, i.id, InstanceStatus::Running).await;
    h.client.shutdown_instance(i.id).await.unwrap();
    wait(&h.client, i.id, InstanceStatus::Offline).await;
    h.client
        .reset_root_password(i.id, "lowercaseonlypass")
        .await
        .expect("reset accepts what create accepts");
    let err = h
        .client
        .reset_root_password(i.id, "short-pw")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LinodeError::Validation { field: Some(f), .. } if f == "root_pass"),
        "{err:?}"
    );
    h.fake.shutdown().await;
}
