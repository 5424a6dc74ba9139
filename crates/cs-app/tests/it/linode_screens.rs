//! The Linode screens through the façade, against the stateful fake Linode
//! over real HTTP on loopback: the cached catalogue and its list prices, the
//! account event feed (a server deleted or resized in Linode's own console is
//! noticed, billing follows), and every server tab operation with its error
//! classes (backups, snapshots, restore, IPs, reverse DNS and its forward-DNS
//! refusal, firewalls, stats, resize, rebuild, rescue, root password).

use std::time::Duration;

use cs_app::dto::*;
use cs_core::ProviderKind;
use cs_fakes::linode::{FakeConfig, FakeLinode};

use crate::TestApp;

struct Setup {
    t: TestApp,
    fake: FakeLinode,
    token: String,
    org: OrganizationDto,
    plan: PlanDto,
}

async fn connected() -> Setup {
    let fake = FakeLinode::start(FakeConfig {
        step: Duration::from_millis(120),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let t = TestApp::new();
    let token = fake.create_token(&["*"]);
    t.app
        .add_linode_account(crate::linode::add(&token, Some(fake.api_url())))
        .await
        .unwrap();
    let org = t.customer("Åsa Nyström AB", "asa@example.se");
    let plan = t
        .app
        .create_plan(crate::linode::nano_plan(&["eu-central", "br-gru"]))
        .await
        .unwrap();
    Setup {
        t,
        fake,
        token,
        org,
        plan,
    }
}

fn input(s: &Setup, label: &str) -> ServerInput {
    ServerInput {
        organization_id: s.org.id.clone(),
        plan_id: s.plan.id.clone(),
        label: label.into(),
        region: "eu-central".into(),
        image: "linode/debian12".into(),
        root_password: Some("Correct-Horse-9!".into()),
        ssh_key: None,
    }
}

async fn wait_for(t: &TestApp, id: &str, status: &str) {
    let mut now = String::new();
    for _ in 0..150 {
        t.app.reconcile_once(false).await.unwrap();
        now = t.app.get_server(id).unwrap().server.status;
        if now == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    panic!("server {id} stayed {now}, never {status}");
}

async fn running(s: &Setup, label: &str) -> ServerDto {
    let server =
        s.t.app
            .create_server(input(s, label), Default::default())
            .await
            .unwrap();
    wait_for(&s.t, &server.id, "running").await;
    server
}

/// Linode's own API, as the reseller's console would use it.
async fn console(
    s: &Setup,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> reqwest::StatusCode {
    reqwest::Client::new()
        .request(method, format!("{}{path}", s.fake.api_url()))
        .bearer_auth(&s.token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_catalogue_is_cached_refreshed_and_feeds_provider_prices() {
    let s = connected().await;
    let status = s.t.app.catalogue_status("linode").unwrap();
    assert!(status.refreshed_at.is_some(), "plan validation imported it");
    assert_eq!(
        (status.regions, status.types, status.stackscripts),
        (6, 5, 2)
    );

    // Page views read SQLite: no catalogue request reaches Linode.
    s.fake.clear_requests();
    for _ in 0..5 {
        let c = s.t.app.provider_catalogue("linode").await.unwrap();
        assert!(c.refreshed_at.is_some());
        assert!(
            c.images.iter().all(|i| i.id != "linode/centos7"),
            "deprecated images are not offered"
        );
        assert!(c.images.iter().any(|i| i.cloud_init));
        assert_eq!(c.stackscripts.len(), 2);
        s.t.app.list_plans().await.unwrap();
    }
    assert_eq!(
        s.fake
            .requests()
            .iter()
            .filter(|r| r.path.contains("/regions")
                || r.path.contains("/types")
                || r.path.contains("/images"))
            .count(),
        0
    );

    // Region-specific prices reach the plan and billing's provider prices.
    let plans = s.t.app.list_plans().await.unwrap();
    let nano = plans.iter().find(|p| p.id == s.plan.id).unwrap();
    let gru = nano
        .provider_prices
        .iter()
        .find(|p| p.region == "br-gru")
        .unwrap();
    assert_eq!(
        (gru.monthly.amount.as_str(), gru.hourly.amount.as_str()),
        ("7.00", "0.0105")
    );
    let conn = cs_store::rusqlite::Connection::open(s.t.dir.path().join("cs.db")).unwrap();
    let price = |region: &str| {
        cs_billing::prices::provider_price(
            &conn,
            "linode",
            "g6-nanode-1",
            cs_billing::prices::Item::Server,
            region,
        )
        .unwrap()
        .unwrap()
        .1
    };
    let gru = price("br-gru");
    assert_eq!((gru.hourly_micros, gru.monthly_micros), (10_500, 7_000_000));
    assert_eq!(price("").monthly_micros, 5_000_000);

    // On demand: a refresh asks Linode once per list and says when.
    s.fake.clear_requests();
    s.t.clock.advance(chrono::Duration::hours(1));
    let after = s.t.app.refresh_catalogue("linode").await.unwrap();
    assert_ne!(after.refreshed_at, status.refreshed_at);
    assert_eq!(s.fake.request_count("GET", "/linode/types"), 1);
    // Periodic: not due within 24 h, due after.
    assert_eq!(s.t.app.refresh_stale_catalogues().await.unwrap(), 0);
    s.t.clock.advance(chrono::Duration::hours(25));
    assert_eq!(s.t.app.refresh_stale_catalogues().await.unwrap(), 1);

    // A failed refresh keeps the catalogue and says why.
    s.fake.add_fault(
        cs_fakes::linode::FaultRule::new(
            cs_fakes::linode::FaultKind::ServerError(500),
            "GET",
            "/regions",
        )
        .times(20),
    );
    assert!(s.t.app.refresh_catalogue("linode").await.is_err());
    let failed = s.t.app.catalogue_status("linode").unwrap();
    assert!(failed.last_error.is_some());
    assert_eq!(failed.regions, 6);
    s.fake.clear_faults();
    assert_eq!(
        s.t.app
            .refresh_catalogue("nowhere")
            .await
            .unwrap_err()
            .code(),
        "validation"
    );

    let account = s.t.app.linode_accounts().unwrap().remove(0);
    assert!(account.connected);
    assert_eq!(account.scopes, vec!["*".to_string()]);
    assert_eq!(account.base_url.as_deref(), Some(s.fake.api_url().as_str()));
    assert!(account.username.is_some());
}

#[tokio::test]
async fn deletions_and_resizes_in_linodes_console_are_noticed_through_the_event_feed() {
    let s = connected().await;
    assert_eq!(
        s.t.app.poll_events(ProviderKind::Linode).await.unwrap(),
        0,
        "the first poll only finds the feed's end"
    );
    let a = running(&s, "feed-a").await;
    let b = running(&s, "feed-b").await;
    s.t.app.poll_events(ProviderKind::Linode).await.unwrap();
    let bigger =
        s.t.app
            .create_plan(PlanInput {
                name: "Standard".into(),
                provider: "linode".into(),
                provider_type: "g6-standard-1".into(),
                regions: vec!["eu-central".into()],
                monthly_price: "18.00".into(),
                hourly_price: "0.0270".into(),
            })
            .await
            .unwrap();
    s.t.app.run_billing().await.unwrap();

    let pa = a.provider_id.clone().unwrap();
    let pb = b.provider_id.clone().unwrap();
    assert!(console(
        &s,
        reqwest::Method::DELETE,
        &format!("/linode/instances/{pa}"),
        serde_json::json!({})
    )
    .await
    .is_success());
    assert!(console(
        &s,
        reqwest::Method::POST,
        &format!("/linode/instances/{pb}/resize"),
        serde_json::json!({"type": "g6-standard-1"})
    )
    .await
    .is_success());

    // Counted: one events request per poll, one instance GET per named server.
    s.fake.clear_requests();
    let changed = s.t.app.poll_events(ProviderKind::Linode).await.unwrap();
    assert_eq!(changed, 2);
    let reqs = s.fake.requests();
    assert_eq!(
        reqs.iter().filter(|r| r.path == "/account/events").count(),
        1,
        "{reqs:?}"
    );
    assert_eq!(reqs.len(), 3, "{reqs:?}");

    for _ in 0..100 {
        s.t.app.poll_events(ProviderKind::Linode).await.unwrap();
        s.t.app.reconcile_once(false).await.unwrap();
        let sa = s.t.app.get_server(&a.id).unwrap().server;
        let sb = s.t.app.get_server(&b.id).unwrap().server;
        if sa.status == "deleted" && sb.status == "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let da = s.t.app.get_server(&a.id).unwrap();
    assert_eq!(da.server.status, "deleted");
    assert!(
        da.activity
            .iter()
            .any(|x| x.summary.contains("not from this app")),
        "{:?}",
        da.activity
    );
    let db = s.t.app.get_server(&b.id).unwrap();
    assert_eq!(db.server.provider_type, "g6-standard-1");
    assert_eq!(
        db.server.plan_id, bigger.id,
        "billed on the plan that sells the new type"
    );
    assert!(
        db.activity
            .iter()
            .any(|x| x.summary.contains("resized to g6-standard-1")
                && x.summary.contains("plan Standard")),
        "{:?}",
        db.activity
    );
    let conn = cs_store::rusqlite::Connection::open(s.t.dir.path().join("cs.db")).unwrap();
    assert!(
        !cs_billing::meters::is_metered(&conn, a.id.parse().unwrap()).unwrap(),
        "the deleted server's meter is closed"
    );
    let next_price = cs_billing::meters::current_plan(&conn, b.id.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        next_price.to_string(),
        bigger.id,
        "the resized server is billed on the new plan from the next hour"
    );

    // A poll with nothing new costs one request.
    s.fake.clear_requests();
    assert_eq!(s.t.app.poll_events(ProviderKind::Linode).await.unwrap(), 0);
    assert_eq!(s.fake.requests().len(), 1);
}

#[tokio::test]
async fn backups_network_and_firewalls_on_a_linode_server() {
    let s = connected().await;
    let server = running(&s, "tabs-1").await;
    let id = server.id.as_str();

    // Backups: none yet; enabling needs a backups price on the plan.
    let b = s.t.app.server_backups(id).await.unwrap();
    assert!(!b.enabled && b.backups.is_empty());
    let err = s.t.app.enable_server_backups(id).await.unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(err.to_string().contains("backups"), "{err}");
    let err =
        s.t.app
            .take_server_snapshot(id, "before-upgrade")
            .await
            .unwrap_err();
    assert!(err.to_string().contains("Enable backups"), "{err}");
    // Enabled in Linode's console: the app sees it (and says it is not billed).
    let pid = server.provider_id.clone().unwrap();
    s.t.app.poll_events(ProviderKind::Linode).await.unwrap();
    assert!(console(
        &s,
        reqwest::Method::POST,
        &format!("/linode/instances/{pid}/backups/enable"),
        serde_json::json!({})
    )
    .await
    .is_success());
    s.t.app.poll_events(ProviderKind::Linode).await.unwrap();
    let d = s.t.app.get_server(id).unwrap();
    assert!(
        d.activity
            .iter()
            .any(|a| a.summary.contains("enabled at the provider")
                && a.summary.contains("NOT billed")),
        "{:?}",
        d.activity
    );
    assert!(s.t.app.server_backups(id).await.unwrap().enabled);
    assert_eq!(
        s.t.app
            .take_server_snapshot(id, "  ")
            .await
            .unwrap_err()
            .code(),
        "validation"
    );
    let snap =
        s.t.app
            .take_server_snapshot(id, "before-upgrade")
            .await
            .unwrap();
    assert_eq!(snap.kind, "snapshot");
    let mut ready = false;
    for _ in 0..50 {
        let list = s.t.app.server_backups(id).await.unwrap();
        if list
            .backups
            .iter()
            .any(|x| x.id == snap.id && x.status == "successful")
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready);
    let restored = s.t.app.restore_server_backup(id, &snap.id).await.unwrap();
    assert_eq!(restored.status, "provisioning");
    assert_eq!(
        s.t.app
            .restore_server_backup(id, "999999")
            .await
            .unwrap_err()
            .code(),
        "provider"
    );
    wait_for(&s.t, id, "offline").await;
    let cancelled = s.t.app.cancel_server_backups(id).await.unwrap();
    assert!(!cancelled.enabled);

    // Network: addresses, transfer, an extra IPv4 needs an IPv4 price.
    let net = s.t.app.server_network(id).await.unwrap();
    let v4 = net
        .addresses
        .iter()
        .find(|a| a.kind == "ipv4" && a.public)
        .unwrap()
        .address
        .clone();
    assert!(net.addresses.iter().any(|a| a.kind == "ipv6"));
    assert!(net.transfer_quota_gb.is_some_and(|q| q > 0));
    assert_eq!(
        s.t.app.add_server_ipv4(id).await.unwrap_err().code(),
        "conflict"
    );

    // Reverse DNS: Linode wants the forward record first; say so.
    let err =
        s.t.app
            .set_server_rdns(id, &v4, Some("mail.example.com".into()))
            .await
            .unwrap_err()
            .to_dto();
    assert_eq!(err.fields[0].field, "rdns");
    assert_eq!(
        err.message,
        format!("Set the A record for mail.example.com to {v4} first, then try again")
    );
    assert_eq!(
        s.t.app
            .set_server_rdns(id, &v4, Some("not a name".into()))
            .await
            .unwrap_err()
            .to_dto()
            .fields[0]
            .field,
        "rdns"
    );
    assert_eq!(
        s.t.app
            .set_server_rdns(id, "198.51.100.1", Some("mail.example.com".into()))
            .await
            .unwrap_err()
            .to_dto()
            .fields[0]
            .field,
        "address"
    );
    s.fake.add_forward_dns("mail.example.com", &v4);
    let ip =
        s.t.app
            .set_server_rdns(id, &v4, Some("Mail.Example.com.".into()))
            .await
            .unwrap();
    assert_eq!(ip.rdns.as_deref(), Some("mail.example.com"));
    let net = s.t.app.server_network(id).await.unwrap();
    assert_eq!(
        net.addresses
            .iter()
            .find(|a| a.address == v4)
            .unwrap()
            .rdns
            .as_deref(),
        Some("mail.example.com")
    );

    // Firewalls: one made in Linode's console, attached, rules edited, detached.
    let created = reqwest::Client::new()
        .post(format!("{}/networking/firewalls", s.fake.api_url()))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({"label": "web", "rules": {"inbound_policy": "DROP", "outbound_policy": "ACCEPT", "inbound": [], "outbound": []}}))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success());
    let fw_id = created.json::<serde_json::Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap()
        .to_string();
    let f = s.t.app.server_firewalls(id).await.unwrap();
    assert!(f.attached.is_empty() && f.available.iter().any(|x| x.id == fw_id) && f.can_detach);
    let f = s.t.app.attach_server_firewall(id, &fw_id).await.unwrap();
    assert_eq!(f.attached.len(), 1);
    let bad = FirewallRulesDto {
        inbound_policy: "DROP".into(),
        outbound_policy: "maybe".into(),
        inbound: vec![FirewallRuleDto {
            label: "ssh".into(),
            action: "ACCEPT".into(),
            protocol: "TCP".into(),
            ports: "99999".into(),
            addresses: vec!["nowhere".into()],
        }],
        outbound: vec![],
    };
    let err =
        s.t.app
            .set_firewall_rules(id, &fw_id, bad)
            .await
            .unwrap_err()
            .to_dto();
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        vec!["outboundPolicy", "inbound.0.ports", "inbound.0.addresses"]
    );
    let good = FirewallRulesDto {
        inbound_policy: "DROP".into(),
        outbound_policy: "ACCEPT".into(),
        inbound: vec![FirewallRuleDto {
            label: "ssh".into(),
            action: "accept".into(),
            protocol: "tcp".into(),
            ports: "22, 80-81".into(),
            addresses: vec!["0.0.0.0/0".into(), "::/0".into()],
        }],
        outbound: vec![],
    };
    let fw = s.t.app.set_firewall_rules(id, &fw_id, good).await.unwrap();
    assert_eq!(fw.rules.inbound[0].ports, "22,80-81");
    assert_eq!(fw.rules.inbound[0].protocol, "TCP");
    let f = s.t.app.detach_server_firewall(id, &fw_id).await.unwrap();
    assert!(f.attached.is_empty());
    assert_eq!(
        s.t.app
            .detach_server_firewall(id, &fw_id)
            .await
            .unwrap_err()
            .code(),
        "conflict"
    );

    // Stats include disk I/O.
    let stats = s.t.app.server_stats(id).await.unwrap();
    assert!(!stats.cpu_percent.is_empty());
    assert!(!stats.disk_io_blocks_per_s.is_empty());

    // Every action left an activity row.
    let d = s.t.app.get_server(id).unwrap();
    for action in [
        "server.snapshot_taken",
        "server.restoring",
        "server.rdns_set",
        "server.firewall_attached",
        "firewall.rules_updated",
        "server.firewall_detached",
    ] {
        assert!(
            d.activity.iter().any(|a| a.action == action),
            "no {action} in {:?}",
            d.activity
        );
    }
}

#[tokio::test]
async fn resize_rebuild_rescue_password_and_create_options() {
    let s = connected().await;
    // Create options: StackScript checked against the image, user data
    // against cloud-init, the firewall against the account.
    let mut opts = CreateOptionsInput {
        stackscript_id: Some("10002".into()),
        stackscript_data: vec![],
        user_data: None,
        firewall_id: Some("424242".into()),
        account_id: None,
    };
    let mut i = input(&s, "opts-1");
    i.image = "linode/almalinux9".into();
    let err =
        s.t.app
            .create_server(i, opts.clone())
            .await
            .unwrap_err()
            .to_dto();
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, vec!["stackscriptId", "firewallId"]);
    opts.firewall_id = None;
    opts.stackscript_data = vec![StackScriptField {
        name: "admin_user".into(),
        value: "deploy".into(),
    }];
    opts.user_data = Some("#cloud-config\npackages: [htop]\n".into());
    let server =
        s.t.app
            .create_server(input(&s, "opts-1"), opts)
            .await
            .unwrap();
    wait_for(&s.t, &server.id, "running").await;
    let id = server.id.as_str();

    // Resize to another plan: provider resized, billed on the new plan.
    let other =
        s.t.app
            .create_plan(PlanInput {
                name: "Standard".into(),
                provider: "linode".into(),
                provider_type: "g6-standard-1".into(),
                regions: vec!["eu-central".into()],
                monthly_price: "18.00".into(),
                hourly_price: "0.0270".into(),
            })
            .await
            .unwrap();
    assert_eq!(
        s.t.app
            .resize_server(id, &s.plan.id)
            .await
            .unwrap_err()
            .code(),
        "validation"
    );
    let r = s.t.app.resize_server(id, &other.id).await.unwrap();
    assert_eq!(
        (r.plan_id.as_str(), r.provider_type.as_str()),
        (other.id.as_str(), "g6-standard-1")
    );
    assert_eq!(
        s.t.app.rescue_server(id).await.unwrap_err().code(),
        "conflict",
        "busy while resizing"
    );
    wait_for(&s.t, id, "running").await;
    assert_eq!(
        s.t.app.get_server(id).unwrap().server.provider_type,
        "g6-standard-1"
    );

    // Rebuild.
    let err =
        s.t.app
            .rebuild_server(
                id,
                RebuildInput {
                    image: "linode/nothing".into(),
                    root_password: None,
                    ssh_key: None,
                },
            )
            .await
            .unwrap_err()
            .to_dto();
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, vec!["rootPassword", "image"]);
    let r =
        s.t.app
            .rebuild_server(
                id,
                RebuildInput {
                    image: "linode/ubuntu24.04".into(),
                    root_password: Some("Another-Horse-7!".into()),
                    ssh_key: None,
                },
            )
            .await
            .unwrap();
    assert_eq!(r.image, "linode/ubuntu24.04");
    wait_for(&s.t, id, "running").await;

    // Rescue, then the root password (only while off).
    s.t.app.rescue_server(id).await.unwrap();
    wait_for(&s.t, id, "running").await;
    assert_eq!(
        s.t.app
            .reset_server_root_password(id, "Fresh-Horse-5!x")
            .await
            .unwrap_err()
            .code(),
        "conflict"
    );
    s.t.app
        .server_action(id, ServerAction::Shutdown)
        .await
        .unwrap();
    wait_for(&s.t, id, "offline").await;
    assert_eq!(
        s.t.app
            .reset_server_root_password(id, "short")
            .await
            .unwrap_err()
            .code(),
        "validation"
    );
    s.t.app
        .reset_server_root_password(id, "Fresh-Horse-5!x")
        .await
        .unwrap();
    let bytes = std::fs::read(s.t.dir.path().join("cs.db")).unwrap();
    for secret in ["Fresh-Horse-5!x", "Another-Horse-7!"] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "passwords are never stored"
        );
    }
    // Sandbox servers: detaching a firewall is Linode-only.
    let sb_plan = s.t.plan("Sandbox small").await;
    let sb =
        s.t.app
            .create_server(
                s.t.server_input(&s.org, &sb_plan, "sb-1"),
                Default::default(),
            )
            .await
            .unwrap();
    let err =
        s.t.app
            .detach_server_firewall(&sb.id, "1")
            .await
            .unwrap_err();
    assert!(
        err.to_string().contains("not available on the Sandbox"),
        "{err}"
    );
}

fn rule(action: &str, protocol: &str, ports: &str, addresses: &[&str]) -> FirewallRuleDto {
    FirewallRuleDto {
        label: String::new(),
        action: action.into(),
        protocol: protocol.into(),
        ports: ports.into(),
        addresses: addresses.iter().map(|a| a.to_string()).collect(),
    }
}

#[tokio::test]
async fn a_firewall_is_created_from_the_firewall_tab_and_attached_at_once() {
    let s = connected().await;
    let server = running(&s, "fw-new-1").await;
    let id = server.id.as_str();
    let rules = |inbound: Vec<FirewallRuleDto>| FirewallRulesDto {
        inbound_policy: "DROP".into(),
        outbound_policy: "ACCEPT".into(),
        inbound,
        outbound: vec![],
    };

    // Every field is checked before Linode is asked, each error on its field.
    let bad = NewFirewallInput {
        label: "x".into(),
        rules: FirewallRulesDto {
            inbound_policy: "MAYBE".into(),
            ..rules(vec![rule("ACCEPT", "TCP", "22-", &["nowhere"])])
        },
        attach: true,
    };
    let err =
        s.t.app
            .create_server_firewall(id, bad)
            .await
            .unwrap_err()
            .to_dto();
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "label",
            "inboundPolicy",
            "inbound.0.ports",
            "inbound.0.addresses"
        ],
        "{err:?}"
    );
    assert_eq!(
        s.fake
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/networking/firewalls")
            .count(),
        0
    );

    // Created on the server's account, attached right away.
    let good = NewFirewallInput {
        label: "web-only".into(),
        rules: rules(vec![
            rule("ACCEPT", "TCP", "80,443", &["0.0.0.0/0", "::/0"]),
            rule("ACCEPT", "ICMP", "", &["0.0.0.0/0"]),
        ]),
        attach: true,
    };
    let f =
        s.t.app
            .create_server_firewall(id, good.clone())
            .await
            .unwrap();
    let fw = f
        .attached
        .iter()
        .find(|x| x.label == "web-only")
        .expect("attached at once");
    assert_eq!(
        (
            fw.rules.inbound_policy.as_str(),
            fw.rules.inbound.len(),
            fw.instance_count
        ),
        ("DROP", 2, 1)
    );
    assert_eq!(fw.rules.inbound[0].ports, "80,443");

    // The label is unique per account: said next to the label.
    let err =
        s.t.app
            .create_server_firewall(id, good)
            .await
            .unwrap_err()
            .to_dto();
    assert_eq!(err.fields[0].field, "label");
    assert!(
        err.fields[0]
            .message
            .contains("already has a firewall labelled"),
        "{err:?}"
    );

    // Without attach it is only offered; attaching it then works.
    let later = NewFirewallInput {
        label: "ssh-admin".into(),
        rules: rules(vec![rule("ACCEPT", "TCP", "22", &["203.0.113.0/24"])]),
        attach: false,
    };
    let f = s.t.app.create_server_firewall(id, later).await.unwrap();
    let ssh = f
        .available
        .iter()
        .find(|x| x.label == "ssh-admin")
        .expect("offered, not attached")
        .id
        .clone();
    assert!(!f.attached.iter().any(|x| x.label == "ssh-admin"));
    let f = s.t.app.attach_server_firewall(id, &ssh).await.unwrap();
    assert!(f.attached.iter().any(|x| x.id == ssh));

    let acts: Vec<String> =
        s.t.app
            .list_activity(50, Some(id.to_string()))
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
    assert!(
        acts.iter().filter(|a| *a == "firewall.created").count() == 2,
        "{acts:?}"
    );
    s.fake.shutdown().await;
}
