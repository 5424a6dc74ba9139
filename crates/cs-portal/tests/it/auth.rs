//! Accounts end to end over HTTP, on both databases: invitations, sign-in,
//! TOTP and recovery codes, password resets, email changes, sessions, rate
//! limits, CSRF and bad bodies.

use std::sync::atomic::Ordering;

use chrono::Duration;
use cs_portal::auth::totp;
use cs_portal::storage::{audit, mail_queue};
use cs_sync::record::{ContactRole, Kind};
use serde_json::json;

use crate::support::databases_async;
use crate::world::*;

/// RFC 4648 base-32 (the setup's `secret`) to bytes.
fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// The current TOTP code of `secret` at the portal's clock, `steps` away.
fn code(w: &World, secret: &[u8], steps: i64) -> String {
    let now = w.portal.portal.now().timestamp();
    totp::code(secret, totp::step_at(now) + steps, 6)
}

/// One value from the portal's database.
async fn count(w: &World, sql: &'static str) -> i64 {
    let t = w.tenant_id.clone();
    w.portal
        .portal
        .db
        .run(false, move |tx| {
            let p = [cs_portal::db::Value::from(t)];
            tx.query_one(sql, if sql.contains("$1") { &p[..] } else { &[] })
                .and_then(|r| r.int(0))
        })
        .await
        .unwrap()
}

async fn live_sessions(w: &World) -> i64 {
    count(
        w,
        "SELECT count(*) FROM sessions WHERE tenant_id = $1 AND revoked_at IS NULL",
    )
    .await
}

async fn audit_actions(w: &World) -> Vec<String> {
    let t = w.tenant_id.clone();
    w.portal
        .portal
        .db
        .run(false, move |tx| audit::list(tx, &t))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect()
}

async fn queue(w: &World) -> Vec<mail_queue::Status> {
    let t = w.tenant_id.clone();
    w.portal
        .portal
        .db
        .run(false, move |tx| mail_queue::list(tx, &t))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_contact_accepts_chooses_a_password_and_is_signed_in() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let now = w.portal.portal.now();
        w.push(vec![
            branding("Acme <Cloud>", "#0a7cff", None),
            organization("org-a", "Ada & Co"),
            contact(
                "org-a",
                "c-ada",
                "Ada Lovelace",
                "ada@example.com",
                ContactRole::Admin,
            ),
            invitation("org-a", "inv-1", "c-ada", now),
        ])
        .await;
        let mail = w.wait_mail("ada@example.com", 1).await;
        assert_eq!(
            mail.subject, "Acme <Cloud> invites you to its customer portal",
            "{name}"
        );
        assert_eq!(mail.from, "Acme Cloud <portal@portal.example>", "{name}");
        assert!(
            mail.text.contains("Zoe Reseller invited you"),
            "{name}: {}",
            mail.text
        );
        assert!(mail.text.contains("for Ada & Co"), "{name}");
        assert!(
            mail.html.contains("Ada &amp; Co") && mail.html.contains("Acme &lt;Cloud&gt;"),
            "{name}"
        );
        assert!(mail.html.contains("#0a7cff"), "{name}");
        let link = format!("{}/acme/accept-invitation#", w.url());
        assert!(mail.text.contains(&link), "{name}: {}", mail.text);
        let token = mail.link("accept-invitation#");

        // The same invitation pushed again is not mailed again.
        w.push(vec![invitation("org-a", "inv-1", "c-ada", now)])
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        assert_eq!(w.mails_to("ada@example.com").len(), 1, "{name}");

        let mut b = w.browser();
        let shown = b.get(&format!("/api/v1/invitations/{token}")).await;
        assert_eq!(shown.status, 200, "{name}: {}", shown.text);
        assert_eq!(
            shown.json,
            json!({
                "tenant": "acme",
                "tenantName": "Acme <Cloud>",
                "email": "ada@example.com",
                "name": "Ada Lovelace",
                "organization": "Ada & Co",
                "expiresAt": "2026-12-14T09:00:00Z",
            }),
            "{name}"
        );
        // A password that breaks a rule is refused, and the link still works.
        for (bad, why) in [
            ("short", "at least 12"),
            ("aaaaaaaaaaaaaaaa", "more than one"),
            ("ada@example.com", "email address"),
        ] {
            let r = b
                .post(
                    "/api/v1/invitations/accept",
                    json!({ "token": token, "password": bad }),
                )
                .await;
            assert_eq!((r.status, r.code()), (400, "invalid"), "{name}: {}", r.text);
            assert!(
                r.json["fields"]["password"].as_str().unwrap().contains(why),
                "{name}: {}",
                r.text
            );
        }
        assert_eq!(
            count(&w, "SELECT count(*) FROM accounts").await,
            0,
            "{name}"
        );

        let r = b
            .post(
                "/api/v1/invitations/accept",
                json!({ "token": token, "password": PASSWORD }),
            )
            .await;
        assert_eq!(r.status, 200, "{name}: {}", r.text);
        assert_eq!(r.json["stage"], "signed_in", "{name}");
        assert_eq!(
            r.json["account"],
            json!({ "id": r.json["account"]["id"], "name": "Ada Lovelace", "email": "ada@example.com", "role": "admin", "twoFactor": false }),
            "{name}"
        );
        assert_eq!(
            r.json["organization"],
            json!({ "id": "org-a", "name": "Ada & Co" }),
            "{name}"
        );
        assert_eq!(
            r.json["tenant"],
            json!({ "slug": "acme", "name": "Acme <Cloud>" }),
            "{name}"
        );
        let cookie = r.header("set-cookie");
        assert!(cookie.starts_with("cs_session="), "{name}: {cookie}");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(attr), "{name}: {cookie}");
        }
        assert!(
            !cookie.contains("Secure"),
            "{name}: plain http on loopback: {cookie}"
        );
        b.csrf = r.json["csrfToken"].as_str().map(str::to_string);
        let session = b.get("/api/v1/session").await;
        assert_eq!(
            (session.status, &session.json["account"]["email"]),
            (200, &json!("ada@example.com")),
            "{name}"
        );

        // Only the token's hash is stored, and the link works once.
        let token_hash = cs_portal::storage::hash_token(&token);
        let t = token.clone();
        let raw = w
            .portal
            .portal
            .db
            .run(false, move |tx| {
                tx.query_one(
                    "SELECT count(*) FROM tokens WHERE token_hash = $1 OR token_hash = $2",
                    cs_portal::params![token_hash, t],
                )?
                .int(0)
            })
            .await
            .unwrap();
        assert_eq!(raw, 1, "{name}: the row is keyed by the hash only");
        let again = w
            .browser()
            .post(
                "/api/v1/invitations/accept",
                json!({ "token": token, "password": PASSWORD }),
            )
            .await;
        assert_eq!((again.status, again.code()), (410, "expired"), "{name}");
        assert_eq!(
            b.get(&format!("/api/v1/invitations/{token}")).await.status,
            410,
            "{name}"
        );
        // The sent mail no longer holds the token.
        let rows = queue(&w).await;
        assert_eq!(rows.len(), 1, "{name}");
        assert!(
            rows[0].sent && !rows[0].text.contains(&token),
            "{name}: {:?}",
            rows[0]
        );

        // Sign out, and in again.
        let out = b.post("/api/v1/sign-out", json!({})).await;
        assert_eq!(out.status, 204, "{name}: {}", out.text);
        assert_eq!(
            b.get("/api/v1/session").await.code(),
            "signed_out",
            "{name}"
        );
        let r = b.sign_in("acme", "ADA@example.com ", PASSWORD).await;
        assert_eq!(
            (r.status, &r.json["stage"]),
            (200, &json!("signed_in")),
            "{name}: {}",
            r.text
        );
        assert_eq!(
            audit_actions(&w).await,
            [
                "invitation_mailed",
                "invitation_accepted",
                "sign_out",
                "sign_in"
            ],
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer_after_the_same_work() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        w.customer("org-a", "ada", ContactRole::Admin).await;
        let checks = || w.portal.portal.password_checks.load(Ordering::Relaxed);
        let sessions = live_sessions(&w).await;
        let mut b = w.browser();
        let before = checks();
        let wrong = b
            .sign_in("acme", "ada@org-a.example", "not the password at all")
            .await;
        assert_eq!(checks() - before, 1, "{name}");
        let before = checks();
        let unknown = b
            .sign_in("acme", "nobody@org-a.example", "not the password at all")
            .await;
        assert_eq!(
            checks() - before,
            1,
            "{name}: an unknown email is checked against a dummy hash"
        );
        assert_eq!(
            (wrong.status, wrong.code()),
            (401, "invalid_credentials"),
            "{name}"
        );
        assert_eq!(
            (wrong.status, &wrong.json),
            (unknown.status, &unknown.json),
            "{name}"
        );
        assert_eq!(
            live_sessions(&w).await,
            sessions,
            "{name}: nothing was signed in"
        );
        // Another tenant's customer cannot sign in here with their password.
        let other = b.sign_in("acme", "ada@org-a.example ", PASSWORD).await;
        assert_eq!(other.status, 200, "{name}");
        let r = b.sign_in("nope", "ada@org-a.example", PASSWORD).await;
        assert_eq!((r.status, r.code()), (404, "not_found"), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_rate_limited_per_account_with_retry_after() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        w.customer("org-a", "ada", ContactRole::Admin).await;
        let mut b = w.browser();
        for i in 0..10 {
            let r = b
                .sign_in("acme", "ada@org-a.example", "wrong password here")
                .await;
            assert_eq!(r.status, 401, "{name}: attempt {i}");
        }
        // The eleventh is refused before the password is looked at.
        let before = w.portal.portal.password_checks.load(Ordering::Relaxed);
        let r = b.sign_in("acme", "ada@org-a.example", PASSWORD).await;
        assert_eq!(
            (r.status, r.code()),
            (429, "rate_limited"),
            "{name}: {}",
            r.text
        );
        let retry: i64 = r.header("retry-after").parse().unwrap();
        assert!((1..=900).contains(&retry), "{name}: {retry}");
        assert_eq!(
            w.portal.portal.password_checks.load(Ordering::Relaxed),
            before,
            "{name}"
        );
        // The same for an unknown address (no hint that one exists).
        for _ in 0..10 {
            b.sign_in("acme", "ghost@org-a.example", "wrong password here")
                .await;
        }
        assert_eq!(
            b.sign_in("acme", "ghost@org-a.example", "x").await.status,
            429,
            "{name}"
        );
        w.advance(Duration::seconds(retry));
        let r = b.sign_in("acme", "ada@org-a.example", PASSWORD).await;
        assert_eq!(r.status, 200, "{name}: {}", r.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_hold_across_two_portal_processes() {
    let database = crate::support::postgres_async().await;
    let w = World::new(&database, "acme", true).await;
    w.customer("org-a", "ada", ContactRole::Admin).await;
    let other = crate::support::serve(&database).await;
    other.clock.set(w.portal.portal.now());
    let mut a = w.browser();
    let mut b = Browser::new(&other.url);
    for i in 0..10 {
        let browser = if i % 2 == 0 { &mut a } else { &mut b };
        let r = browser
            .sign_in("acme", "ada@org-a.example", "wrong password here")
            .await;
        assert_eq!(r.status, 401, "attempt {i}");
    }
    assert_eq!(
        a.sign_in("acme", "ada@org-a.example", PASSWORD)
            .await
            .status,
        429
    );
    assert_eq!(
        b.sign_in("acme", "ada@org-a.example", PASSWORD)
            .await
            .status,
        429
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_setup_use_replay_recovery_codes_and_disable() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let b = w.customer("org-a", "ada", ContactRole::Admin).await;
        assert_eq!(
            b.get("/api/v1/account/two-factor/qr.svg").await.status,
            404,
            "{name}"
        );
        let setup = b.post("/api/v1/account/two-factor/setup", json!({})).await;
        assert_eq!(setup.status, 200, "{name}: {}", setup.text);
        let secret = base32_decode(setup.json["secret"].as_str().unwrap());
        assert_eq!(secret.len(), 20, "{name}");
        let uri = setup.json["otpauthUri"].as_str().unwrap();
        assert!(
            uri.starts_with("otpauth://totp/acme%20cloud:ada%40org%2Da%2Eexample?secret="),
            "{name}: {uri}"
        );
        let qr = b.get("/api/v1/account/two-factor/qr.svg").await;
        assert_eq!(
            (qr.status, qr.header("content-type")),
            (200, "image/svg+xml"),
            "{name}"
        );
        assert!(
            qr.text.contains("<svg") && !qr.text.contains("<script"),
            "{name}"
        );

        // Not on until a code from the secret enables it.
        let wrong = b
            .post(
                "/api/v1/account/two-factor/enable",
                json!({ "code": "000000" }),
            )
            .await;
        assert_eq!(
            (wrong.status, wrong.code()),
            (401, "invalid_code"),
            "{name}"
        );
        assert_eq!(
            b.get("/api/v1/session").await.json["account"]["twoFactor"],
            false,
            "{name}"
        );
        let enable_code = code(&w, &secret, 0);
        let enabled = b
            .post(
                "/api/v1/account/two-factor/enable",
                json!({ "code": enable_code }),
            )
            .await;
        assert_eq!(enabled.status, 200, "{name}: {}", enabled.text);
        let codes: Vec<String> =
            serde_json::from_value(enabled.json["recoveryCodes"].clone()).unwrap();
        assert_eq!(codes.len(), 10, "{name}");
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 19 && c.matches('-').count() == 3),
            "{name}: {codes:?}"
        );
        assert_eq!(
            b.get("/api/v1/session").await.json["account"]["twoFactor"],
            true,
            "{name}"
        );
        let again = b.post("/api/v1/account/two-factor/setup", json!({})).await;
        assert_eq!((again.status, again.code()), (409, "conflict"), "{name}");

        // Signing in now stops at the second factor.
        let mut c = w.browser();
        let r = c.sign_in("acme", "ada@org-a.example", PASSWORD).await;
        assert_eq!(
            (r.status, &r.json["stage"]),
            (200, &json!("second_factor")),
            "{name}"
        );
        let half = c.cookie("cs_session").unwrap();
        assert_eq!(
            c.get("/api/v1/servers").await.code(),
            "second_factor",
            "{name}"
        );
        assert_eq!(c.get("/api/v1/session").await.status, 200, "{name}");
        // The code that enabled it was used: its step cannot be used again.
        let replay = c.second_factor(json!({ "code": enable_code })).await;
        assert_eq!(
            (replay.status, replay.code()),
            (401, "invalid_code"),
            "{name}"
        );
        w.advance(Duration::seconds(30));
        let fresh = code(&w, &secret, 0);
        let ok = c.second_factor(json!({ "code": fresh })).await;
        assert_eq!(
            (ok.status, &ok.json["stage"]),
            (200, &json!("signed_in")),
            "{name}: {}",
            ok.text
        );
        assert_ne!(
            c.cookie("cs_session").unwrap(),
            half,
            "{name}: a new token after the second factor"
        );
        assert_eq!(c.get("/api/v1/servers").await.status, 200, "{name}");
        let stale = Browser::new(w.url());
        stale
            .jar
            .add_cookie_str(&format!("cs_session={half}"), &w.url().parse().unwrap());
        assert_eq!(
            stale.get("/api/v1/session").await.code(),
            "signed_out",
            "{name}"
        );
        // The same code in another sign-in is a replay.
        let mut d = w.browser();
        d.sign_in("acme", "ada@org-a.example", PASSWORD).await;
        let r = d.second_factor(json!({ "code": fresh })).await;
        assert_eq!(r.code(), "invalid_code", "{name}");
        // Both, or neither, is a bad body.
        let r = d
            .second_factor(json!({ "code": fresh, "recoveryCode": codes[0] }))
            .await;
        assert_eq!(r.code(), "invalid", "{name}");

        // "Lost my phone": a recovery code works once.
        let r = d
            .second_factor(json!({ "recoveryCode": codes[0].to_lowercase() }))
            .await;
        assert_eq!(r.status, 200, "{name}: {}", r.text);
        let mut e = w.browser();
        e.sign_in("acme", "ada@org-a.example", PASSWORD).await;
        let r = e.second_factor(json!({ "recoveryCode": codes[0] })).await;
        assert_eq!((r.status, r.code()), (401, "invalid_code"), "{name}");

        // New codes need the password; the old ones stop working.
        let r = b
            .post(
                "/api/v1/account/recovery-codes",
                json!({ "password": "wrong password!!" }),
            )
            .await;
        assert_eq!(
            (r.status, r.json["fields"]["password"].is_string()),
            (400, true),
            "{name}: {}",
            r.text
        );
        let r = b
            .post(
                "/api/v1/account/recovery-codes",
                json!({ "password": PASSWORD }),
            )
            .await;
        assert_eq!(r.status, 200, "{name}: {}", r.text);
        let fresh_codes: Vec<String> =
            serde_json::from_value(r.json["recoveryCodes"].clone()).unwrap();
        assert!(fresh_codes.iter().all(|c| !codes.contains(c)), "{name}");
        let r = e.second_factor(json!({ "recoveryCode": codes[1] })).await;
        assert_eq!(r.code(), "invalid_code", "{name}");
        let r = e
            .second_factor(json!({ "recoveryCode": fresh_codes[1] }))
            .await;
        assert_eq!(r.status, 200, "{name}");

        // Turning it off needs the password and a code not used before (in
        // a new rate-limit window: this test used its ten codes).
        w.advance(Duration::minutes(15));
        let now_code = code(&w, &secret, 0);
        let r = b
            .post(
                "/api/v1/account/two-factor/disable",
                json!({ "password": PASSWORD, "code": fresh }),
            )
            .await;
        assert_eq!(r.code(), "invalid_code", "{name}");
        let r = b
            .post(
                "/api/v1/account/two-factor/disable",
                json!({ "password": "wrong password!!", "code": now_code }),
            )
            .await;
        assert_eq!(r.code(), "invalid", "{name}");
        assert_eq!(
            b.get("/api/v1/session").await.json["account"]["twoFactor"],
            true,
            "{name}: nothing changed"
        );
        let r = b
            .post(
                "/api/v1/account/two-factor/disable",
                json!({ "password": PASSWORD, "code": now_code }),
            )
            .await;
        assert_eq!(r.status, 204, "{name}: {}", r.text);
        let mut f = w.browser();
        let r = f.sign_in("acme", "ada@org-a.example", PASSWORD).await;
        assert_eq!(r.json["stage"], "signed_in", "{name}");
        let actions = audit_actions(&w).await;
        for a in [
            "two_factor_setup",
            "two_factor_enabled",
            "second_factor",
            "second_factor_failed",
            "recovery_code_used",
            "recovery_codes_regenerated",
            "two_factor_disabled",
        ] {
            assert!(actions.iter().any(|x| x == a), "{name}: {a} in {actions:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_by_mail_and_every_session_ends() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let b = w.customer("org-a", "ada", ContactRole::Admin).await;
        let email = "ada@org-a.example";
        let visitor = w.browser();
        let r = visitor
            .post(
                "/api/v1/t/acme/password-reset",
                json!({ "email": "Ada@Org-A.example" }),
            )
            .await;
        assert_eq!(r.status, 202, "{name}: {}", r.text);
        let unknown = visitor
            .post(
                "/api/v1/t/acme/password-reset",
                json!({ "email": "nobody@org-a.example" }),
            )
            .await;
        assert_eq!(
            (unknown.status, unknown.text.as_str()),
            (202, r.text.as_str()),
            "{name}"
        );
        let mail = w.wait_mail(email, 2).await;
        assert!(
            mail.subject.starts_with("Reset your password"),
            "{name}: {}",
            mail.subject
        );
        let token = mail.link("reset-password#");
        assert_eq!(
            queue(&w)
                .await
                .iter()
                .filter(|m| m.kind == "password_reset")
                .count(),
            1,
            "{name}: no mail for the unknown address"
        );
        let r = visitor
            .post(
                "/api/v1/password-reset/confirm",
                json!({ "token": token, "password": "tiny" }),
            )
            .await;
        assert_eq!(r.code(), "invalid", "{name}");
        let new_password = "a brand new passphrase";
        let r = visitor
            .post(
                "/api/v1/password-reset/confirm",
                json!({ "token": token, "password": new_password }),
            )
            .await;
        assert_eq!(r.status, 204, "{name}: {}", r.text);
        assert_eq!(
            b.get("/api/v1/session").await.code(),
            "signed_out",
            "{name}: every session ended"
        );
        let r = visitor
            .post(
                "/api/v1/password-reset/confirm",
                json!({ "token": token, "password": "yet another passphrase" }),
            )
            .await;
        assert_eq!((r.status, r.code()), (410, "expired"), "{name}");
        let mut c = w.browser();
        assert_eq!(
            c.sign_in("acme", email, PASSWORD).await.status,
            401,
            "{name}"
        );
        assert_eq!(
            c.sign_in("acme", email, new_password).await.status,
            200,
            "{name}"
        );

        // A link lives an hour.
        visitor
            .post("/api/v1/t/acme/password-reset", json!({ "email": email }))
            .await;
        let late = w.wait_mail(email, 3).await.link("reset-password#");
        w.advance(Duration::minutes(61));
        let r = visitor
            .post(
                "/api/v1/password-reset/confirm",
                json!({ "token": late, "password": "another good passphrase" }),
            )
            .await;
        assert_eq!(r.status, 410, "{name}");
        assert_eq!(
            c.sign_in("acme", email, new_password).await.status,
            200,
            "{name}: unchanged"
        );
        // Three mails an hour per address at most.
        for _ in 0..3 {
            visitor
                .post("/api/v1/t/acme/password-reset", json!({ "email": email }))
                .await;
        }
        let r = visitor
            .post("/api/v1/t/acme/password-reset", json!({ "email": email }))
            .await;
        assert_eq!((r.status, r.code()), (429, "rate_limited"), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_email_address_is_confirmed_at_that_address_with_a_notice_to_the_old() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let b = w.customer("org-a", "ada", ContactRole::Admin).await;
        w.customer("org-b", "bob", ContactRole::Admin).await;
        let r = b
            .post(
                "/api/v1/account/email",
                json!({ "newEmail": "ada@new.example", "password": "wrong password!!" }),
            )
            .await;
        assert_eq!(
            (r.status, r.json["fields"]["password"].is_string()),
            (400, true),
            "{name}"
        );
        let r = b
            .post(
                "/api/v1/account/email",
                json!({ "newEmail": "not an address", "password": PASSWORD }),
            )
            .await;
        assert!(r.json["fields"]["newEmail"].is_string(), "{name}");
        let r = b
            .post(
                "/api/v1/account/email",
                json!({ "newEmail": "ada@new.example", "password": PASSWORD }),
            )
            .await;
        assert_eq!(r.status, 202, "{name}: {}", r.text);
        let confirm = w.wait_mail("ada@new.example", 1).await;
        let notice = w.wait_mail("ada@org-a.example", 2).await;
        assert!(
            notice.text.contains("ada@new.example"),
            "{name}: {}",
            notice.text
        );
        let token = confirm.link("confirm-email#");
        let r = w
            .browser()
            .post("/api/v1/email-change/confirm", json!({ "token": token }))
            .await;
        assert_eq!(r.status, 204, "{name}: {}", r.text);
        let r = w
            .browser()
            .post("/api/v1/email-change/confirm", json!({ "token": token }))
            .await;
        assert_eq!(r.status, 410, "{name}");
        let mut c = w.browser();
        assert_eq!(
            c.sign_in("acme", "ada@org-a.example", PASSWORD)
                .await
                .status,
            401,
            "{name}"
        );
        assert_eq!(
            c.sign_in("acme", "ada@new.example", PASSWORD).await.status,
            200,
            "{name}"
        );

        // An address another account uses: the same answer, that address is told.
        let r = c
            .post(
                "/api/v1/account/email",
                json!({ "newEmail": "bob@org-b.example", "password": PASSWORD }),
            )
            .await;
        assert_eq!(r.status, 202, "{name}");
        let told = w.wait_mail("bob@org-b.example", 2).await;
        assert!(
            told.text
                .contains("another account signs in with this address"),
            "{name}: {}",
            told.text
        );
        assert_eq!(
            c.get("/api/v1/session").await.json["account"]["email"],
            "ada@new.example",
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_listed_and_revoked_and_a_new_password_ends_the_others() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Admin).await;
        let mut b = w.browser();
        b.sign_in("acme", "ada@org-a.example", PASSWORD).await;
        let list = a.get("/api/v1/sessions").await;
        assert_eq!(list.status, 200, "{name}");
        let items = list.json.as_array().unwrap();
        assert_eq!(items.len(), 2, "{name}: {}", list.text);
        assert_eq!(
            items.iter().filter(|s| s["current"] == true).count(),
            1,
            "{name}"
        );
        assert_eq!(items[0]["ip"], "127.0.0.1", "{name}");
        let other = items.iter().find(|s| s["current"] == false).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            a.delete("/api/v1/sessions/no-such-session").await.status,
            404,
            "{name}"
        );
        let r = a.delete(&format!("/api/v1/sessions/{other}")).await;
        assert_eq!(r.status, 204, "{name}: {}", r.text);
        assert_eq!(
            b.get("/api/v1/session").await.code(),
            "signed_out",
            "{name}"
        );

        let mut c = w.browser();
        c.sign_in("acme", "ada@org-a.example", PASSWORD).await;
        let r = a.post("/api/v1/account/password", json!({ "currentPassword": "wrong password!!", "newPassword": "a new passphrase here" })).await;
        assert_eq!(
            (r.status, r.json["fields"]["currentPassword"].is_string()),
            (400, true),
            "{name}"
        );
        assert_eq!(
            c.get("/api/v1/session").await.status,
            200,
            "{name}: nothing changed"
        );
        let r = a
            .post(
                "/api/v1/account/password",
                json!({ "currentPassword": PASSWORD, "newPassword": "a new passphrase here" }),
            )
            .await;
        assert_eq!(r.status, 204, "{name}: {}", r.text);
        assert_eq!(
            c.get("/api/v1/session").await.code(),
            "signed_out",
            "{name}"
        );
        assert_eq!(
            a.get("/api/v1/session").await.status,
            200,
            "{name}: the caller's own session stays"
        );
        assert_eq!(
            c.sign_in("acme", "ada@org-a.example", "a new passphrase here")
                .await
                .status,
            200,
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_after_12_hours_idle_30_days_in_all_and_10_minutes_at_the_second_factor() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Admin).await;
        w.advance(Duration::hours(11));
        assert_eq!(a.get("/api/v1/session").await.status, 200, "{name}");
        w.advance(Duration::hours(12) + Duration::seconds(1));
        assert_eq!(
            a.get("/api/v1/session").await.code(),
            "signed_out",
            "{name}: idle"
        );

        let mut b = w.browser();
        b.sign_in("acme", "ada@org-a.example", PASSWORD).await;
        for _ in 0..70 {
            w.advance(Duration::hours(11));
            if b.get("/api/v1/session").await.status != 200 {
                break;
            }
        }
        // 30 days after sign-in it ends, however busy.
        let r = b.get("/api/v1/session").await;
        assert_eq!(r.code(), "signed_out", "{name}");
        let days = count(
            &w,
            "SELECT (max(last_seen_at) - min(created_at)) / 86400000 FROM sessions",
        )
        .await;
        assert!((29..=30).contains(&days), "{name}: {days}");

        let mut c = w.browser();
        c.sign_in("acme", "ada@org-a.example", PASSWORD).await;
        let setup = c.post("/api/v1/account/two-factor/setup", json!({})).await;
        let secret = base32_decode(setup.json["secret"].as_str().unwrap());
        c.post(
            "/api/v1/account/two-factor/enable",
            json!({ "code": code(&w, &secret, 0) }),
        )
        .await;
        let mut d = w.browser();
        assert_eq!(
            d.sign_in("acme", "ada@org-a.example", PASSWORD).await.json["stage"],
            "second_factor",
            "{name}"
        );
        w.advance(Duration::minutes(10) + Duration::seconds(1));
        let r = d
            .second_factor(json!({ "code": code(&w, &secret, 0) }))
            .await;
        assert_eq!(r.code(), "signed_out", "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changing_requests_need_json_the_csrf_token_and_our_origin() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Admin).await;
        let url = |p: &str| format!("{}{p}", w.url());
        let csrf = a.csrf.clone().unwrap();
        let send = |token: Option<&str>, origin: Option<&str>, ctype: Option<&str>| {
            let mut r = a
                .client
                .post(url("/api/v1/account/two-factor/setup"))
                .body("{}");
            if let Some(t) = token {
                r = r.header("x-csrf-token", t.to_string());
            }
            if let Some(o) = origin {
                r = r.header("origin", o.to_string());
            }
            if let Some(c) = ctype {
                r = r.header("content-type", c.to_string());
            }
            r.send()
        };
        let json_type = Some("application/json");
        for (what, token, origin, ctype, status) in [
            ("no token", None, None, json_type, 403),
            ("a wrong token", Some("forged"), None, json_type, 403),
            (
                "another origin",
                Some(csrf.as_str()),
                Some("https://evil.example"),
                json_type,
                403,
            ),
            (
                "a form's content type",
                Some(csrf.as_str()),
                None,
                Some("application/x-www-form-urlencoded"),
                415,
            ),
            ("no content type", Some(csrf.as_str()), None, None, 415),
        ] {
            let r = answer(send(token, origin, ctype).await.unwrap()).await;
            assert_eq!(r.status, status, "{name}: {what}: {}", r.text);
        }
        assert_eq!(
            count(
                &w,
                "SELECT count(*) FROM accounts WHERE totp_pending IS NOT NULL"
            )
            .await,
            0,
            "{name}: nothing written"
        );
        let ok = answer(send(Some(&csrf), Some(w.url()), json_type).await.unwrap()).await;
        assert_eq!(ok.status, 200, "{name}: {}", ok.text);

        // Before sign-in: the double-submit cookie.
        let v = w.browser();
        let r = answer(
            v.client
                .post(url("/api/v1/t/acme/sign-in"))
                .header("content-type", "application/json")
                .body(json!({ "email": "ada@org-a.example", "password": PASSWORD }).to_string())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((r.status, r.code()), (403, "csrf"), "{name}");
        let branding = v.get("/api/v1/t/acme/branding").await;
        assert!(
            branding.header("set-cookie").starts_with("cs_csrf="),
            "{name}"
        );
        assert!(
            !branding.header("set-cookie").contains("HttpOnly"),
            "{name}: the page reads it"
        );
        let cookie = v.cookie("cs_csrf").unwrap();
        let r = answer(
            v.client
                .post(url("/api/v1/t/acme/sign-in"))
                .header("content-type", "application/json")
                .header("x-csrf-token", format!("{cookie}x"))
                .body(json!({ "email": "ada@org-a.example", "password": PASSWORD }).to_string())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.code(), "csrf", "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_malformed_and_unexpected_bodies_are_refused_and_write_nothing() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let a = w.customer("org-a", "ada", ContactRole::Admin).await;
        let hash = || {
            count(
                &w,
                "SELECT count(*) FROM accounts WHERE password_hash LIKE '$argon2id$%'",
            )
        };
        assert_eq!(hash().await, 1);
        let sessions = live_sessions(&w).await;
        let send = |body: String| async {
            answer(
                a.client
                    .post(format!("{}/api/v1/account/password", w.url()))
                    .header("content-type", "application/json")
                    .header("x-csrf-token", a.csrf.clone().unwrap())
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        };
        let big =
            json!({ "currentPassword": PASSWORD, "newPassword": "x".repeat(20_000) }).to_string();
        let r = send(big).await;
        assert_eq!(
            (r.status, r.code()),
            (413, "too_large"),
            "{name}: {}",
            r.text
        );
        let r = send("{\"currentPassword\": ".into()).await;
        assert_eq!((r.status, r.code()), (400, "invalid"), "{name}: {}", r.text);
        let r = send(json!({ "currentPassword": PASSWORD, "newPassword": "a new passphrase here", "admin": true }).to_string()).await;
        assert_eq!(
            (r.status, r.json["fields"]["admin"].is_string()),
            (400, true),
            "{name}: {}",
            r.text
        );
        let r = send(json!({ "currentPassword": PASSWORD }).to_string()).await;
        assert_eq!(
            (r.status, r.json["fields"]["newPassword"].is_string()),
            (400, true),
            "{name}: {}",
            r.text
        );
        let r = send(
            json!({ "currentPassword": 5, "newPassword": "a new passphrase here" }).to_string(),
        )
        .await;
        assert_eq!(r.status, 400, "{name}: {}", r.text);
        let r = send("[]".into()).await;
        assert_eq!(r.status, 400, "{name}: {}", r.text);
        // Nothing changed: the old password still works, no session ended.
        assert_eq!(live_sessions(&w).await, sessions, "{name}");
        let mut b = w.browser();
        assert_eq!(
            b.sign_in("acme", "ada@org-a.example", PASSWORD)
                .await
                .status,
            200,
            "{name}"
        );
        // The same on a route before sign-in.
        let r = w
            .browser()
            .post(
                "/api/v1/t/acme/sign-in",
                json!({ "email": "ada@org-a.example", "password": PASSWORD, "remember": true }),
            )
            .await;
        assert_eq!(
            (r.status, r.json["fields"]["remember"].is_string()),
            (400, true),
            "{name}: {}",
            r.text
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_or_withdrawn_invitation_cannot_be_accepted() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let now = w.portal.portal.now();
        w.push(vec![
            organization("org-a", "Ada Ltd"),
            contact(
                "org-a",
                "c-ada",
                "Ada",
                "ada@example.com",
                ContactRole::Admin,
            ),
            contact(
                "org-a",
                "c-bob",
                "Bob",
                "bob@example.com",
                ContactRole::Member,
            ),
            invitation("org-a", "inv-ada", "c-ada", now),
            invitation("org-a", "inv-bob", "c-bob", now),
            // An invitation of a contact the portal does not hold is not mailed.
            invitation("org-a", "inv-ghost", "c-ghost", now),
        ])
        .await;
        let ada = w.invitation_token("ada@example.com").await;
        let bob = w.invitation_token("bob@example.com").await;
        // The reseller withdraws Bob's invitation.
        w.push(vec![tombstone(Kind::Invitation, "inv-bob", Some("org-a"))])
            .await;
        let b = w.browser();
        let r = b
            .post(
                "/api/v1/invitations/accept",
                json!({ "token": bob, "password": PASSWORD }),
            )
            .await;
        assert_eq!((r.status, r.code()), (410, "expired"), "{name}");
        w.advance(Duration::days(7));
        let r = b
            .post(
                "/api/v1/invitations/accept",
                json!({ "token": ada, "password": PASSWORD }),
            )
            .await;
        assert_eq!((r.status, r.code()), (410, "expired"), "{name}");
        let r = b
            .post(
                "/api/v1/invitations/accept",
                json!({ "token": "made-up", "password": PASSWORD }),
            )
            .await;
        assert_eq!((r.status, r.code()), (410, "expired"), "{name}");
        assert_eq!(
            count(&w, "SELECT count(*) FROM accounts").await,
            0,
            "{name}"
        );
        assert!(
            audit_actions(&w)
                .await
                .contains(&"invitation_not_sent".to_string()),
            "{name}"
        );
        // An invitation older than 7 days when it arrives is not mailed.
        let old = w.portal.portal.now() - Duration::days(8);
        w.push(vec![invitation("org-a", "inv-old", "c-ada", old)])
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(w.mails_to("ada@example.com").len(), 1, "{name}");
    }
}
