//! Housekeeping deletes what ended long enough ago, and nothing live.

use chrono::Duration;
use cs_portal::storage::housekeeping;
use cs_sync::record::ContactRole;

use crate::support::databases_async;
use crate::world::*;

async fn counts(w: &World) -> [i64; 3] {
    w.portal
        .portal
        .db
        .run(false, |tx| {
            let mut out = [0; 3];
            for (i, t) in ["sessions", "tokens", "rate_limits"].iter().enumerate() {
                out[i] = tx
                    .query_one(&format!("SELECT count(*) FROM {t}"), &[])?
                    .int(0)?;
            }
            Ok::<_, cs_portal::db::DbError>(out)
        })
        .await
        .unwrap()
}

async fn sweep(w: &World) -> housekeeping::Removed {
    let now = w.portal.portal.now();
    w.portal
        .portal
        .db
        .run(true, move |tx| housekeeping::run(tx, now))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_sessions_links_and_counters_go_live_ones_stay() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Admin).await;
        let mut b = w.browser();
        b.sign_in("acme", "ada@org-a.example", "a wrong password!")
            .await;
        b.sign_in("acme", "ada@org-a.example", PASSWORD).await;
        b.post("/api/v1/sign-out", serde_json::json!({})).await;
        // Counters: pairing, sign-in and link use from this address (the
        // account's sign-in counter was cleared by the right password).
        assert_eq!(
            counts(&w).await,
            [2, 1, 3],
            "{name}: two sessions, the used invitation, three counters"
        );
        assert_eq!(
            sweep(&w).await,
            housekeeping::Removed::default(),
            "{name}: nothing is old yet"
        );
        // A day and a week later the counters and the signed-out session
        // go; the live session (used twice a day) stays.
        for _ in 0..18 {
            w.advance(Duration::hours(11));
            assert_eq!(a.get("/api/v1/session").await.status, 200, "{name}");
        }
        let removed = sweep(&w).await;
        assert_eq!(
            (removed.rate_limits, removed.sessions, removed.tokens),
            (3, 1, 1),
            "{name}: {removed:?}"
        );
        assert_eq!(counts(&w).await, [1, 0, 0], "{name}");
        assert_eq!(a.get("/api/v1/session").await.status, 200, "{name}");
    }
}
