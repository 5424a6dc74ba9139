//! The app on a Linode account, against the stateful fake Linode over real
//! HTTP on loopback: the token is checked (an under-scoped one is refused
//! with the scopes to add), kept in the secret store and never in SQLite, and
//! a server on a Linode plan lives its life.

use std::time::Duration;

use cs_app::dto::*;
use cs_fakes::linode::{FakeConfig, FakeLinode};

use crate::TestApp;

#[tokio::test]
async fn a_linode_account_is_checked_kept_in_the_keyring_and_sells_servers() {
    let fake = FakeLinode::start(FakeConfig {
        step: Duration::from_millis(150),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let t = TestApp::new();

    let err = t
        .app
        .add_linode_account(add("", None))
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(err.fields[0].field, "token");
    let limited = fake.create_token(&["linodes:read_only"]);
    let err = t
        .app
        .add_linode_account(add(&limited, Some(fake.api_url())))
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(err.fields[0].field, "token");
    assert!(
        err.message.contains("linodes:read_write"),
        "{}",
        err.message
    );
    assert!(
        !err.message.contains(&limited),
        "the token never appears in a message"
    );

    let token = fake.create_token(&["*"]);
    let account = t
        .app
        .add_linode_account(add(&token, Some(fake.api_url())))
        .await
        .unwrap();
    assert!(account.connected);
    assert_eq!(account.label, "reseller", "the Linode username by default");
    assert!(
        account.token_expiry_known && account.token_expiry.is_none(),
        "the fake's token never expires"
    );
    let bytes = std::fs::read(t.dir.path().join("cs.db")).unwrap();
    assert!(
        !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token is not in SQLite"
    );

    let catalogue = t.app.provider_catalogue("linode").await.unwrap();
    let nanode = catalogue
        .types
        .iter()
        .find(|x| x.id == "g6-nanode-1")
        .unwrap();
    assert_eq!(
        (
            nanode.monthly.amount.as_str(),
            nanode.hourly.amount.as_str()
        ),
        ("5.00", "0.0075")
    );

    let org = t.customer("Ёлкин Пётр", "petr@example.ru");
    let plan = t.app.create_plan(nano_plan(&["eu-central"])).await.unwrap();
    let s = t
        .app
        .create_server(
            ServerInput {
                organization_id: org.id.clone(),
                plan_id: plan.id.clone(),
                label: "linode-web-1".into(),
                region: "eu-central".into(),
                image: "linode/debian12".into(),
                root_password: Some("Correct-Horse-9!".into()),
                ssh_key: None,
            },
            Default::default(),
        )
        .await
        .unwrap();
    assert!(s.provider_id.is_some());
    let mut status = String::new();
    for _ in 0..100 {
        t.app.reconcile_once(false).await.unwrap();
        status = t.app.get_server(&s.id).unwrap().server.status;
        if status == "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "running");
    t.app.delete_server(&s.id).await.unwrap();
    for _ in 0..100 {
        t.app.reconcile_once(false).await.unwrap();
        status = t.app.get_server(&s.id).unwrap().server.status;
        if status == "deleted" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "deleted");

    assert!(t.app.remove_linode_account(&account.id).unwrap().is_empty());
    assert!(
        !t.app
            .info()
            .unwrap()
            .providers
            .iter()
            .find(|p| p.kind == "linode")
            .unwrap()
            .connected
    );
    assert_eq!(
        t.app.provider_catalogue("linode").await.unwrap_err().code(),
        "unavailable"
    );
}

pub fn add(token: &str, base_url: Option<String>) -> AddLinodeAccountInput {
    AddLinodeAccountInput {
        token: token.into(),
        label: None,
        base_url,
    }
}

/// The plan the Linode tests sell: a Nanode at $7.00 a month ($0.0105 an hour).
pub fn nano_plan(regions: &[&str]) -> PlanInput {
    PlanInput {
        name: "Nano".into(),
        provider: "linode".into(),
        provider_type: "g6-nanode-1".into(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        monthly_price: "7.00".into(),
        hourly_price: "0.0105".into(),
    }
}
