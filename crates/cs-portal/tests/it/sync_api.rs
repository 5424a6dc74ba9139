//! The sync API over HTTP, against a portal on a real port.

use cs_sync::protocol::*;
use cs_sync::record::*;
use uuid::Uuid;

use crate::support::{databases_async, postgres_async, serve, start_time};

fn org(seq: u64) -> Envelope {
    Envelope::new(
        seq,
        start_time(),
        "org-1",
        Some("org-1".into()),
        &Record::Organization(OrganizationV1 {
            name: "Acme".into(),
            country: "DE".into(),
            tax_id: None,
            created_at: start_time(),
        }),
    )
}

async fn pair(client: &reqwest::Client, url: &str, portal: &cs_portal::Portal) -> PairResponse {
    let now = portal.now();
    let code = portal
        .db
        .run(true, move |tx| {
            let t = cs_portal::storage::tenants::create(tx, "acme", "Acme Cloud", now)?;
            cs_portal::storage::tenants::new_pairing_code(tx, &t.id, now)
        })
        .await
        .unwrap();
    let r = client
        .post(format!("{url}/sync/v1/pair"))
        .json(&PairRequest {
            code,
            desktop_name: "Acme desktop".into(),
            desktop_version: "0.1.0".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_push_status_and_refusals() {
    for (name, database, _dir) in databases_async().await {
        let portal = serve(&database).await;
        let client = reqwest::Client::new();
        let paired = pair(&client, &portal.url, &portal.portal).await;
        assert_eq!(paired.tenant, "acme", "{name}");
        assert!(
            !format!("{paired:?}").contains(&paired.token),
            "{name}: the token is redacted in Debug"
        );

        let stream = Uuid::from_u128(7);
        let body = PushRequest {
            protocol: PROTOCOL_VERSION,
            stream,
            after: 0,
            last: 1,
            records: vec![org(1)],
        };
        let push = |body: &PushRequest, token: &str| {
            client
                .post(format!("{}/sync/v1/push", portal.url))
                .bearer_auth(token)
                .json(body)
                .send()
        };
        let r = push(&body, &paired.token).await.unwrap();
        assert_eq!(r.status(), 200, "{name}");
        let answer: PushResponse = r.json().await.unwrap();
        assert_eq!(
            answer,
            PushResponse {
                stream,
                held_through: 1
            },
            "{name}"
        );

        // A wrong token, no token, bad JSON and an oversized body.
        let r = push(&body, "not-a-token").await.unwrap();
        assert_eq!(r.status(), 401, "{name}");
        let e: ErrorBody = r.json().await.unwrap();
        assert!(
            e.message.contains("pair the desktop again"),
            "{name}: {}",
            e.message
        );
        let r = client
            .post(format!("{}/sync/v1/push", portal.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{name}");
        let r = client
            .post(format!("{}/sync/v1/push", portal.url))
            .bearer_auth(&paired.token)
            .body("{\"protocol\": 1, \"records\": [")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{name}");
        let r = client
            .post(format!("{}/sync/v1/push", portal.url))
            .bearer_auth(&paired.token)
            .body(vec![b' '; MAX_PUSH_BYTES + 1])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413, "{name}");

        // A record of a newer version stops the tenant's sync, says so on
        // both sides, and writes nothing.
        let mut newer = org(2);
        newer.v = 2;
        let r = push(
            &PushRequest {
                after: 1,
                last: 2,
                records: vec![newer],
                ..body.clone()
            },
            &paired.token,
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 422, "{name}");
        let e: ErrorBody = r.json().await.unwrap();
        assert_eq!(e.code, ErrorCode::Unsupported, "{name}");
        let status: StatusResponse = client
            .get(format!("{}/sync/v1/status", portal.url))
            .bearer_auth(&paired.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(status.held_through, 1, "{name}");
        assert_eq!(
            status.stopped.map(|s| s.code),
            Some(ErrorCode::Unsupported),
            "{name}"
        );
        // A good push clears it.
        let r = push(
            &PushRequest {
                after: 1,
                last: 2,
                records: vec![org(2)],
                ..body.clone()
            },
            &paired.token,
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200, "{name}");
        let status: StatusResponse = client
            .get(format!("{}/sync/v1/status", portal.url))
            .bearer_auth(&paired.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!((status.held_through, status.stopped), (2, None), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_portal_processes_on_one_postgres_share_sync_state() {
    let database = postgres_async().await;
    let a = serve(&database).await;
    let b = serve(&database).await;
    let client = reqwest::Client::new();
    let paired = pair(&client, &a.url, &a.portal).await;
    let stream = Uuid::from_u128(9);
    let mut events = b.portal.db.subscribe();
    let r = client
        .post(format!("{}/sync/v1/push", a.url))
        .bearer_auth(&paired.token)
        .json(&PushRequest {
            protocol: PROTOCOL_VERSION,
            stream,
            after: 0,
            last: 1,
            records: vec![org(1)],
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The other process hears of it (LISTEN/NOTIFY) …
    let notice = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let n = events.recv().await.unwrap();
            if n.what == "organization" {
                return n;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(notice.org.as_deref(), Some("org-1"));
    // … and continues the stream where the first left it.
    let r = client
        .post(format!("{}/sync/v1/push", b.url))
        .bearer_auth(&paired.token)
        .json(&PushRequest {
            protocol: PROTOCOL_VERSION,
            stream,
            after: 0,
            last: 2,
            records: vec![org(1), org(2)],
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<PushResponse>().await.unwrap().held_through, 2);
}
