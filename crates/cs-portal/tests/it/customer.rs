//! What a signed-in customer sees, end to end over HTTP on both databases:
//! the dashboard, servers, documents with their PDF and UBL files, the
//! wallet, roles, changes the desktop pushes, and live updates.

use std::time::Duration as StdDuration;

use cs_sync::record::{ContactRole, Kind, ServerStatusV1};
use futures_util::StreamExt;
use serde_json::json;

use crate::support::{databases_async, postgres_async, serve};
use crate::world::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sees_servers_documents_and_the_wallet_of_its_organization() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let (logo_rec, logo_id) = logo(png([10, 124, 255]));
        w.push(vec![
            logo_rec,
            branding("Acme Cloud", "#0A7CFF", Some(&logo_id)),
        ])
        .await;
        let a = w.customer("org-a", "ada", ContactRole::Admin).await;
        w.push(vec![
            server("org-a", "s-web", "web-1", ServerStatusV1::Running),
            server("org-a", "s-db", "db-1", ServerStatusV1::Offline),
            server("org-a", "s-new", "app-1", ServerStatusV1::Provisioning),
            server("org-a", "s-gone", "old-1", ServerStatusV1::Deleted),
            wallet("org-a", 12_345),
            transaction("org-a", "t-1", 0, "Top-up", 5_000),
            transaction("org-a", "t-2", 60, "Usage of 7 December", -120),
            invoice(
                "org-a",
                "d-1",
                "INV-2026-000041",
                30,
                "Ada Ltd",
                1_000,
                Some(&logo_id),
            ),
            receipt("org-a", "d-2", "RCT-2026-000007", 29, 5_000),
        ])
        .await;

        let d = a.get("/api/v1/dashboard").await;
        assert_eq!(d.status, 200, "{name}: {}", d.text);
        assert_eq!(
            d.json["servers"],
            json!({ "total": 3, "running": 1, "stopped": 1, "other": 1 }),
            "{name}"
        );
        assert_eq!(
            d.json["wallet"]["balance"],
            json!({ "minor": "12345", "currency": "EUR" }),
            "{name}"
        );
        let recent: Vec<&str> = d.json["recentDocuments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["number"].as_str().unwrap())
            .collect();
        assert_eq!(recent, ["INV-2026-000041", "RCT-2026-000007"], "{name}");

        let s = a.get("/api/v1/servers").await;
        let labels: Vec<&str> = s
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["label"].as_str().unwrap())
            .collect();
        assert_eq!(
            labels,
            ["app-1", "db-1", "web-1"],
            "{name}: by label, deleted ones left out"
        );
        let web = a.get("/api/v1/servers/s-web").await;
        assert_eq!(
            web.json,
            json!({
                "id": "s-web", "label": "web-1", "status": "running", "plan": "Nano 1 GB", "region": "eu-central", "image": "debian-12", "ipv4": "192.0.2.10", "createdAt": "2026-12-07T09:00:00Z",
                "actions": [],
                "desktop": { "online": true, "lastSeenAt": "2026-12-07T09:00:00Z", "holdMinutes": 60 },
            }),
            "{name}"
        );
        assert_eq!(a.get("/api/v1/servers/s-gone").await.status, 404, "{name}");

        let doc = a.get("/api/v1/documents/d-1").await;
        assert_eq!(doc.status, 200, "{name}: {}", doc.text);
        assert_eq!(doc.json["kind"], "invoice", "{name}");
        assert_eq!(doc.json["status"], "paid", "{name}");
        assert_eq!(
            doc.json["total"],
            json!({ "minor": "1190", "currency": "EUR" }),
            "{name}"
        );
        assert_eq!(doc.json["lines"][0]["amount"]["minor"], "1000", "{name}");
        assert_eq!(doc.json["taxBreakdown"][0]["tax"]["minor"], "190", "{name}");
        assert_eq!(doc.json["hasUbl"], true, "{name}");

        let pdf = a.get("/api/v1/documents/d-1/pdf").await;
        assert_eq!(pdf.status, 200, "{name}: {}", pdf.text);
        assert_eq!(pdf.header("content-type"), "application/pdf", "{name}");
        assert_eq!(
            pdf.header("content-disposition"),
            "attachment; filename=\"INV-2026-000041.pdf\"",
            "{name}"
        );
        assert_eq!(pdf.header("x-content-type-options"), "nosniff", "{name}");
        let bytes = a
            .client
            .get(format!("{}/api/v1/documents/d-1/pdf", w.url()))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{name}");
        // The logo comes from the tenant's logo record: the receipt has none.
        let plain = a
            .client
            .get(format!("{}/api/v1/documents/d-2/pdf", w.url()))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let has_image = |b: &[u8]| {
            b.windows(14)
                .any(|x| x == b"/Subtype/Image" || x == b"/Subtype /Imag")
        };
        assert!(
            has_image(&bytes) && !has_image(&plain),
            "{name}: the invoice prints the logo, the receipt does not"
        );

        let ubl = a.get("/api/v1/documents/d-1/ubl").await;
        assert_eq!(
            (ubl.status, ubl.header("content-type")),
            (200, "application/xml"),
            "{name}: {}",
            ubl.text
        );
        assert_eq!(
            ubl.header("content-disposition"),
            "attachment; filename=\"INV-2026-000041.xml\"",
            "{name}"
        );
        assert!(
            ubl.text.contains("<cbc:ID>INV-2026-000041</cbc:ID>"),
            "{name}: {}",
            &ubl.text[..300.min(ubl.text.len())]
        );
        let r = a.get("/api/v1/documents/d-2/ubl").await;
        assert_eq!(
            (r.status, r.code()),
            (404, "not_found"),
            "{name}: a receipt has no UBL form"
        );

        let wallet = a.get("/api/v1/wallet").await;
        assert_eq!(
            wallet.json,
            json!({ "balance": { "minor": "12345", "currency": "EUR" }, "lowBalanceThreshold": { "minor": "500", "currency": "EUR" }, "state": "good", "asOf": "2026-12-07T09:00:00Z" }),
            "{name}"
        );
        let t = a.get("/api/v1/wallet/transactions").await;
        assert_eq!(
            t.json["items"][0]["memo"], "Usage of 7 December",
            "{name}: newest first"
        );
        assert_eq!(t.json["items"][0]["amount"]["minor"], "-120", "{name}");
        assert!(t.json.get("next").is_none(), "{name}");

        // Branding and logo are public.
        let v = w.browser();
        let b = v.get("/api/v1/t/acme/branding").await;
        assert_eq!(
            b.json,
            json!({ "tenant": "acme", "name": "Acme Cloud", "accent": "#0a7cff", "logoUrl": format!("/api/v1/t/acme/logo/{logo_id}"), "email": "help@reseller.example", "website": "https://reseller.example" }),
            "{name}"
        );
        let l = v.get(&format!("/api/v1/t/acme/logo/{logo_id}")).await;
        assert_eq!(
            (l.status, l.header("content-type")),
            (200, "image/png"),
            "{name}"
        );
        assert!(l.header("cache-control").contains("immutable"), "{name}");
        assert_eq!(v.get("/api/v1/t/nope/branding").await.status, 404, "{name}");
        assert_eq!(
            v.get("/api/v1/t/acme/logo/0000").await.status,
            404,
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_lists_come_in_pages_newest_first() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Billing).await;
        let mut records = Vec::new();
        for i in 0..120u32 {
            records.push(invoice(
                "org-a",
                &format!("d-{i:03}"),
                &format!("INV-2026-{i:06}"),
                1 + i % 28,
                "Ada Ltd",
                100,
                None,
            ));
            records.push(transaction(
                "org-a",
                &format!("t-{i:03}"),
                i64::from(i),
                &format!("memo {i}"),
                100,
            ));
        }
        w.push(records).await;
        for (path, key) in [
            ("/api/v1/documents", "number"),
            ("/api/v1/wallet/transactions", "memo"),
        ] {
            let mut seen = Vec::new();
            let mut next: Option<String> = None;
            let mut pages = 0;
            loop {
                let url = match &next {
                    Some(c) => format!("{path}?before={c}"),
                    None => path.to_string(),
                };
                let page = a.get(&url).await;
                assert_eq!(page.status, 200, "{name}: {}", page.text);
                pages += 1;
                seen.extend(
                    page.json["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x[key].as_str().unwrap().to_string()),
                );
                match page.json["next"].as_str() {
                    Some(c) => next = Some(c.to_string()),
                    None => break,
                }
            }
            assert_eq!((pages, seen.len()), (3, 120), "{name}: {path}");
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), 120, "{name}: {path}: no item twice");
            if key == "memo" {
                assert_eq!(seen[0], "memo 119", "{name}");
                assert_eq!(seen[119], "memo 0", "{name}");
            }
        }
        let r = a.get("/api/v1/documents?before=%%%").await;
        assert_eq!(
            (r.status, r.json["fields"]["before"].is_string()),
            (400, true),
            "{name}: {}",
            r.text
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_decide_what_each_contact_sees_and_follow_the_desktop() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let member = w.customer("org-a", "max", ContactRole::Member).await;
        let billing = w.customer("org-a", "bea", ContactRole::Billing).await;
        w.push(vec![
            server("org-a", "s-1", "web-1", ServerStatusV1::Running),
            wallet("org-a", 100),
            invoice("org-a", "d-1", "INV-2026-000001", 3, "Org A", 100, None),
        ])
        .await;
        for path in [
            "/api/v1/documents",
            "/api/v1/documents/d-1",
            "/api/v1/documents/d-1/pdf",
            "/api/v1/wallet",
            "/api/v1/wallet/transactions",
        ] {
            let r = member.get(path).await;
            assert_eq!(
                (r.status, r.code()),
                (403, "forbidden"),
                "{name}: member {path}"
            );
        }
        for path in ["/api/v1/servers", "/api/v1/servers/s-1"] {
            let r = billing.get(path).await;
            assert_eq!(
                (r.status, r.code()),
                (403, "forbidden"),
                "{name}: billing {path}"
            );
            assert_eq!(member.get(path).await.status, 200, "{name}: member {path}");
        }
        let d = member.get("/api/v1/dashboard").await;
        assert_eq!(d.json["servers"]["total"], 1, "{name}");
        assert!(
            d.json.get("wallet").is_none() && d.json["recentDocuments"] == json!([]),
            "{name}: {}",
            d.text
        );
        let d = billing.get("/api/v1/dashboard").await;
        assert!(d.json.get("servers").is_none(), "{name}: {}", d.text);
        assert_eq!(d.json["wallet"]["balance"]["minor"], "100", "{name}");

        // The desktop makes Max a billing contact: it applies at once.
        w.push(vec![contact(
            "org-a",
            "max",
            "Max Person",
            "max@org-a.example",
            ContactRole::Billing,
        )])
        .await;
        assert_eq!(
            member.get("/api/v1/servers").await.code(),
            "forbidden",
            "{name}"
        );
        assert_eq!(member.get("/api/v1/wallet").await.status, 200, "{name}");
        assert_eq!(
            member.get("/api/v1/session").await.json["account"]["role"],
            "billing",
            "{name}"
        );

        // The desktop removes Bea: her account closes and her session ends.
        w.push(vec![tombstone(Kind::Contact, "bea", Some("org-a"))])
            .await;
        assert_eq!(
            billing.get("/api/v1/wallet").await.code(),
            "signed_out",
            "{name}"
        );
        let mut again = w.browser();
        assert_eq!(
            again
                .sign_in("acme", "bea@org-a.example", PASSWORD)
                .await
                .code(),
            "invalid_credentials",
            "{name}"
        );
        let closed = w
            .portal
            .portal
            .db
            .run(false, |tx| {
                tx.query_one(
                    "SELECT count(*) FROM sessions s JOIN accounts a ON a.id = s.account_id
                     WHERE a.disabled_at IS NOT NULL AND s.revoked_at IS NULL",
                    &[],
                )?
                .int(0)
            })
            .await
            .unwrap();
        assert_eq!(
            closed, 0,
            "{name}: the closed account's sessions are revoked"
        );
    }
}

/// Reads an event stream until `want` events arrived or `wait` passed.
async fn read_events(r: reqwest::Response, want: usize, wait: StdDuration) -> (Vec<String>, bool) {
    let mut stream = r.bytes_stream();
    let mut text = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    let mut ended = false;
    while events.len() < want {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(chunk))) => {
                text.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(i) = text.find("\n\n") {
                    let block: String = text.drain(..i + 2).collect();
                    if block.contains("event: change") {
                        let data = block
                            .lines()
                            .find_map(|l| l.strip_prefix("data: "))
                            .unwrap_or("")
                            .to_string();
                        events.push(data);
                    }
                }
            }
            Ok(None) | Ok(Some(Err(_))) => {
                ended = true;
                break;
            }
            Err(_) => break,
        }
    }
    (events, ended)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_updates_carry_the_callers_changes_only_and_end_with_the_session() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let member = w.customer("org-a", "max", ContactRole::Member).await;
        w.customer("org-b", "bob", ContactRole::Admin).await;
        let stream = member
            .client
            .get(format!("{}/api/v1/events", w.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), 200, "{name}");
        assert_eq!(
            stream.headers()["content-type"],
            "text/event-stream",
            "{name}"
        );
        // Another organization's server, a wallet the member may not see,
        // then the member's own server and the tenant's branding.
        w.push(vec![server("org-b", "s-b", "b-1", ServerStatusV1::Running)])
            .await;
        w.push(vec![wallet("org-a", 5)]).await;
        w.push(vec![server("org-a", "s-a", "a-1", ServerStatusV1::Booting)])
            .await;
        w.push(vec![branding("Acme", "#112233", None)]).await;
        let (events, _) = read_events(stream, 2, StdDuration::from_secs(10)).await;
        assert_eq!(
            events,
            [r#"{"what":"server"}"#, r#"{"what":"branding"}"#],
            "{name}"
        );

        // Signing out ends the stream at its next check.
        let stream = member
            .client
            .get(format!("{}/api/v1/events", w.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            member.post("/api/v1/sign-out", json!({})).await.status,
            204,
            "{name}"
        );
        let (events, ended) = read_events(stream, 1, StdDuration::from_secs(10)).await;
        assert!(events.is_empty() && ended, "{name}: {events:?}");
        let r = member
            .client
            .get(format!("{}/api/v1/events", w.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_to_one_portal_process_reaches_a_browser_on_another() {
    let database = postgres_async().await;
    let w = World::new(&database, "acme", true).await;
    let a = w.customer("org-a", "ada", ContactRole::Admin).await;
    let other = serve(&database).await;
    other.clock.set(w.portal.portal.now());
    // The same session cookie, on the other process.
    let b = Browser::new(&other.url);
    let session = a.cookie("cs_session").unwrap();
    b.jar.add_cookie_str(
        &format!("cs_session={session}"),
        &other.url.parse().unwrap(),
    );
    let stream = b
        .client
        .get(format!("{}/api/v1/events", other.url))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    // The other process starts listening on its own thread: push until it
    // hears (a notice sent before it listens is not kept by PostgreSQL).
    let pushes = async {
        for _ in 0..50 {
            w.push(vec![server("org-a", "s-a", "a-1", ServerStatusV1::Running)])
                .await;
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
    };
    let (events, _) = tokio::select! {
        got = read_events(stream, 1, StdDuration::from_secs(10)) => got,
        _ = pushes => (Vec::new(), false),
    };
    assert_eq!(events, [r#"{"what":"server"}"#]);
    let list = b.get("/api/v1/servers").await;
    assert_eq!(list.json[0]["status"], "running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_moved_to_another_organization_sees_that_one_only() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Admin).await;
        w.push(vec![
            organization("org-b", "Org B"),
            server("org-a", "s-a", "a-1", ServerStatusV1::Running),
            server("org-b", "s-b", "b-1", ServerStatusV1::Running),
        ])
        .await;
        assert_eq!(
            a.get("/api/v1/servers").await.json[0]["id"],
            "s-a",
            "{name}"
        );
        // The desktop moves Ada's contact record to org-b.
        w.push(vec![
            tombstone(Kind::Contact, "ada", Some("org-a")),
            contact(
                "org-b",
                "ada",
                "Ada Person",
                "ada@org-a.example",
                ContactRole::Admin,
            ),
        ])
        .await;
        // (A tombstone closes the account: a move is the same entity
        // pushed with its new organization, without a tombstone.)
        assert_eq!(
            a.get("/api/v1/session").await.code(),
            "signed_out",
            "{name}"
        );

        let b = w.customer("org-a", "bob", ContactRole::Admin).await;
        w.push(vec![contact(
            "org-b",
            "bob",
            "Bob Person",
            "bob@org-a.example",
            ContactRole::Admin,
        )])
        .await;
        let s = b.get("/api/v1/session").await;
        assert_eq!(
            s.json["organization"],
            json!({ "id": "org-b", "name": "Org B" }),
            "{name}"
        );
        let servers = b.get("/api/v1/servers").await;
        let ids: Vec<&str> = servers
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["s-b"], "{name}");
        assert_eq!(b.get("/api/v1/servers/s-a").await.status, 404, "{name}");
        let mut again = w.browser();
        assert_eq!(
            again
                .sign_in("acme", "bob@org-a.example", PASSWORD)
                .await
                .status,
            200,
            "{name}"
        );
        let r = w
            .browser()
            .post(
                "/api/v1/t/acme/password-reset",
                json!({ "email": "bob@org-a.example" }),
            )
            .await;
        assert_eq!(r.status, 202, "{name}");
        w.wait_mail("bob@org-a.example", 2).await;
    }
}
