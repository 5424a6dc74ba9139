//! Several Linode accounts: two fake Linodes on different ports with
//! different users and tokens. Servers go to the account chosen, every
//! action and reconciliation follows the server's account (the two fakes
//! even hand out the same instance ids), removing an account with servers is
//! refused, removing one deletes its keyring secret, a token's expiry is read
//! and warned about, a token is replaced without losing the account. And the
//! single account of before migration 0009 becomes the first account, its
//! token moved to the new keyring key.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use cs_app::dto::*;
use cs_app::{App, AppConfig};
use cs_core::{Clock, FixedClock};
use cs_fakes::linode::{FakeConfig, FakeLinode};
use cs_provider::sandbox::Timing;
use cs_secrets::{MemorySecrets, SecretStore, SecretValue};

use crate::Recorder;

struct Env {
    app: App,
    clock: Arc<FixedClock>,
    secrets: Arc<MemorySecrets>,
    _dir: tempfile::TempDir,
}

fn open_at(dir: &std::path::Path, clock: Arc<FixedClock>, secrets: Arc<MemorySecrets>) -> App {
    App::open(AppConfig {
        database_path: dir.join("cs.db"),
        log_dir: dir.join("logs"),
        clock,
        events: Arc::new(Recorder::default()),
        secrets,
        sandbox_timing: Timing::uniform(chrono::Duration::seconds(3)),
        actor: "staff:owner".into(),
    })
    .unwrap()
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
    let secrets = Arc::new(MemorySecrets::default());
    let app = open_at(dir.path(), clock.clone(), secrets.clone());
    Env {
        app,
        clock,
        secrets,
        _dir: dir,
    }
}

fn add(token: &str, url: String, label: Option<&str>) -> AddLinodeAccountInput {
    AddLinodeAccountInput {
        token: token.into(),
        label: label.map(str::to_string),
        base_url: Some(url),
    }
}

async fn fake() -> FakeLinode {
    FakeLinode::start(FakeConfig {
        step: Duration::from_millis(100),
        ..FakeConfig::default()
    })
    .await
    .unwrap()
}

fn server(org: &OrganizationDto, plan: &PlanDto, label: &str) -> ServerInput {
    ServerInput {
        organization_id: org.id.clone(),
        plan_id: plan.id.clone(),
        label: label.into(),
        region: "eu-central".into(),
        image: "linode/debian12".into(),
        root_password: Some("Correct-Horse-9!".into()),
        ssh_key: None,
    }
}

fn on(account: &LinodeAccountDto) -> CreateOptionsInput {
    CreateOptionsInput {
        account_id: Some(account.id.clone()),
        ..CreateOptionsInput::default()
    }
}

async fn wait_status(app: &App, id: &str, want: &str) {
    let mut now = String::new();
    for _ in 0..150 {
        app.reconcile_once(false).await.unwrap();
        now = app.get_server(id).unwrap().server.status;
        if now == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server {id} is {now}, not {want}");
}

/// Linode's own API of one fake, as the reseller's console would use it.
async fn console(
    fake: &FakeLinode,
    token: &str,
    method: reqwest::Method,
    path: &str,
) -> reqwest::StatusCode {
    reqwest::Client::new()
        .request(method, format!("{}{path}", fake.api_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn two_linode_accounts_keep_their_servers_apart() {
    let (fake_a, fake_b) = (fake().await, fake().await);
    let e = env();
    let app = &e.app;
    let token_a = fake_a.create_token_for("alice", &["*"], None);
    let token_b = fake_b.create_token_for(
        "bob",
        &["*"],
        Some(e.clock.now() + chrono::Duration::days(5)),
    );

    let a = app
        .add_linode_account(add(&token_a, fake_a.api_url(), Some("EU resale")))
        .await
        .unwrap();
    let b = app
        .add_linode_account(add(&token_b, fake_b.api_url(), None))
        .await
        .unwrap();
    assert_eq!((a.label.as_str(), b.label.as_str()), ("EU resale", "bob"));
    assert_eq!(b.username.as_deref(), Some("bob"));
    // Each token in its own keyring key, never in SQLite.
    assert_eq!(
        e.secrets
            .get(&app.secret_keys().linode_token(&a.id))
            .unwrap()
            .unwrap()
            .expose(),
        token_a
    );
    assert_eq!(
        e.secrets
            .get(&app.secret_keys().linode_token(&b.id))
            .unwrap()
            .unwrap()
            .expose(),
        token_b
    );
    let db = std::fs::read(e._dir.path().join("cs.db")).unwrap();
    for t in [&token_a, &token_b] {
        assert!(
            !db.windows(t.len()).any(|w| w == t.as_bytes()),
            "a token reached SQLite"
        );
    }
    // The same user on the same API cannot be added twice; labels are unique.
    let again = fake_a.create_token_for("alice", &["*"], None);
    let err = app
        .add_linode_account(add(&again, fake_a.api_url(), None))
        .await
        .unwrap_err()
        .to_dto();
    assert!(
        err.message
            .contains("already connected as account “EU resale”"),
        "{}",
        err.message
    );
    let carol = fake_a.create_token_for("carol", &["*"], None);
    let err = app
        .add_linode_account(add(&carol, fake_a.api_url(), Some("bob")))
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(err.fields[0].field, "label");

    // Expiry: A never expires; B expires within 14 days and says what to do.
    assert!(a.token_expiry_known && a.token_expiry.is_none() && a.token_warning.is_none());
    assert!(b.token_expiry_known && b.token_expiry.is_some());
    let warning = b.token_warning.clone().expect("B expires within 14 days");
    assert!(
        warning.contains("expires in 5 days") && warning.contains("Replace token"),
        "{warning}"
    );
    // Each account has its own catalogue.
    assert!(a.catalogue.refreshed_at.is_some() && b.catalogue.refreshed_at.is_some());
    let info = app.info().unwrap();
    assert!(
        info.providers
            .iter()
            .any(|p| p.kind == "linode" && p.detail == "2 accounts: EU resale, bob"),
        "{:?}",
        info.providers
    );

    let org = app
        .create_organization(OrganizationInput {
            name: "Kestrel Oy".into(),
            contact_name: "Aino".into(),
            contact_email: "aino@example.fi".into(),
            country: "FI".into(),
            tax_id: None,
            ..Default::default()
        })
        .unwrap();
    let plan = app
        .create_plan(crate::linode::nano_plan(&["eu-central"]))
        .await
        .unwrap();

    // With two accounts the form must say which.
    let err = app
        .create_server(
            server(&org, &plan, "nowhere"),
            CreateOptionsInput::default(),
        )
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(err.fields[0].field, "accountId", "{err:?}");
    let err = app
        .create_server(
            server(&org, &plan, "nowhere"),
            CreateOptionsInput {
                account_id: Some("acc-nope".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(err.fields[0].field, "accountId");

    let sa = app
        .create_server(server(&org, &plan, "on-a"), on(&a))
        .await
        .unwrap();
    let sb = app
        .create_server(server(&org, &plan, "on-b"), on(&b))
        .await
        .unwrap();
    assert_eq!(
        (sa.account_label.as_deref(), sb.account_label.as_deref()),
        (Some("EU resale"), Some("bob"))
    );
    assert_eq!(
        app.list_servers()
            .unwrap()
            .iter()
            .find(|x| x.id == sb.id)
            .unwrap()
            .account_label
            .as_deref(),
        Some("bob")
    );
    assert_eq!(fake_a.instance_labels(), vec!["on-a".to_string()]);
    assert_eq!(fake_b.instance_labels(), vec!["on-b".to_string()]);
    // The two fakes number instances alike: only the account tells them apart.
    assert_eq!(
        sa.provider_id, sb.provider_id,
        "both fakes hand out the same first id"
    );
    wait_status(app, &sa.id, "running").await;
    wait_status(app, &sb.id, "running").await;

    // Actions follow the server's account.
    fake_a.clear_requests();
    fake_b.clear_requests();
    app.server_action(&sb.id, ServerAction::Reboot)
        .await
        .unwrap();
    assert_eq!(
        fake_a
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        0
    );
    assert_eq!(
        fake_b
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/reboot"))
            .count(),
        1
    );
    wait_status(app, &sb.id, "running").await;

    // Event cursors start; then A's console deletes A's instance (whose id B
    // also uses). Reconciliation closes A's server only.
    app.poll_events(cs_core::ProviderKind::Linode)
        .await
        .unwrap();
    let pid = sa.provider_id.clone().unwrap();
    assert!(console(
        &fake_a,
        &token_a,
        reqwest::Method::DELETE,
        &format!("/linode/instances/{pid}")
    )
    .await
    .is_success());
    let mut status = String::new();
    for _ in 0..100 {
        app.poll_events(cs_core::ProviderKind::Linode)
            .await
            .unwrap();
        app.reconcile_once(true).await.unwrap();
        status = app.get_server(&sa.id).unwrap().server.status;
        if status == "deleted" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "deleted");
    assert_eq!(
        app.get_server(&sb.id).unwrap().server.status,
        "running",
        "B's server with the same id is untouched"
    );
    assert_eq!(fake_b.instance_count(), 1);

    // Removing B is refused while its server lives; A (no servers) can go.
    let err = app.remove_linode_account(&b.id).unwrap_err().to_dto();
    assert_eq!(err.code, "conflict");
    assert!(
        err.message.contains("still has 1 server"),
        "{}",
        err.message
    );
    assert!(e
        .secrets
        .get(&app.secret_keys().linode_token(&b.id))
        .unwrap()
        .is_some());

    // B's token is revoked: Test says so; a token of another user is refused;
    // a new token of bob keeps the account and its server.
    fake_b.revoke_token(&token_b);
    let err = app.test_linode_account(&b.id).await.unwrap_err().to_dto();
    assert!(err.message.contains("Replace token"), "{}", err.message);
    let mallory = fake_b.create_token_for("mallory", &["*"], None);
    let err = app
        .replace_linode_token(&b.id, &mallory)
        .await
        .unwrap_err()
        .to_dto();
    assert!(
        err.message.contains("mallory") && err.message.contains("bob"),
        "{}",
        err.message
    );
    let fresh = fake_b.create_token_for("bob", &["*"], None);
    let b2 = app.replace_linode_token(&b.id, &fresh).await.unwrap();
    assert_eq!((b2.id.as_str(), b2.servers), (b.id.as_str(), 1));
    assert!(b2.token_warning.is_none() && b2.token_expiry.is_none() && b2.token_expiry_known);
    assert_eq!(
        e.secrets
            .get(&app.secret_keys().linode_token(&b.id))
            .unwrap()
            .unwrap()
            .expose(),
        fresh
    );
    app.server_action(&sb.id, ServerAction::Shutdown)
        .await
        .unwrap();
    wait_status(app, &sb.id, "offline").await;

    // Delete it, then B may go, with its secret.
    app.delete_server(&sb.id).await.unwrap();
    wait_status(app, &sb.id, "deleted").await;
    let left = app.remove_linode_account(&b.id).unwrap();
    assert_eq!(
        left.iter().map(|x| x.label.as_str()).collect::<Vec<_>>(),
        vec!["EU resale"]
    );
    assert!(
        e.secrets
            .get(&app.secret_keys().linode_token(&b.id))
            .unwrap()
            .is_none(),
        "the keyring secret is deleted"
    );
    // Its label is free again; the deleted server still names nothing live.
    assert_eq!(app.linode_accounts().unwrap().len(), 1);

    fake_a.shutdown().await;
    fake_b.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_is_shown_with_what_to_do() {
    let f = fake().await;
    let e = env();
    let expired = f.create_token_for(
        "dora",
        &["*"],
        Some(e.clock.now() + chrono::Duration::days(30)),
    );
    let a = e
        .app
        .add_linode_account(add(&expired, f.api_url(), None))
        .await
        .unwrap();
    assert!(a.token_warning.is_none(), "30 days away: no warning yet");
    e.clock.advance(chrono::Duration::days(20));
    let a = e.app.linode_accounts().unwrap().remove(0);
    assert!(
        a.token_warning
            .as_deref()
            .is_some_and(|w| w.contains("expires in 10 days")),
        "{:?}",
        a.token_warning
    );
    e.clock.advance(chrono::Duration::days(11));
    let a = e.app.linode_accounts().unwrap().remove(0);
    assert!(a.token_expired);
    assert!(
        a.token_warning
            .as_deref()
            .is_some_and(|w| w.contains("expired on") && w.contains("Replace token")),
        "{:?}",
        a.token_warning
    );
    f.shutdown().await;
}

#[tokio::test]
async fn the_single_account_of_before_0009_becomes_the_first_account_and_its_token_moves() {
    let f = fake().await;
    let token = f.create_token_for("reseller", &["*"], None);
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    {
        // A database as the single-account version left it (migrations up to 0008).
        // owner-exempt(settings): writes the rows of a database the version before migration 0009 left, in that version's schema
        // owner-exempt(organizations): the same database of before 0009
        // owner-exempt(plans): the same database of before 0009
        // owner-exempt(servers): the same database of before 0009, and its account after the upgrade
        // owner-exempt(provider_catalogue_refresh): the same database of before 0009
        // owner-exempt(provider_event_cursor): the same database of before 0009, and the cursor moved by the upgrade
        // owner-exempt(provider_accounts): the account the upgrade made out of the single one of before
        let mut conn = cs_store::rusqlite::Connection::open(dir.path().join("cs.db")).unwrap();
        let before: Vec<_> = cs_store::migrate::embedded()
            .into_iter()
            .filter(|m| m.version < 9)
            .collect();
        cs_store::migrate::apply_list(&mut conn, &before).unwrap();
        let detail = serde_json::json!({"username": "reseller", "email": "r@example.com", "restricted": false, "scopes": ["*"], "connected_at": "2026-02-01T10:00:00Z"});
        conn.execute_batch(&format!(
            "INSERT INTO settings (key, value) VALUES ('linode.account', 'reseller (all scopes)'), ('linode.account_detail', '{detail}'), ('linode.base_url', '{url}');
             INSERT INTO organizations (id, name, name_key, country, created_at, updated_at) VALUES ('00000000-0000-4000-8000-000000000001', 'Old Co', 'old co', 'DE', '2026-02-01T10:00:00Z', '2026-02-01T10:00:00Z');
             INSERT INTO plans (id, name, name_key, provider, provider_type, currency, monthly_minor, hourly_micros, created_at, updated_at) VALUES ('00000000-0000-4000-8000-000000000002', 'Nano', 'nano', 'linode', 'g6-nanode-1', 'USD', 700, 10500, '2026-02-01T10:00:00Z', '2026-02-01T10:00:00Z');
             INSERT INTO servers (id, organization_id, plan_id, label, provider, provider_id, provider_type, region, image, status, created_at, updated_at) VALUES ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', 'old-web', 'linode', '4242', 'g6-nanode-1', 'eu-central', 'linode/debian12', 'running', '2026-02-01T10:00:00Z', '2026-02-01T10:00:00Z');
             INSERT INTO provider_catalogue_refresh (provider, refreshed_at, attempted_at, last_error) VALUES ('linode', '2026-02-01T10:00:00Z', '2026-02-01T10:00:00Z', NULL);
             INSERT INTO provider_event_cursor (provider, last_event_id, updated_at) VALUES ('linode', 77, '2026-02-01T10:00:00Z');",
            url = f.api_url()
        ))
        .unwrap();
    }
    let secrets = Arc::new(MemorySecrets::default());
    secrets
        .set(
            cs_app::secrets::legacy::LINODE_TOKEN,
            &SecretValue::new(token.clone()),
        )
        .unwrap();
    let app = open_at(dir.path(), Arc::new(FixedClock::new(now)), secrets.clone());

    let accounts = app.linode_accounts().unwrap();
    assert_eq!(accounts.len(), 1);
    let a = &accounts[0];
    assert_eq!(
        (a.label.as_str(), a.username.as_deref(), a.email.as_deref()),
        ("reseller", Some("reseller"), Some("r@example.com"))
    );
    assert_eq!(a.base_url.as_deref(), Some(f.api_url().as_str()));
    assert_eq!(a.scopes, vec!["*".to_string()]);
    assert!(a.connected, "the token was found under its new key");
    assert_eq!(a.servers, 1, "the old server lives on it");
    assert!(
        a.catalogue.refreshed_at.is_some(),
        "the cached catalogue moved with it"
    );
    // The token moved: read once from the old key, now only under the new one.
    assert!(secrets
        .get(cs_app::secrets::legacy::LINODE_TOKEN)
        .unwrap()
        .is_none());
    assert_eq!(
        secrets
            .get(&app.secret_keys().linode_token(&a.id))
            .unwrap()
            .unwrap()
            .expose(),
        token
    );
    let conn = cs_store::rusqlite::Connection::open(dir.path().join("cs.db")).unwrap();
    let (on, legacy): (String, i64) =
        conn.query_row("SELECT s.account_id, a.legacy_token FROM servers s JOIN provider_accounts a ON a.id = s.account_id WHERE s.label = 'old-web'", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((on.as_str(), legacy), (a.id.as_str(), 0));
    let cursor: i64 = conn
        .query_row(
            "SELECT last_event_id FROM provider_event_cursor WHERE provider = ?1",
            [format!("linode:{}", a.id)],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(cursor, 77);
    let old_keys: i64 = conn
        .query_row(
            "SELECT count(*) FROM settings WHERE key LIKE 'linode.%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old_keys, 0);
    // And it works: Test reads the token's expiry from the fake.
    let tested = app.test_linode_account(&a.id).await.unwrap();
    assert!(tested.token_expiry_known && tested.token_checked_at.is_some());
    drop(app);

    // A second start does not look for the old key again.
    let app = open_at(dir.path(), Arc::new(FixedClock::new(now)), secrets.clone());
    assert!(app.linode_accounts().unwrap()[0].connected);
    f.shutdown().await;
}

#[tokio::test]
async fn linode_servers_left_without_an_account_join_the_first_account_connected() {
    let f = fake().await;
    let dir = tempfile::tempdir().unwrap();
    {
        // Before 0009 the account was disconnected while a server lived on it.
        let mut conn = cs_store::rusqlite::Connection::open(dir.path().join("cs.db")).unwrap();
        let before: Vec<_> = cs_store::migrate::embedded()
            .into_iter()
            .filter(|m| m.version < 9)
            .collect();
        cs_store::migrate::apply_list(&mut conn, &before).unwrap();
        conn.execute_batch(
            "INSERT INTO organizations (id, name, name_key, country, created_at, updated_at) VALUES ('00000000-0000-4000-8000-000000000001', 'Old Co', 'old co', 'DE', '2026-02-01T10:00:00Z', '2026-02-01T10:00:00Z');
             INSERT INTO plans (id, name, name_key, provider, provider_type, currency, monthly_minor, hourly_micros, created_at, updated_at) VALUES ('00000000-0000-4000-8000-000000000002', 'Nano', 'nano', 'linode', 'g6-nanode-1', 'USD', 700, 10500, '2026-02-01T10:00:00Z', '2026-02-01T10:00:00Z');
             INSERT INTO servers (id, organization_id, plan_id, label, provider, provider_id, provider_type, region, image, status, created_at, updated_at) VALUES ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', 'old-web', 'linode', '4242', 'g6-nanode-1', 'eu-central', 'linode/debian12', 'running', '2026-02-01T10:00:00Z', '2026-02-01T10:00:00Z');",
        )
        .unwrap();
    }
    let secrets = Arc::new(MemorySecrets::default());
    let app = open_at(
        dir.path(),
        Arc::new(FixedClock::new(chrono::Utc::now())),
        secrets,
    );
    assert!(app.linode_accounts().unwrap().is_empty());
    let token = f.create_token(&["*"]);
    let a = app
        .add_linode_account(add(&token, f.api_url(), None))
        .await
        .unwrap();
    assert_eq!(
        a.servers, 1,
        "the orphaned server lives on the account connected again"
    );
    // A second account takes nothing.
    let other = f.create_token_for("second", &["*"], None);
    let b = app
        .add_linode_account(add(&other, f.api_url(), None))
        .await
        .unwrap();
    assert_eq!(b.servers, 0);
    f.shutdown().await;
}

#[tokio::test]
async fn an_api_root_that_only_looks_local_is_refused_and_a_custom_one_is_warned_about() {
    let f = fake().await;
    let e = env();
    let token = f.create_token_for("alice", &["*"], None);
    // The fake listens on 127.0.0.1:<port>; these roots start like a local
    // address but name another host (or carry credentials for one).
    let port = f.api_url().rsplit(':').next().unwrap().to_string();
    for root in [
        format!("http://localhost@evil.example/{port}"),
        "http://localhost.evil.example/v4".to_string(),
        "http://127.0.0.1.evil.example/v4".to_string(),
        "http://evil.example/v4".to_string(),
    ] {
        let err = e
            .app
            .add_linode_account(add(&token, root.clone(), None))
            .await
            .unwrap_err()
            .to_dto();
        assert_eq!(err.code, "validation", "{root}: {err:?}");
        assert_eq!(err.fields[0].field, "baseUrl", "{root}: {err:?}");
    }
    assert!(e.app.linode_accounts().unwrap().is_empty());

    // A root of this computer (the fake) is allowed, and the account says,
    // for as long as it exists, where its token goes.
    let a = e
        .app
        .add_linode_account(add(&token, f.api_url(), None))
        .await
        .unwrap();
    let w = a
        .api_root_warning
        .expect("a custom API root is warned about");
    assert!(w.contains(&f.api_url()), "{w}");
    let again = e.app.linode_accounts().unwrap();
    assert!(again[0].api_root_warning.is_some());
}
