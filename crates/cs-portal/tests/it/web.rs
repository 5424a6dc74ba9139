//! What every answer carries (security headers, caching), and the web UI's
//! pages: the single page under `/{tenant}/…`, `/` sending a browser to the
//! only tenant, JSON 404s under the APIs.

use cs_sync::record::ContactRole;
use serde_json::json;

use crate::support::{databases_async, serve_config};
use crate::world::*;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn assert_secure(a: &Answer, what: &str) {
    assert_eq!(a.header("content-security-policy"), CSP, "{what}");
    assert_eq!(a.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(a.header("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(a.header("x-frame-options"), "DENY", "{what}");
    assert!(
        !a.header("content-security-policy")
            .contains("unsafe-inline"),
        "{what}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers_and_the_api_is_never_cached() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Admin).await;
        w.push(vec![invoice("org-a", "d-1", "INV-1", 3, "Ada", 100, None)])
            .await;
        let v = w.browser();
        for (what, answer, cache) in [
            ("api json", a.get("/api/v1/session").await, Some("no-store")),
            (
                "api error",
                v.get("/api/v1/session").await,
                Some("no-store"),
            ),
            (
                "api 404",
                v.get("/api/v1/nothing/here").await,
                Some("no-store"),
            ),
            (
                "refused write",
                v.post("/api/v1/sign-out", json!({})).await,
                Some("no-store"),
            ),
            (
                "pdf",
                a.get("/api/v1/documents/d-1/pdf").await,
                Some("private, no-store"),
            ),
            (
                "branding",
                v.get("/api/v1/t/acme/branding").await,
                Some("no-store"),
            ),
            ("page", v.get("/acme/servers").await, Some("no-cache")),
            ("root", v.get("/").await, None),
            ("health", v.get("/healthz").await, None),
            ("sync", v.get("/sync/v1/status").await, Some("no-store")),
            ("missing asset", v.get("/assets/nothing.js").await, None),
        ] {
            assert_secure(&answer, &format!("{name}: {what}"));
            if let Some(c) = cache {
                assert_eq!(answer.header("cache-control"), c, "{name}: {what}");
            }
            assert!(
                answer.header("strict-transport-security").is_empty(),
                "{name}: {what}: plain http"
            );
        }
        let r = v.get("/api/v1/nothing/here").await;
        assert_eq!((r.status, r.code()), (404, "not_found"), "{name}");
        let r = v.get("/sync/v1/nothing").await;
        assert_eq!((r.status, r.code()), (404, "not_found"), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_single_page_answers_every_tenant_path_and_root_goes_to_the_only_tenant() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", false).await;
        let v = w.browser();
        for path in [
            "/acme",
            "/acme/",
            "/acme/servers/s-1",
            "/acme/accept-invitation",
        ] {
            let r = v.get(path).await;
            assert_eq!(r.status, 200, "{name}: {path}");
            assert_eq!(
                r.header("content-type"),
                "text/html; charset=utf-8",
                "{name}: {path}"
            );
            assert!(r.text.contains("<html"), "{name}: {path}");
            assert!(
                !r.text.contains("<script>") && !r.text.contains("style="),
                "{name}: nothing inline"
            );
        }
        let fresh = w.browser();
        let r = fresh.get("/acme/").await;
        assert!(
            r.header("set-cookie").starts_with("cs_csrf="),
            "{name}: {}",
            r.header("set-cookie")
        );
        let r = v.get("/").await;
        assert_eq!((r.status, r.header("location")), (303, "/acme/"), "{name}");
        let _second = w.another("globex").await;
        let r = v.get("/").await;
        assert_eq!(
            r.status, 200,
            "{name}: several tenants: a page, no redirect"
        );
        assert!(
            r.text.contains("Open the link your provider gave you"),
            "{name}"
        );
        for reserved in ["/api", "/sync/x", "/assets"] {
            assert_eq!(v.get(reserved).await.status, 404, "{name}: {reserved}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_answers_carry_hsts_and_cookies_are_secure() {
    let (_, database, _dir) = databases_async().await.remove(0);
    let portal = serve_config(&database, |c| {
        c.public_url = "https://portal.example".into()
    })
    .await;
    let w = World::pair(std::sync::Arc::new(portal), "acme", None).await;
    let r = w.browser().get("/api/v1/t/acme/branding").await;
    assert_eq!(
        r.header("strict-transport-security"),
        "max-age=63072000; includeSubDomains"
    );
    assert!(
        r.header("set-cookie").contains("; Secure"),
        "{}",
        r.header("set-cookie")
    );
    // A write from the public URL's origin passes the origin check; from
    // the server's own address (not the public one) it does not.
    // (The client keeps no Secure cookie over plain http: the double-submit
    // pair is sent by hand.)
    let v = w.browser();
    let send = |origin: &'static str| {
        v.client
            .post(format!("{}/api/v1/t/acme/password-reset", w.url()))
            .header("content-type", "application/json")
            .header("origin", origin)
            .header("cookie", "cs_csrf=abc")
            .header("x-csrf-token", "abc")
            .body(json!({ "email": "a@b.example" }).to_string())
            .send()
    };
    assert_eq!(send("https://portal.example").await.unwrap().status(), 202);
    assert_eq!(send("http://portal.example").await.unwrap().status(), 403);
}
