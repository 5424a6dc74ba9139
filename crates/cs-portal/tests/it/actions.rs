//! Power actions on both databases, over HTTP: a customer's request is
//! checked and recorded, handed to the desktop (at once to a waiting fetch),
//! answered by the desktop's push, held or refused while the desktop is
//! offline, and expired when the desktop stays away longer than the reseller
//! holds requests.

use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use cs_sync::intent::{Intent, IntentsResponse, PowerActionV1, PowerV1};
use cs_sync::record::{
    ContactRole, IntentOutcomeV1, IntentResultV1, PolicyV1, Record, ServerStatusV1,
};
use serde_json::json;

use crate::support::databases_async;
use crate::world::*;

/// The desktop's fetch of the waiting intents.
async fn fetch(w: &World, wait: u64) -> IntentsResponse {
    let r = reqwest::Client::new()
        .get(format!("{}/sync/v1/intents?wait={wait}", w.url()))
        .bearer_auth(w.sync_token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn result(id: &str, org: &str, outcome: IntentOutcomeV1, reason: Option<&str>) -> Rec {
    rec(
        id,
        Some(org),
        Record::IntentResult(IntentResultV1 {
            outcome,
            reason: reason.map(str::to_string),
            decided_at: chrono::Utc::now(),
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_checked_recorded_handed_out_and_answered() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Member).await;
        w.push(vec![
            server("org-a", "s-web", "web-1", ServerStatusV1::Running),
            server("org-a", "s-db", "db-1", ServerStatusV1::Offline),
            server("org-a", "s-sus", "sus-1", ServerStatusV1::Suspended),
        ])
        .await;

        // Bad input is refused and records nothing.
        let r = a
            .post(
                "/api/v1/servers/s-web/actions",
                json!({ "action": "explode" }),
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (400, Some("invalid")),
            "{name}"
        );
        assert_eq!(
            r.json["fields"]["action"], "choose boot, reboot or shutdown",
            "{name}"
        );
        let r = a
            .post("/api/v1/servers/s-web/actions", json!({ "action": "boot" }))
            .await;
        assert_eq!(
            (r.status, r.json["message"].as_str()),
            (409, Some("web-1 is running already.")),
            "{name}"
        );
        let r = a
            .post(
                "/api/v1/servers/s-db/actions",
                json!({ "action": "reboot" }),
            )
            .await;
        assert_eq!(
            r.json["message"], "db-1 is shut down: boot it instead.",
            "{name}"
        );
        let r = a
            .post("/api/v1/servers/s-sus/actions", json!({ "action": "boot" }))
            .await;
        assert_eq!(r.status, 409, "{name}");
        assert!(
            r.json["message"].as_str().unwrap().contains("suspended"),
            "{name}"
        );
        let r = a
            .post(
                "/api/v1/servers/s-nope/actions",
                json!({ "action": "boot" }),
            )
            .await;
        assert_eq!(r.status, 404, "{name}");
        let r = a
            .post(
                "/api/v1/servers/s-web/actions",
                json!({ "action": "reboot", "server": "s-db" }),
            )
            .await;
        assert_eq!(r.status, 400, "{name}: an unknown field is refused");
        assert!(fetch(&w, 0).await.intents.is_empty(), "{name}");

        // A reboot: requested, handed to the desktop, answered.
        let r = a
            .post(
                "/api/v1/servers/s-web/actions",
                json!({ "action": "reboot" }),
            )
            .await;
        assert_eq!(r.status, 202, "{name}: {}", r.text);
        assert_eq!(r.json["state"], "requested");
        assert_eq!(r.json["requestedBy"], "ada Person");
        let id = r.json["id"].as_str().unwrap().to_string();
        let r = a
            .post(
                "/api/v1/servers/s-web/actions",
                json!({ "action": "shutdown" }),
            )
            .await;
        assert_eq!(r.status, 409, "{name}: one waiting action per server");
        assert!(
            r.json["message"].as_str().unwrap().contains("waiting"),
            "{name}"
        );

        let got = fetch(&w, 0).await.intents;
        assert_eq!(got.len(), 1, "{name}");
        assert_eq!(got[0].id.to_string(), id);
        assert_eq!(got[0].org, "org-a");
        assert_eq!(
            got[0].by, "ada",
            "{name}: the contact comes from the session"
        );
        assert_eq!(
            got[0].decode().unwrap(),
            Intent::Power(PowerV1 {
                server: "s-web".into(),
                action: PowerActionV1::Reboot
            })
        );
        // Handed out again until answered.
        assert_eq!(fetch(&w, 0).await.intents.len(), 1, "{name}");
        let detail = a.get("/api/v1/servers/s-web").await;
        assert_eq!(detail.json["actions"][0]["state"], "requested", "{name}");
        assert_eq!(detail.json["desktop"]["online"], true, "{name}");
        assert_eq!(detail.json["desktop"]["holdMinutes"], 60, "{name}");

        w.push(vec![
            result(&id, "org-a", IntentOutcomeV1::Applied, None),
            server("org-a", "s-web", "web-1", ServerStatusV1::Rebooting),
        ])
        .await;
        assert!(fetch(&w, 0).await.intents.is_empty(), "{name}");
        let detail = a.get("/api/v1/servers/s-web").await;
        assert_eq!(detail.json["status"], "rebooting", "{name}");
        assert_eq!(detail.json["actions"][0]["state"], "applied", "{name}");
        assert!(detail.json["actions"][0]["decidedAt"].is_string(), "{name}");

        // A refusal's reason reaches the customer as the desktop wrote it.
        w.push(vec![server(
            "org-a",
            "s-web",
            "web-1",
            ServerStatusV1::Running,
        )])
        .await;
        let r = a
            .post(
                "/api/v1/servers/s-web/actions",
                json!({ "action": "shutdown" }),
            )
            .await;
        let id2 = r.json["id"].as_str().unwrap().to_string();
        fetch(&w, 0).await;
        let reason = "<script>alert(1)</script> web-1 is suspended";
        w.push(vec![result(
            &id2,
            "org-a",
            IntentOutcomeV1::Refused,
            Some(reason),
        )])
        .await;
        let detail = a.get("/api/v1/servers/s-web").await;
        assert_eq!(detail.json["actions"][0]["state"], "refused", "{name}");
        assert_eq!(
            detail.json["actions"][0]["reason"], reason,
            "{name}: JSON, never HTML"
        );
        assert_eq!(
            detail.json["actions"].as_array().unwrap().len(),
            2,
            "{name}"
        );
        // An answer to an unknown intent, or a second answer, changes nothing.
        w.push(vec![
            result(&id2, "org-a", IntentOutcomeV1::Applied, None),
            result(
                "0193a0c0-0000-7000-8000-00000000beef",
                "org-a",
                IntentOutcomeV1::Applied,
                None,
            ),
        ])
        .await;
        let detail = a.get("/api/v1/servers/s-web").await;
        assert_eq!(detail.json["actions"][0]["state"], "refused", "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_fetch_is_answered_as_soon_as_a_customer_asks() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Admin).await;
        w.push(vec![server(
            "org-a",
            "s-web",
            "web-1",
            ServerStatusV1::Running,
        )])
        .await;
        let (url, token) = (w.url().to_string(), w.sync_token().to_string());
        let started = Instant::now();
        let waiting = tokio::spawn(async move {
            let r = reqwest::Client::new()
                .get(format!("{url}/sync/v1/intents?wait=20"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (
                r.json::<IntentsResponse>().await.unwrap(),
                started.elapsed(),
            )
        });
        tokio::time::sleep(StdDuration::from_millis(300)).await;
        let r = a
            .post(
                "/api/v1/servers/s-web/actions",
                json!({ "action": "reboot" }),
            )
            .await;
        assert_eq!(r.status, 202, "{name}");
        let (got, took) = waiting.await.unwrap();
        assert_eq!(got.intents.len(), 1, "{name}");
        assert!(
            took < StdDuration::from_secs(15),
            "{name}: answered at once, not after the wait ({took:?})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_desktop_is_away_requests_wait_expire_or_are_refused() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Admin).await;
        w.push(vec![
            server("org-a", "s-web", "web-1", ServerStatusV1::Running),
            rec(
                "policy",
                None,
                Record::Policy(PolicyV1 {
                    intent_hold_minutes: 15,
                }),
            ),
        ])
        .await;
        // Two minutes without a call from the desktop: offline.
        w.advance(Duration::minutes(2));
        let detail = a.get("/api/v1/servers/s-web").await;
        assert_eq!(detail.json["desktop"]["online"], false, "{name}");
        assert_eq!(detail.json["desktop"]["holdMinutes"], 15, "{name}");
        let r = a
            .post(
                "/api/v1/servers/s-web/actions",
                json!({ "action": "reboot" }),
            )
            .await;
        assert_eq!(r.status, 202, "{name}: held");
        // Past the hold time: expired, and never handed out.
        w.advance(Duration::minutes(16));
        let detail = a.get("/api/v1/servers/s-web").await;
        assert_eq!(
            detail.json["actions"][0]["state"], "expired",
            "{name}: {}",
            detail.text
        );
        assert!(detail.json["actions"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("offline"));
        assert!(fetch(&w, 0).await.intents.is_empty(), "{name}");
        let detail = a.get("/api/v1/servers/s-web").await;
        assert_eq!(detail.json["actions"][0]["state"], "expired", "{name}");
        assert_eq!(
            detail.json["desktop"]["online"], true,
            "{name}: the fetch was a call"
        );

        // The reseller refuses requests while away.
        w.push(vec![rec(
            "policy",
            None,
            Record::Policy(PolicyV1 {
                intent_hold_minutes: 0,
            }),
        )])
        .await;
        w.advance(Duration::minutes(2));
        let r = a
            .post(
                "/api/v1/servers/s-web/actions",
                json!({ "action": "reboot" }),
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (409, Some("desktop_offline")),
            "{name}"
        );
        assert!(
            r.json["message"].as_str().unwrap().contains("offline"),
            "{name}"
        );
        // Back online: accepted.
        fetch(&w, 0).await;
        let r = a
            .post(
                "/api/v1/servers/s-web/actions",
                json!({ "action": "reboot" }),
            )
            .await;
        assert_eq!(r.status, 202, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_server_takes_its_name_typed_and_is_a_request_too() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Admin).await;
        w.push(vec![server(
            "org-a",
            "s-web",
            "web-1",
            ServerStatusV1::Suspended,
        )])
        .await;
        let r = a
            .post("/api/v1/servers/s-web/delete", json!({ "label": "web-2" }))
            .await;
        assert_eq!(r.status, 400, "{name}");
        assert_eq!(
            r.json["fields"]["label"],
            "type the server's name, web-1, to confirm"
        );
        let r = a.post("/api/v1/servers/s-web/delete", json!({})).await;
        assert_eq!(r.status, 400, "{name}: the name is required");
        assert!(fetch(&w, 0).await.intents.is_empty(), "{name}");
        // A suspended server can be deleted (it stops what it costs).
        let r = a
            .post("/api/v1/servers/s-web/delete", json!({ "label": "web-1" }))
            .await;
        assert_eq!(r.status, 202, "{name}: {}", r.text);
        assert_eq!(r.json["action"], "delete", "{name}");
        let got = fetch(&w, 0).await.intents;
        assert_eq!(
            got[0].decode().unwrap(),
            Intent::Delete(cs_sync::intent::DeleteServerV1 {
                server: "s-web".into()
            }),
            "{name}"
        );
        let detail = a.get("/api/v1/servers/s-web").await;
        assert_eq!(detail.json["actions"][0]["action"], "delete", "{name}");
        assert_eq!(detail.json["actions"][0]["state"], "requested", "{name}");
    }
}
