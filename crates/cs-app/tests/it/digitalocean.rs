//! The app on a DigitalOcean account, against the stateful fake DigitalOcean
//! over real HTTP on loopback: the token is checked (a read-only one is
//! refused with the reason) and kept in the keyring only; the catalogue is
//! cached with its prices; a server lives its whole life; a deletion or a
//! resize in DigitalOcean's own console is noticed and billing follows; and a
//! customer with a server on Linode and one on DigitalOcean gets one invoice.

use std::time::Duration;

use chrono::Duration as Span;
use cs_app::dto::*;
use cs_core::ProviderKind;
use cs_fakes::digitalocean::{FakeConfig, FakeDigitalOcean, FULL_ACCESS, READ_ONLY};

use crate::TestApp;

pub fn add(token: &str, base_url: Option<String>) -> AddDigitalOceanAccountInput {
    AddDigitalOceanAccountInput {
        token: token.into(),
        label: None,
        base_url,
    }
}

/// The plan the DigitalOcean tests sell: a 1 GB Droplet at $9.00 a month ($0.0134 an hour).
pub fn droplet_plan(name: &str, size: &str, regions: &[&str]) -> PlanInput {
    PlanInput {
        name: name.into(),
        provider: "digitalocean".into(),
        provider_type: size.into(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        monthly_price: "9.00".into(),
        hourly_price: "0.0134".into(),
    }
}

struct Setup {
    t: TestApp,
    fake: FakeDigitalOcean,
    account: DigitalOceanAccountDto,
    org: OrganizationDto,
    plan: PlanDto,
}

async fn connected() -> Setup {
    let fake = FakeDigitalOcean::start(FakeConfig::fast()).await.unwrap();
    let t = TestApp::new();
    let token = fake.create_token(FULL_ACCESS);
    let account = t
        .app
        .add_digitalocean_account(add(&token, Some(fake.api_url())))
        .await
        .unwrap();
    let org = t.customer("Ёлкин Пётр", "petr@example.ru");
    let plan = t
        .app
        .create_plan(droplet_plan(
            "Droplet 1 GB",
            "s-1vcpu-1gb",
            &["fra1", "ams3"],
        ))
        .await
        .unwrap();
    Setup {
        t,
        fake,
        account,
        org,
        plan,
    }
}

fn input(s: &Setup, label: &str) -> ServerInput {
    ServerInput {
        organization_id: s.org.id.clone(),
        plan_id: s.plan.id.clone(),
        label: label.into(),
        region: "fra1".into(),
        image: "debian-12-x64".into(),
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
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!("server {id} stayed {now}, never {status}");
}

fn field_error(e: cs_app::AppError) -> (String, String) {
    let dto = e.to_dto();
    let f = dto
        .fields
        .first()
        .unwrap_or_else(|| panic!("no field: {dto:?}"));
    (f.field.clone(), f.message.clone())
}

#[tokio::test]
async fn a_digitalocean_account_is_checked_kept_in_the_keyring_and_its_catalogue_cached() {
    let fake = FakeDigitalOcean::start(FakeConfig::fast()).await.unwrap();
    let t = TestApp::new();

    let (field, _) = field_error(
        t.app
            .add_digitalocean_account(add("  ", None))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "token");
    let (field, message) = field_error(
        t.app
            .add_digitalocean_account(add("dop_v1_nope", Some(fake.api_url())))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "token");
    assert!(!message.contains("dop_v1_nope"), "{message}");

    // A read-only token is refused, saying why and what to do.
    let read_only = fake.create_token(READ_ONLY);
    let (field, message) = field_error(
        t.app
            .add_digitalocean_account(add(&read_only, Some(fake.api_url())))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "token");
    assert!(
        message.starts_with("The DigitalOcean token is read-only")
            && message.contains("Full Access"),
        "{message}"
    );
    assert!(!message.contains(&read_only));

    // Plain http to another computer would send the token in clear.
    let token = fake.create_token(FULL_ACCESS);
    let (field, _) = field_error(
        t.app
            .add_digitalocean_account(add(&token, Some("http://api.example.com/v2".into())))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "baseUrl");

    let account = t
        .app
        .add_digitalocean_account(add(&token, Some(fake.api_url())))
        .await
        .unwrap();
    assert!(account.connected);
    assert_eq!(account.label, "Reseller team", "the team's name by default");
    assert_eq!(account.team.as_deref(), Some("Reseller team"));
    assert_eq!(account.email.as_deref(), Some("reseller@example.com"));
    assert_eq!(account.status.as_deref(), Some("active"));
    assert_eq!(account.droplet_limit, Some(25));
    assert!(account
        .api_root_warning
        .as_deref()
        .is_some_and(|w| w.contains("not to DigitalOcean")));
    assert!(account.notes.iter().any(|n| n.contains("StackScripts")));
    let key = t.app.secret_keys().digitalocean_token(&account.id);
    assert_eq!(
        cs_secrets::SecretStore::get(t.secrets.as_ref(), &key)
            .unwrap()
            .unwrap()
            .expose(),
        token
    );
    let bytes = std::fs::read(t.dir.path().join("cs.db")).unwrap();
    assert!(
        !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token is not in SQLite"
    );
    // The same account again is refused; a second token of it is not a second account.
    let again = fake.create_token(FULL_ACCESS);
    let (field, message) = field_error(
        t.app
            .add_digitalocean_account(add(&again, Some(fake.api_url())))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "token");
    assert!(message.contains("already connected"), "{message}");

    let info = t.app.info().unwrap();
    let p = info
        .providers
        .iter()
        .find(|p| p.kind == "digitalocean")
        .unwrap();
    assert!(p.connected);
    assert!(!p.capabilities.rdns_per_address && !p.capabilities.transfer);
    assert!(
        info.providers
            .iter()
            .find(|p| p.kind == "linode")
            .unwrap()
            .capabilities
            .rdns_per_address
    );

    // The catalogue was imported on connecting: regions with availability,
    // sizes with monthly and hourly prices, distribution and 1-Click images.
    assert_eq!(account.catalogue.regions, 8);
    assert!(account.catalogue.refreshed_at.is_some());
    fake.clear_requests();
    let c = t.app.provider_catalogue("digitalocean").await.unwrap();
    let c2 = t
        .app
        .provider_catalogue(&format!("digitalocean:{}", account.id))
        .await
        .unwrap();
    assert_eq!(c.types.len(), c2.types.len());
    assert!(
        fake.requests().is_empty(),
        "page views read the cache: {:?}",
        fake.requests()
    );
    assert_eq!(c.provider, "digitalocean");
    assert!(!c.regions.iter().find(|r| r.id == "nyc1").unwrap().available);
    assert!(c.regions.iter().find(|r| r.id == "fra1").unwrap().available);
    let one = c.types.iter().find(|x| x.id == "s-1vcpu-1gb").unwrap();
    assert_eq!(
        (
            one.monthly.amount.as_str(),
            one.hourly.amount.as_str(),
            one.memory_mb,
            one.disk_gb
        ),
        ("6.00", "0.00893", 1024, 25)
    );
    assert!(c
        .images
        .iter()
        .any(|i| i.id == "debian-12-x64" && i.cloud_init));
    assert!(
        c.images.iter().any(|i| i.id == "wordpress-24-04"),
        "1-Click applications too"
    );
    assert!(c.stackscripts.is_empty());
    let conn = cs_store::rusqlite::Connection::open(t.dir.path().join("cs.db")).unwrap();
    let list = cs_billing::prices::provider_price(
        &conn,
        "digitalocean",
        "s-1vcpu-1gb",
        cs_billing::prices::Item::Server,
        "fra1",
    )
    .unwrap()
    .unwrap();
    assert_eq!(list.1.monthly_micros, 6_000_000, "{list:?}");
    let backups = cs_billing::prices::provider_price(
        &conn,
        "digitalocean",
        "s-1vcpu-1gb",
        cs_billing::prices::Item::Backups,
        "fra1",
    )
    .unwrap()
    .unwrap();
    assert_eq!(backups.1.monthly_micros, 1_200_000, "weekly backups: 20 %");

    // Refreshing asks DigitalOcean again and keeps the account's catalogue.
    let status = t.app.refresh_account_catalogue(&account.id).await.unwrap();
    assert_eq!(status.provider, "digitalocean");
    assert!(fake.request_count("GET", "/sizes") >= 1);

    // Plans are built on it with the same rules: an unknown size, a region
    // not accepting servers.
    let e = t
        .app
        .create_plan(droplet_plan("Bad", "s-99vcpu", &["nyc1"]))
        .await
        .unwrap_err()
        .to_dto();
    let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["providerType", "regions"], "{e:?}");
    let plan = t
        .app
        .create_plan(droplet_plan("Droplet", "s-1vcpu-1gb", &["fra1"]))
        .await
        .unwrap();
    let listed = t.app.list_plans().await.unwrap();
    let p = listed.iter().find(|p| p.id == plan.id).unwrap();
    assert_eq!(p.provider, "digitalocean");
    assert_eq!(
        p.provider_type_label.as_deref(),
        Some("Basic 1 GB / 1 vCPU / 25 GB")
    );
    assert_eq!(p.provider_prices[0].monthly.amount, "6.00");

    // Kept across a restart (the keyring survives; the app loads it).
    let secrets = t.secrets.clone();
    let t = reopen_with(t, secrets);
    let again = t.app.digitalocean_accounts().unwrap();
    assert_eq!(again.len(), 1);
    assert!(again[0].connected);
    let tested = t.app.test_digitalocean_account(&again[0].id).await.unwrap();
    assert!(tested.token_checked_at.is_some());

    // A revoked token: Test says so and what to do; the account stays.
    fake.revoke_token(&token);
    let (field, message) = field_error(
        t.app
            .test_digitalocean_account(&account.id)
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "token");
    assert!(message.contains("Replace token"), "{message}");
    let fresh = fake.create_token(FULL_ACCESS);
    t.app
        .replace_digitalocean_token(&account.id, &fresh)
        .await
        .unwrap();
    assert_eq!(
        cs_secrets::SecretStore::get(t.secrets.as_ref(), &key)
            .unwrap()
            .unwrap()
            .expose(),
        fresh
    );

    assert!(t
        .app
        .remove_digitalocean_account(&account.id)
        .unwrap()
        .is_empty());
    assert!(cs_secrets::SecretStore::get(t.secrets.as_ref(), &key)
        .unwrap()
        .is_none());
    assert_eq!(
        t.app
            .provider_catalogue("digitalocean")
            .await
            .unwrap_err()
            .code(),
        "unavailable"
    );
}

#[tokio::test]
async fn a_size_sold_in_some_regions_only_is_planned_only_there() {
    let s = connected().await;
    let c = s.t.app.provider_catalogue("digitalocean").await.unwrap();
    // The form learns where each size is sold.
    let general = c.types.iter().find(|x| x.id == "g-2vcpu-8gb").unwrap();
    assert_eq!(
        general.regions.as_deref(),
        Some(&["nyc3".to_string(), "fra1".into(), "lon1".into()][..])
    );

    // A plan offering it elsewhere is refused on `regions`, naming the regions.
    let e =
        s.t.app
            .create_plan(droplet_plan(
                "General",
                "g-2vcpu-8gb",
                &["fra1", "ams3", "sgp1"],
            ))
            .await
            .unwrap_err()
            .to_dto();
    assert_eq!(e.fields.len(), 1, "{e:?}");
    assert_eq!(e.fields[0].field, "regions");
    let m = &e.fields[0].message;
    assert!(
        m.contains("does not offer g-2vcpu-8gb in Amsterdam 3 (ams3), Singapore 1 (sgp1)")
            && m.contains("choose among nyc3, fra1, lon1")
            && !m.contains("fra1 ("),
        "{m}"
    );
    assert!(s
        .t
        .app
        .list_plans()
        .await
        .unwrap()
        .iter()
        .all(|p| p.name != "General"));

    // Where it is sold, the plan is made; moving it to a region without the
    // size is refused too.
    let plan =
        s.t.app
            .create_plan(droplet_plan("General", "g-2vcpu-8gb", &["fra1", "lon1"]))
            .await
            .unwrap();
    assert_eq!(plan.regions, ["fra1", "lon1"]);
    let (field, message) = field_error(
        s.t.app
            .update_plan(
                &plan.id,
                droplet_plan("General", "g-2vcpu-8gb", &["fra1", "syd1"]),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "regions");
    assert!(message.contains("Sydney 1 (syd1)"), "{message}");

    // A size DigitalOcean sells nowhere now cannot be planned at all.
    let (field, message) = field_error(
        s.t.app
            .create_plan(droplet_plan("Storage", "so-2vcpu-16gb", &["fra1"]))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "regions");
    assert!(message.contains("in no region now"), "{message}");

    // The Sandbox's types say nothing of regions: sold everywhere, as before.
    let sandbox = s.t.app.provider_catalogue("sandbox").await.unwrap();
    assert!(sandbox.types.iter().all(|t| t.regions.is_none()));
}

/// Closes the app and opens it again with the keyring `secrets`.
fn reopen_with(t: TestApp, secrets: std::sync::Arc<cs_secrets::MemorySecrets>) -> TestApp {
    let TestApp {
        app, clock, dir, ..
    } = t;
    drop(app);
    let events = std::sync::Arc::new(crate::Recorder::default());
    let app = crate::open(&dir, clock.clone(), events.clone(), secrets.clone()).unwrap();
    TestApp {
        app,
        secrets,
        clock,
        events,
        dir,
    }
}

#[tokio::test]
async fn a_server_lives_its_whole_life_on_digitalocean() {
    let s = connected().await;
    let t = &s.t;

    // A StackScript is refused where DigitalOcean has none.
    let e = t
        .app
        .create_server(
            input(&s, "do-bad"),
            CreateOptionsInput {
                stackscript_id: Some("1".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(e.fields[0].field, "stackscriptId", "{e:?}");

    let server = t
        .app
        .create_server(
            input(&s, "do-web-1"),
            CreateOptionsInput {
                account_id: Some(s.account.id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(server.provider, "digitalocean");
    assert_eq!(
        server.account_label.as_deref(),
        Some(s.account.label.as_str())
    );
    let droplet: u64 = server.provider_id.clone().unwrap().parse().unwrap();
    let user_data = s.fake.droplet_user_data(droplet).unwrap();
    assert!(
        user_data.starts_with("#cloud-config"),
        "the password goes through cloud-init"
    );
    wait_for(t, &server.id, "running").await;
    let detail = t.app.get_server(&server.id).unwrap();
    assert!(detail.server.ipv4.is_some());
    assert!(!detail.capabilities.set_root_password && !detail.capabilities.rescue);
    assert!(!detail.capabilities.rdns_per_address);
    assert!(detail
        .capabilities
        .notes
        .iter()
        .any(|n| n.topic == "network" && n.text.contains("server's name")));

    t.app
        .server_action(&server.id, ServerAction::Reboot)
        .await
        .unwrap();
    wait_for(t, &server.id, "running").await;

    // Stats: CPU and disk use, no per-server transfer.
    let stats = t.app.server_stats(&server.id).await.unwrap();
    assert!(stats.transfer_used_gb.is_none() && stats.transfer_quota_gb.is_none());
    let net = t.app.server_network(&server.id).await.unwrap();
    assert!(net.transfer_used_gb.is_none());
    assert!(net.addresses.iter().any(|a| a.kind == "ipv4" && a.public));

    // Reverse DNS comes from the name: setting it is refused, not broken.
    let ip = net
        .addresses
        .iter()
        .find(|a| a.kind == "ipv4")
        .unwrap()
        .address
        .clone();
    let e = t
        .app
        .set_server_rdns(&server.id, &ip, Some("mail.example.com".into()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "provider", "{e}");

    // Resizing needs the server off at DigitalOcean.
    let bigger = t
        .app
        .create_plan(PlanInput {
            monthly_price: "20.00".into(),
            hourly_price: "0.0298".into(),
            ..droplet_plan("Droplet 2 GB", "s-2vcpu-2gb", &["fra1"])
        })
        .await
        .unwrap();
    let e = t
        .app
        .resize_server(&server.id, &bigger.id)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert!(e.to_string().contains("shut server do-web-1 down"), "{e}");
    t.app
        .server_action(&server.id, ServerAction::Shutdown)
        .await
        .unwrap();
    wait_for(t, &server.id, "offline").await;
    // The password cannot be chosen at DigitalOcean: the capability said so.
    let e = t
        .app
        .reset_server_root_password(&server.id, "Another-Horse-7!")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "provider");
    let resized = t.app.resize_server(&server.id, &bigger.id).await.unwrap();
    assert_eq!(resized.plan_id, bigger.id);
    // While DigitalOcean resizes, the Droplet still reports its old size: that
    // is not a resize back made in its console, so the plan stays.
    for _ in 0..3 {
        t.app.reconcile_once(false).await.unwrap();
        assert_eq!(
            t.app.get_server(&server.id).unwrap().server.plan_id,
            bigger.id
        );
    }
    for _ in 0..100 {
        if s.fake.droplet_size(droplet).as_deref() == Some("s-2vcpu-2gb") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(s.fake.droplet_size(droplet).as_deref(), Some("s-2vcpu-2gb"));
    wait_for(t, &server.id, "offline").await;
    let d = t.app.get_server(&server.id).unwrap();
    assert_eq!(d.server.plan_id, bigger.id);
    assert!(
        !d.activity
            .iter()
            .any(|a| a.summary.contains("at the provider")),
        "a resize from the app is not reported as one made at the provider: {:?}",
        d.activity
    );
    t.app
        .server_action(&server.id, ServerAction::Boot)
        .await
        .unwrap();
    wait_for(t, &server.id, "running").await;

    // Rebuild keeps the SSH keys: credentials are refused, none is fine.
    let e = t
        .app
        .rebuild_server(
            &server.id,
            RebuildInput {
                image: "ubuntu-24-04-x64".into(),
                root_password: Some("Correct-Horse-9!".into()),
                ssh_key: None,
            },
        )
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(e.fields[0].field, "rootPassword", "{e:?}");
    t.app
        .rebuild_server(
            &server.id,
            RebuildInput {
                image: "ubuntu-24-04-x64".into(),
                root_password: None,
                ssh_key: None,
            },
        )
        .await
        .unwrap();
    wait_for(t, &server.id, "running").await;
    assert_eq!(
        t.app.get_server(&server.id).unwrap().server.image,
        "ubuntu-24-04-x64"
    );

    // Backups switched on are billed once the plan prices them.
    let e = t.app.enable_server_backups(&server.id).await.unwrap_err();
    assert!(e.to_string().contains("billed"), "{e}");

    // Deleted: gone at DigitalOcean, and the account can go.
    let e = t
        .app
        .remove_digitalocean_account(&s.account.id)
        .unwrap_err();
    assert_eq!(e.code(), "conflict");
    t.app.delete_server(&server.id).await.unwrap();
    wait_for(t, &server.id, "deleted").await;
    assert_eq!(s.fake.droplet_count(), 0);
    assert!(t
        .app
        .remove_digitalocean_account(&s.account.id)
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn deletions_and_resizes_in_digitaloceans_console_are_noticed_and_billing_follows() {
    let s = connected().await;
    let t = &s.t;
    assert_eq!(
        t.app.poll_events(ProviderKind::DigitalOcean).await.unwrap(),
        0,
        "the first poll only finds the feed's end"
    );
    let mut ids = vec![];
    for label in ["feed-a", "feed-b"] {
        let server = t
            .app
            .create_server(input(&s, label), Default::default())
            .await
            .unwrap();
        wait_for(t, &server.id, "running").await;
        ids.push(server);
    }
    let (a, b) = (&ids[0], &ids[1]);
    t.app.poll_events(ProviderKind::DigitalOcean).await.unwrap();
    let bigger = t
        .app
        .create_plan(PlanInput {
            monthly_price: "20.00".into(),
            hourly_price: "0.0298".into(),
            ..droplet_plan("Droplet 2 GB", "s-2vcpu-2gb", &["fra1"])
        })
        .await
        .unwrap();
    t.app.run_billing().await.unwrap();

    let da: u64 = a.provider_id.clone().unwrap().parse().unwrap();
    let db: u64 = b.provider_id.clone().unwrap().parse().unwrap();
    assert!(s.fake.console_delete(da));
    assert!(s.fake.console_resize(db, "s-2vcpu-2gb"));

    // Counted: the actions feed, then one Droplet GET per server it names.
    s.fake.clear_requests();
    let changed = t.app.poll_events(ProviderKind::DigitalOcean).await.unwrap();
    assert_eq!(changed, 2);
    let reqs = s.fake.requests();
    assert_eq!(
        reqs.iter().filter(|r| r.path == "/actions").count(),
        1,
        "{reqs:?}"
    );
    assert_eq!(reqs.len(), 3, "{reqs:?}");

    let sa = t.app.get_server(&a.id).unwrap();
    assert_eq!(sa.server.status, "deleted");
    assert!(
        sa.activity
            .iter()
            .any(|x| x.summary.contains("deleted outside the app")),
        "{:?}",
        sa.activity
    );
    let sb = t.app.get_server(&b.id).unwrap();
    assert_eq!(sb.server.provider_type, "s-2vcpu-2gb");
    assert_eq!(sb.server.status, "offline");
    assert_eq!(
        sb.server.plan_id, bigger.id,
        "billed on the plan that sells the new size"
    );
    assert!(
        sb.activity
            .iter()
            .any(|x| x.summary.contains("resized to s-2vcpu-2gb")
                && x.summary.contains("plan Droplet 2 GB")),
        "{:?}",
        sb.activity
    );
    let conn = cs_store::rusqlite::Connection::open(t.dir.path().join("cs.db")).unwrap();
    assert!(!cs_billing::meters::is_metered(&conn, a.id.parse().unwrap()).unwrap());
    assert_eq!(
        cs_billing::meters::current_plan(&conn, b.id.parse().unwrap())
            .unwrap()
            .unwrap()
            .to_string(),
        bigger.id
    );

    // Without the feed, the full pass notices too.
    let c = t
        .app
        .create_server(input(&s, "feed-c"), Default::default())
        .await
        .unwrap();
    wait_for(t, &c.id, "running").await;
    assert!(s
        .fake
        .console_delete(c.provider_id.clone().unwrap().parse().unwrap()));
    t.app.reconcile_once(true).await.unwrap();
    assert_eq!(t.app.get_server(&c.id).unwrap().server.status, "deleted");

    // A poll with nothing new costs one request.
    t.app.poll_events(ProviderKind::DigitalOcean).await.unwrap();
    s.fake.clear_requests();
    assert_eq!(
        t.app.poll_events(ProviderKind::DigitalOcean).await.unwrap(),
        0
    );
    assert_eq!(s.fake.requests().len(), 1, "{:?}", s.fake.requests());
}

#[tokio::test]
async fn a_customer_with_a_server_on_each_cloud_gets_one_invoice() {
    let s = connected().await; // 2026-01-31 10:30 UTC
    let t = &s.t;
    let linode = cs_fakes::linode::FakeLinode::start(cs_fakes::linode::FakeConfig {
        step: Duration::from_millis(60),
        ..Default::default()
    })
    .await
    .unwrap();
    let token = linode.create_token(&["*"]);
    t.app
        .add_linode_account(crate::linode::add(&token, Some(linode.api_url())))
        .await
        .unwrap();
    let nano = t
        .app
        .create_plan(crate::linode::nano_plan(&["eu-central"]))
        .await
        .unwrap();
    let on_linode = t
        .app
        .create_server(
            ServerInput {
                plan_id: nano.id.clone(),
                region: "eu-central".into(),
                image: "linode/debian12".into(),
                ..input(&s, "both-linode")
            },
            Default::default(),
        )
        .await
        .unwrap();
    let on_do = t
        .app
        .create_server(input(&s, "both-do"), Default::default())
        .await
        .unwrap();
    wait_for(t, &on_linode.id, "running").await;
    wait_for(t, &on_do.id, "running").await;
    t.app.run_billing().await.unwrap();
    t.clock.advance(Span::hours(15)); // 2026-02-01 01:30: January is invoiced
    t.app.run_billing().await.unwrap();

    let invoices = t
        .app
        .list_documents(DocumentFilterInput {
            organization_id: Some(s.org.id.clone()),
            kind: Some("invoice".into()),
            period: None,
        })
        .unwrap();
    assert_eq!(
        invoices.len(),
        1,
        "one invoice for both clouds: {invoices:?}"
    );
    let doc = t.app.get_document(&invoices[0].id).unwrap();
    assert_eq!(doc.summary.period.as_deref(), Some("2026-01"));
    let line = |label: &str| {
        doc.lines
            .iter()
            .find(|l| l.description.contains(label))
            .unwrap_or_else(|| panic!("no line for {label}: {:?}", doc.lines))
    };
    // 10:30 to midnight: 14 started hours each, at each plan's rate.
    let l = line("both-linode");
    assert_eq!(
        (
            l.hours.as_deref(),
            l.rate.as_ref().map(|r| r.amount.as_str()),
            l.amount.amount.as_str()
        ),
        (Some("14"), Some("0.0105"), "0.15")
    );
    let d = line("both-do");
    assert_eq!(
        (
            d.hours.as_deref(),
            d.rate.as_ref().map(|r| r.amount.as_str()),
            d.amount.amount.as_str()
        ),
        (Some("14"), Some("0.0134"), "0.19")
    );
    assert_eq!(doc.lines.len(), 2, "{:?}", doc.lines);
    assert_eq!(doc.summary.total.amount, "0.34");
    linode.shutdown().await;
}

/// A running server of the setup's plan (on fra1).
async fn running(s: &Setup, label: &str, options: CreateOptionsInput) -> ServerDto {
    let server =
        s.t.app
            .create_server(input(s, label), options)
            .await
            .unwrap();
    wait_for(&s.t, &server.id, "running").await;
    server
}

fn price(item: &str, mode: &str, value: &str) -> PriceVersionInput {
    let fixed = mode == "fixed";
    PriceVersionInput {
        item: item.into(),
        region: None,
        mode: mode.into(),
        markup_percent: (!fixed).then(|| value.into()),
        hourly_price: fixed.then(|| "0.006".into()),
        monthly_price: fixed.then(|| value.into()),
        effective_from: None,
    }
}

fn addon<'a>(list: &'a [ServerAddonDto], item: &str) -> &'a ServerAddonDto {
    list.iter().find(|a| a.item == item).unwrap()
}

#[tokio::test]
async fn backups_and_snapshots_on_a_droplet_are_listed_taken_restored_and_billed() {
    let s = connected().await;
    let server = running(&s, "do-backups-1", CreateOptionsInput::default()).await;
    let id = server.id.as_str();
    let droplet: u64 = server.provider_id.clone().unwrap().parse().unwrap();

    let b = s.t.app.server_backups(id).await.unwrap();
    assert!(!b.enabled && b.backups.is_empty());
    // No price for backups on the plan: refused before DigitalOcean is asked.
    let e = s.t.app.enable_server_backups(id).await.unwrap_err();
    assert_eq!(e.code(), "conflict", "{e}");
    assert!(s
        .fake
        .requests()
        .iter()
        .all(|r| !r.path.ends_with("/actions") || r.method != "POST"));

    assert_eq!(
        addon(&s.t.app.server_addons(id).unwrap(), "backups")
            .problem
            .as_deref(),
        Some("Plan Droplet 1 GB has no backups price: add a price rule for it before enabling the add-on")
    );

    // DigitalOcean's weekly backups are 20 % of $6.00: $1.20, marked up 25 %.
    s.t.app
        .add_price_version(&s.plan.id, price("backups", "markup", "25"))
        .await
        .unwrap();
    let b = s.t.app.enable_server_backups(id).await.unwrap();
    assert!(b.enabled);
    let addons = s.t.app.server_addons(id).unwrap();
    let backups = addon(&addons, "backups");
    assert!(backups.enabled && backups.at_provider);
    assert_eq!(backups.price.as_ref().unwrap().monthly.amount, "1.50");

    // A snapshot: pending at first, then listed as DigitalOcean made it.
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
    assert_eq!(
        (snap.kind.as_str(), snap.label.as_deref()),
        ("snapshot", Some("before-upgrade"))
    );
    let mut listed = None;
    for _ in 0..100 {
        let list = s.t.app.server_backups(id).await.unwrap();
        let snaps: Vec<&BackupDto> = list
            .backups
            .iter()
            .filter(|x| x.label.as_deref() == Some("before-upgrade"))
            .collect();
        assert!(snaps.len() <= 1, "one snapshot, listed once: {snaps:?}");
        if let Some(x) = snaps.first().filter(|x| x.status == "successful") {
            listed = Some((*x).clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let snapshot = listed.expect("the snapshot is listed as done");
    wait_for(&s.t, id, "running").await;

    // The nightly backup appears beside it.
    assert!(s.fake.run_nightly_backups() >= 1);
    let list = s.t.app.server_backups(id).await.unwrap();
    let backup = list
        .backups
        .iter()
        .find(|x| x.kind != "snapshot")
        .unwrap_or_else(|| panic!("a backup in {list:?}"))
        .clone();
    assert_eq!(backup.status, "successful");
    assert_eq!(list.backups.len(), 2, "{list:?}");

    // Restoring a backup: the server is provisioning until DigitalOcean is done.
    let restored = s.t.app.restore_server_backup(id, &backup.id).await.unwrap();
    assert_eq!(restored.status, "provisioning");
    wait_for(&s.t, id, "running").await;
    // And a snapshot (DigitalOcean rebuilds from it).
    let restored =
        s.t.app
            .restore_server_backup(id, &snapshot.id)
            .await
            .unwrap();
    assert_eq!(restored.status, "provisioning");
    wait_for(&s.t, id, "running").await;
    let e =
        s.t.app
            .restore_server_backup(id, "999999")
            .await
            .unwrap_err();
    assert_eq!(e.code(), "provider", "{e}");
    assert_eq!(s.fake.droplet_count(), 1, "restores made no new Droplet");
    let _ = droplet;

    // Cancelled: DigitalOcean stops them and billing stops after this hour.
    let b = s.t.app.cancel_server_backups(id).await.unwrap();
    assert!(!b.enabled && b.backups.is_empty());
    assert!(!addon(&s.t.app.server_addons(id).unwrap(), "backups").enabled);

    let d = s.t.app.get_server(id).unwrap();
    for action in [
        "server.backups_enabled",
        "server.snapshot_taken",
        "server.restoring",
        "server.backups_cancelled",
    ] {
        assert!(
            d.activity.iter().any(|a| a.action == action),
            "no {action} in {:?}",
            d.activity
        );
    }
}

#[tokio::test]
async fn an_extra_reserved_ip_is_added_and_billed_when_the_plan_prices_one() {
    let s = connected().await;
    let server = running(&s, "do-ip-1", CreateOptionsInput::default()).await;
    let id = server.id.as_str();
    let public_v4 = |n: &ServerNetworkDto| {
        n.addresses
            .iter()
            .filter(|a| a.kind == "ipv4" && a.public)
            .count()
    };
    assert_eq!(public_v4(&s.t.app.server_network(id).await.unwrap()), 1);

    // No IPv4 price on the plan: refused, nothing reserved at DigitalOcean.
    let e = s.t.app.add_server_ipv4(id).await.unwrap_err();
    assert_eq!(e.code(), "conflict", "{e}");
    assert!(e.to_string().contains("cannot be billed"), "{e}");
    assert_eq!(s.fake.request_count("POST", "/reserved_ips"), 0);

    // Priced (DigitalOcean gives no list price for it: a fixed price).
    s.t.app
        .add_price_version(&s.plan.id, price("ipv4", "fixed", "4.00"))
        .await
        .unwrap();
    let net = s.t.app.add_server_ipv4(id).await.unwrap();
    assert_eq!(public_v4(&net), 2, "{net:?}");
    let addons = s.t.app.server_addons(id).unwrap();
    let ipv4 = addon(&addons, "ipv4");
    assert!(ipv4.enabled, "{addons:?}");
    assert_eq!(ipv4.price.as_ref().unwrap().monthly.amount, "4.00");
    // Still there on a fresh read.
    assert_eq!(public_v4(&s.t.app.server_network(id).await.unwrap()), 2);

    // DigitalOcean allows one reserved IP per Droplet: a second is refused,
    // saying why, and nothing more is billed.
    let e = s.t.app.add_server_ipv4(id).await.unwrap_err();
    assert_eq!(e.code(), "conflict", "{e}");
    assert_eq!(public_v4(&s.t.app.server_network(id).await.unwrap()), 2);
    let d = s.t.app.get_server(id).unwrap();
    assert_eq!(
        d.activity
            .iter()
            .filter(|a| a.action == "server.ipv4_added")
            .count(),
        1
    );
}

fn rule(protocol: &str, ports: &str, addresses: &[&str]) -> FirewallRuleDto {
    FirewallRuleDto {
        label: String::new(),
        action: "ACCEPT".into(),
        protocol: protocol.into(),
        ports: ports.into(),
        addresses: addresses.iter().map(|a| a.to_string()).collect(),
    }
}

fn rules(inbound: Vec<FirewallRuleDto>) -> FirewallRulesDto {
    FirewallRulesDto {
        inbound_policy: "DROP".into(),
        outbound_policy: "ACCEPT".into(),
        inbound,
        outbound: vec![],
    }
}

#[tokio::test]
async fn cloud_firewalls_are_created_attached_replaced_and_detached() {
    let s = connected().await;
    let first = running(&s, "do-fw-1", CreateOptionsInput::default()).await;
    let id = first.id.as_str();

    // Created from the Firewall tab and attached at once.
    let f =
        s.t.app
            .create_server_firewall(
                id,
                NewFirewallInput {
                    label: "web-only".into(),
                    rules: rules(vec![
                        rule("tcp", "80, 443", &["0.0.0.0/0", "::/0"]),
                        rule("ICMP", "", &["0.0.0.0/0"]),
                    ]),
                    attach: true,
                },
            )
            .await
            .unwrap();
    assert!(f.can_detach);
    let fw = f
        .attached
        .iter()
        .find(|x| x.label == "web-only")
        .unwrap_or_else(|| panic!("attached at once: {f:?}"))
        .clone();
    assert_eq!(fw.instance_count, 1);
    assert_eq!(
        (
            fw.rules.inbound_policy.as_str(),
            fw.rules.outbound_policy.as_str()
        ),
        ("DROP", "ACCEPT")
    );
    let ports: Vec<(&str, &str)> = fw
        .rules
        .inbound
        .iter()
        .map(|r| (r.protocol.as_str(), r.ports.as_str()))
        .collect();
    assert_eq!(ports, [("TCP", "80"), ("TCP", "443"), ("ICMP", "")]);

    // A DROP rule cannot exist at DigitalOcean: refused, saying so, nothing changed.
    let mut drop = rule("TCP", "22", &["203.0.113.0/24"]);
    drop.action = "DROP".into();
    let e =
        s.t.app
            .set_firewall_rules(id, &fw.id, rules(vec![drop]))
            .await
            .unwrap_err();
    assert!(e.to_string().contains("only allow"), "{e}");

    // Rules replaced: the firewall keeps its Droplet.
    let replaced =
        s.t.app
            .set_firewall_rules(
                id,
                &fw.id,
                rules(vec![rule("TCP", "22", &["203.0.113.0/24"])]),
            )
            .await
            .unwrap();
    assert_eq!(replaced.rules.inbound.len(), 1);
    assert_eq!(replaced.rules.inbound[0].ports, "22");
    assert_eq!(replaced.rules.inbound[0].addresses, ["203.0.113.0/24"]);
    let f = s.t.app.server_firewalls(id).await.unwrap();
    assert_eq!(f.attached.len(), 1);
    assert_eq!(f.attached[0].rules.inbound[0].ports, "22");

    // A new server joins the firewall at creation.
    let offered =
        s.t.app
            .provider_firewalls(&format!("digitalocean:{}", s.account.id))
            .await
            .unwrap();
    assert!(offered.iter().any(|x| x.id == fw.id));
    let second = running(
        &s,
        "do-fw-2",
        CreateOptionsInput {
            firewall_id: Some(fw.id.clone()),
            ..Default::default()
        },
    )
    .await;
    let f2 = s.t.app.server_firewalls(&second.id).await.unwrap();
    assert_eq!(f2.attached.len(), 1, "{f2:?}");
    assert_eq!(f2.attached[0].id, fw.id);
    assert_eq!(f2.attached[0].instance_count, 2);
    // An unknown firewall is refused on its field before anything is created.
    let e =
        s.t.app
            .create_server(
                input(&s, "do-fw-3"),
                CreateOptionsInput {
                    firewall_id: Some("00000000-0000-0000-0000-000000000000".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err()
            .to_dto();
    assert_eq!(e.fields[0].field, "firewallId", "{e:?}");
    assert_eq!(s.fake.droplet_count(), 2);

    // Detached from the first server; the second keeps it.
    let f = s.t.app.detach_server_firewall(id, &fw.id).await.unwrap();
    assert!(f.attached.is_empty(), "{f:?}");
    assert!(f.available.iter().any(|x| x.id == fw.id));
    let f2 = s.t.app.server_firewalls(&second.id).await.unwrap();
    assert_eq!(f2.attached[0].instance_count, 1);
    // Detaching again says it is not attached.
    let e =
        s.t.app
            .detach_server_firewall(id, &fw.id)
            .await
            .unwrap_err();
    assert_eq!(e.code(), "conflict", "{e}");

    let d = s.t.app.get_server(id).unwrap();
    for action in [
        "firewall.created",
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
async fn graphs_show_cpu_network_and_disk_from_the_monitoring_endpoints() {
    let s = connected().await;
    let server = running(&s, "do-graphs-1", CreateOptionsInput::default()).await;
    let droplet: u64 = server.provider_id.clone().unwrap().parse().unwrap();
    // A Droplet has samples from its creation on: this one has run for a while.
    assert!(s
        .fake
        .backdate_droplet(droplet, Duration::from_secs(3 * 3600)));
    let stats = s.t.app.server_stats(&server.id).await.unwrap();
    let now = chrono::Utc::now().timestamp();
    for (name, series) in [
        ("cpu", &stats.cpu_percent),
        ("network in", &stats.network_in_bits_per_s),
        ("network out", &stats.network_out_bits_per_s),
        ("disk used", &stats.disk_used_percent),
    ] {
        assert!(!series.is_empty(), "no {name} points");
        assert!(
            series.windows(2).all(|w| w[0].t < w[1].t),
            "{name} in time order"
        );
        assert!(
            series
                .iter()
                .all(|p| i64::from(p.t) > now - 86_400 - 600 && i64::from(p.t) <= now + 60),
            "{name}: the last day"
        );
        assert!(
            series.iter().all(|p| p.v.is_finite() && p.v >= 0.0),
            "{name}: {series:?}"
        );
    }
    assert!(stats.cpu_percent.iter().all(|p| p.v <= 100.0), "one vCPU");
    assert!(stats.disk_used_percent.iter().all(|p| p.v <= 100.0));
    assert!(
        stats.network_in_bits_per_s.iter().any(|p| p.v > 0.0),
        "some traffic"
    );
    // DigitalOcean measures no disk I/O and no per-server transfer: empty, not zero.
    assert!(stats.disk_io_blocks_per_s.is_empty());
    assert!(stats.transfer_used_gb.is_none());
    for path in [
        "/monitoring/metrics/droplet/cpu",
        "/monitoring/metrics/droplet/bandwidth",
        "/monitoring/metrics/droplet/filesystem_free",
        "/monitoring/metrics/droplet/filesystem_size",
    ] {
        assert!(s.fake.request_count("GET", path) >= 1, "{path} asked");
    }
}
