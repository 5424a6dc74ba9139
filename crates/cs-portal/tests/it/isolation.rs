//! The isolation matrix, generated from the route table: every route of
//! `cs_portal::routes::routes()` is called by every kind of intruder — another
//! tenant's customer, another organization of the victim's tenant, a contact
//! of the victim's organization whose role may not use the route, a revoked
//! session, an expired session, a session still at its second factor, no
//! session, a used or an expired invitation, another tenant's desktop — and
//! must be refused as the route's access says, with none of the victim's
//! data in the answer. A route without a sample request here fails the test.

use std::time::Duration as StdDuration;

use chrono::Duration;
use cs_portal::routes::{routes, Access, Area, Route};
use cs_portal::storage::sessions::{self, Stage};
use cs_portal::storage::tokens::{self, Issue, Purpose};
use cs_portal::storage::{accounts, StorageError};
use cs_sync::record::{ContactRole, ServerStatusV1};
use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::support::databases_async;
use crate::world::*;

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intruder {
    OtherTenant,
    OtherOrganization,
    /// A member of the victim's organization (no billing).
    Member,
    /// A billing contact of the victim's organization (no servers).
    Billing,
    Revoked,
    Expired,
    SecondFactor,
    NoSession,
    UsedInvitation,
    ExpiredInvitation,
    OtherDesktop,
}

const INTRUDERS: [Intruder; 11] = [
    Intruder::OtherTenant,
    Intruder::OtherOrganization,
    Intruder::Member,
    Intruder::Billing,
    Intruder::Revoked,
    Intruder::Expired,
    Intruder::SecondFactor,
    Intruder::NoSession,
    Intruder::UsedInvitation,
    Intruder::ExpiredInvitation,
    Intruder::OtherDesktop,
];

/// The victim's data: each string must never reach an intruder (but the
/// victim's own organization's roles may see their areas).
const SERVER_MARKS: [&str; 2] = ["MARKV-server", "198.51.100.77"];
const BILLING_MARKS: [&str; 3] = ["MARKV-INV", "MARKV-memo", "987654321"];
const PERSONAL_MARKS: [&str; 2] = ["MARKV-contact", "markv-victim"];
const ORG_MARKS: [&str; 1] = ["MARKV-org"];

fn marks_for(who: Intruder) -> Vec<&'static str> {
    let mut m: Vec<&str> = PERSONAL_MARKS.to_vec();
    match who {
        Intruder::Member => m.extend(BILLING_MARKS),
        Intruder::Billing => m.extend(SERVER_MARKS),
        _ => {
            m.extend(SERVER_MARKS);
            m.extend(BILLING_MARKS);
            m.extend(ORG_MARKS);
        }
    }
    m
}

/// What the victim's world holds that requests name.
struct Victim {
    slug: String,
    email: String,
    logo: String,
    session_id: String,
    used_invitation: String,
    expired_invitation: String,
}

/// A request of the matrix.
struct Sample {
    method: &'static str,
    path: String,
    body: Option<Value>,
}

/// The request each route is called with, aimed at the victim. A route
/// missing here fails the test: add its sample when adding the route.
fn sample(route: &Route, v: &Victim, token: &str) -> Sample {
    let s = |path: String, body: Option<Value>| Sample {
        method: route.method,
        path,
        body,
    };
    let slug = &v.slug;
    match route.path {
        "/sync/v1/pair" => s(route.path.into(), Some(json!({ "code": "AAAA-BBBB-CCCC", "desktop_name": "x", "desktop_version": "1" }))),
        // A protocol this portal does not speak: refused before anything is applied.
        "/sync/v1/push" => s(route.path.into(), Some(json!({ "protocol": 999, "stream": "00000000-0000-0000-0000-000000000000", "after": 0, "last": 0, "records": [] }))),
        "/sync/v1/status" | "/healthz" | "/" => s(route.path.into(), None),
        "/sync/v1/intents" => s(route.path.into(), None),
        "/api/v1/t/{tenant}/branding" => s(format!("/api/v1/t/{slug}/branding"), None),
        "/api/v1/t/{tenant}/logo/{sha256}" => s(format!("/api/v1/t/{slug}/logo/{}", v.logo), None),
        "/api/v1/t/{tenant}/sign-in" => s(format!("/api/v1/t/{slug}/sign-in"), Some(json!({ "email": v.email, "password": "not the victim's password" }))),
        "/api/v1/t/{tenant}/password-reset" => s(format!("/api/v1/t/{slug}/password-reset"), Some(json!({ "email": v.email }))),
        "/api/v1/invitations/{token}" => s(format!("/api/v1/invitations/{token}"), None),
        "/api/v1/invitations/accept" => s(route.path.into(), Some(json!({ "token": token, "password": PASSWORD }))),
        "/api/v1/password-reset/confirm" => s(route.path.into(), Some(json!({ "token": token, "password": PASSWORD }))),
        "/api/v1/email-change/confirm" => s(route.path.into(), Some(json!({ "token": token }))),
        "/api/v1/session" | "/api/v1/sessions" | "/api/v1/dashboard" | "/api/v1/events" | "/api/v1/servers" | "/api/v1/documents" | "/api/v1/wallet" | "/api/v1/wallet/transactions" | "/api/v1/account/two-factor/qr.svg" => s(route.path.into(), None),
        "/api/v1/sign-in/second-factor" => s(route.path.into(), Some(json!({ "code": "000000" }))),
        "/api/v1/sign-out" | "/api/v1/account/two-factor/setup" => s(route.path.into(), Some(json!({}))),
        "/api/v1/sessions/{id}" => s(format!("/api/v1/sessions/{}", v.session_id), None),
        "/api/v1/account/password" => s(route.path.into(), Some(json!({ "currentPassword": "not my password at all", "newPassword": "an intruder's new password" }))),
        "/api/v1/account/email" => s(route.path.into(), Some(json!({ "newEmail": v.email, "password": "not my password at all" }))),
        "/api/v1/account/two-factor/enable" => s(route.path.into(), Some(json!({ "code": "000000" }))),
        "/api/v1/account/two-factor/disable" => s(route.path.into(), Some(json!({ "password": "not my password at all", "code": "000000" }))),
        "/api/v1/account/recovery-codes" => s(route.path.into(), Some(json!({ "password": "not my password at all" }))),
        "/api/v1/servers/{id}" => s("/api/v1/servers/s-victim".into(), None),
        "/api/v1/servers/{id}/actions" => s("/api/v1/servers/s-victim/actions".into(), Some(json!({ "action": "reboot" }))),
        "/api/v1/servers/{id}/delete" => s("/api/v1/servers/s-victim/delete".into(), Some(json!({ "label": "MARKV-server" }))),
        "/api/v1/documents/{id}" => s("/api/v1/documents/d-victim".into(), None),
        "/api/v1/documents/{id}/pdf" => s("/api/v1/documents/d-victim/pdf".into(), None),
        "/api/v1/documents/{id}/ubl" => s("/api/v1/documents/d-victim/ubl".into(), None),
        "/assets/{*path}" => s("/assets/index-0000.js".into(), None),
        "/{tenant}" => s(format!("/{slug}"), None),
        "/{tenant}/" => s(format!("/{slug}/"), None),
        "/{tenant}/{*rest}" => s(format!("/{slug}/servers/s-victim"), None),
        other => panic!(
            "route {} {other} has no sample request in the isolation matrix (tests/it/isolation.rs): add one",
            route.method
        ),
    }
}

/// What an intruder gets.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    /// This status and error code.
    Refused(u16, &'static str),
    /// One of these statuses (no data of the victim, whatever it is).
    OneOf(&'static [u16]),
    /// Anything without the victim's data (public routes, or the
    /// intruder's own account and organization).
    NoVictimData,
}

fn has_session(who: Intruder) -> bool {
    matches!(
        who,
        Intruder::OtherTenant
            | Intruder::OtherOrganization
            | Intruder::Member
            | Intruder::Billing
            | Intruder::SecondFactor
    )
}

fn role_of(who: Intruder) -> ContactRole {
    match who {
        Intruder::Member => ContactRole::Member,
        Intruder::Billing => ContactRole::Billing,
        _ => ContactRole::Admin,
    }
}

fn admits(area: Area, role: ContactRole) -> bool {
    match area {
        Area::Account => true,
        Area::Servers => role != ContactRole::Billing,
        Area::Billing => role != ContactRole::Member,
    }
}

fn expect(route: &Route, who: Intruder) -> Expect {
    let names_victim_entity = route.path.contains("{id}");
    match route.access {
        Access::Public => Expect::NoVictimData,
        Access::Pairing => Expect::Refused(403, "pairing_code"),
        Access::Desktop if who == Intruder::OtherDesktop => match route.method {
            "POST" => Expect::Refused(400, "protocol"),
            _ => Expect::NoVictimData,
        },
        Access::Desktop => Expect::Refused(401, "unauthorized"),
        Access::Visitor => match route.path {
            p if p.ends_with("/sign-in") => Expect::Refused(401, "invalid_credentials"),
            _ => Expect::OneOf(&[202]),
        },
        Access::Token(_) => Expect::Refused(410, "expired"),
        Access::Session | Access::Customer(_) if !has_session(who) => {
            Expect::Refused(401, "signed_out")
        }
        Access::Session => Expect::NoVictimData,
        Access::Customer(_) if who == Intruder::SecondFactor => {
            Expect::Refused(403, "second_factor")
        }
        Access::Customer(area) if !admits(area, role_of(who)) => Expect::Refused(403, "forbidden"),
        Access::Customer(_)
            if names_victim_entity
                && matches!(who, Intruder::OtherTenant | Intruder::OtherOrganization) =>
        {
            Expect::Refused(404, "not_found")
        }
        Access::Customer(_) => Expect::NoVictimData,
    }
}

/// The victim's tenant, with an admin whose organization holds marked data;
/// a member and a billing contact of that organization; another
/// organization of the tenant; another tenant whose organization has the
/// victim organization's id.
struct Matrix {
    victim: World,
    other: World,
    v: Victim,
}

async fn setup(database: &cs_portal::Database) -> Matrix {
    let w = World::new(database, "victim", true).await;
    let (logo_rec, logo_id) = logo(png([1, 2, 3]));
    w.push(vec![
        logo_rec,
        branding("Victim Cloud", "#123456", Some(&logo_id)),
    ])
    .await;
    let now = w.portal.portal.now();
    let email = "markv-victim@victim.example";
    w.push(vec![
        organization("org-v", "MARKV-org"),
        contact("org-v", "vic", "MARKV-contact", email, ContactRole::Admin),
        invitation("org-v", "inv-vic", "vic", now),
        server("org-v", "s-victim", "MARKV-server", ServerStatusV1::Running),
        rec_server_ip("org-v"),
        wallet("org-v", 987_654_321),
        transaction("org-v", "t-victim", 5, "MARKV-memo", -77),
        invoice(
            "org-v",
            "d-victim",
            "MARKV-INV-1",
            3,
            "MARKV-org",
            1000,
            Some(&logo_id),
        ),
    ])
    .await;
    let used = w.invitation_token(email).await;
    let mut vb = w.browser();
    let r = vb
        .post(
            "/api/v1/invitations/accept",
            json!({ "token": used, "password": PASSWORD }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    vb.csrf = r.json["csrfToken"].as_str().map(str::to_string);
    let sessions = vb.get("/api/v1/sessions").await;
    let session_id = sessions.json[0]["id"].as_str().unwrap().to_string();

    w.customer("org-v", "max", ContactRole::Member).await;
    w.customer("org-v", "bea", ContactRole::Billing).await;
    // (`customer` pushed the organization again under a plain name.)
    w.push(vec![organization("org-v", "MARKV-org")]).await;
    w.customer("org-x", "xavier", ContactRole::Admin).await;
    w.push(vec![
        server("org-x", "s-x", "x-server", ServerStatusV1::Running),
        wallet("org-x", 1),
    ])
    .await;

    let other = w.another("other").await;
    other.customer("org-v", "otto", ContactRole::Admin).await;
    other
        .push(vec![
            server("org-v", "s-o", "o-server", ServerStatusV1::Running),
            wallet("org-v", 2),
        ])
        .await;

    // An invitation issued eight days ago, never used.
    let (t, at) = (w.tenant_id.clone(), now - Duration::days(8));
    let expired = w
        .portal
        .portal
        .db
        .run(true, move |tx| {
            tokens::issue(
                tx,
                Issue {
                    purpose: Purpose::Invitation,
                    tenant_id: &t,
                    account_id: None,
                    contact: Some("max"),
                    org: Some("org-v"),
                    email: "max@org-v.example",
                    source: Some("inv-old"),
                },
                at,
            )
        })
        .await
        .unwrap()
        .unwrap();
    Matrix {
        v: Victim {
            slug: "victim".into(),
            email: email.into(),
            logo: logo_id,
            session_id,
            used_invitation: used,
            expired_invitation: expired,
        },
        victim: w,
        other,
    }
}

/// The victim's server again, now with a marked address.
fn rec_server_ip(org: &str) -> Rec {
    let mut r = server(org, "s-victim", "MARKV-server", ServerStatusV1::Running);
    if let Some(cs_sync::record::Record::Server(s)) = &mut r.body {
        s.ipv4 = Some("198.51.100.77".into());
    }
    r
}

/// An intruder's credentials for one request.
struct Credentials {
    session: Option<String>,
    csrf: Option<String>,
    bearer: Option<String>,
    token: String,
}

/// A fresh session of the account signing in with `email` at `world`, made
/// in the database (`at` in the past for an expired one).
async fn session_of(
    world: &World,
    email: &str,
    stage: Stage,
    at: chrono::DateTime<chrono::Utc>,
    revoke: bool,
) -> (String, String) {
    let (tenant, email) = (world.tenant_id.clone(), email.to_string());
    world
        .portal
        .portal
        .db
        .run(true, move |tx| {
            let a = accounts::by_email(tx, &tenant, &email)?.expect("the account exists");
            let (id, token) =
                sessions::create(tx, &tenant, &a.id, stage, "192.0.2.66", "intruder", at)?;
            let csrf = tx
                .query_one(
                    "SELECT csrf FROM sessions WHERE id = $1",
                    cs_portal::params![&id],
                )?
                .text(0)?;
            if revoke {
                sessions::revoke(tx, &a.id, &id, at)?;
            }
            Ok::<_, StorageError>((token, csrf))
        })
        .await
        .unwrap()
}

async fn credentials(m: &Matrix, who: Intruder) -> Credentials {
    let now = m.victim.portal.portal.now();
    let (world, email, stage, at, revoke) = match who {
        Intruder::OtherTenant => (&m.other, "otto@org-v.example", Stage::SignedIn, now, false),
        Intruder::OtherOrganization => (
            &m.victim,
            "xavier@org-x.example",
            Stage::SignedIn,
            now,
            false,
        ),
        Intruder::Member => (&m.victim, "max@org-v.example", Stage::SignedIn, now, false),
        Intruder::Billing => (&m.victim, "bea@org-v.example", Stage::SignedIn, now, false),
        Intruder::Revoked => (&m.victim, m.v.email.as_str(), Stage::SignedIn, now, true),
        Intruder::Expired => (
            &m.victim,
            m.v.email.as_str(),
            Stage::SignedIn,
            now - Duration::days(31),
            false,
        ),
        Intruder::SecondFactor => (
            &m.victim,
            m.v.email.as_str(),
            Stage::SecondFactor,
            now,
            false,
        ),
        Intruder::NoSession
        | Intruder::UsedInvitation
        | Intruder::ExpiredInvitation
        | Intruder::OtherDesktop => {
            return Credentials {
                session: None,
                csrf: None,
                bearer: (who == Intruder::OtherDesktop).then(|| m.other.sync_token().to_string()),
                token: match who {
                    Intruder::UsedInvitation => m.v.used_invitation.clone(),
                    Intruder::ExpiredInvitation => m.v.expired_invitation.clone(),
                    _ => "not-a-token".into(),
                },
            }
        }
    };
    let (token, csrf) = session_of(world, email, stage, at, revoke).await;
    Credentials {
        session: Some(token),
        csrf: Some(csrf),
        bearer: None,
        token: "not-a-token".into(),
    }
}

/// The answer's status, code and body (a stream is read for a moment).
async fn call(m: &Matrix, route: &Route, c: &Credentials, s: &Sample) -> (u16, String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}{}", m.victim.url(), s.path);
    let mut r = match s.method {
        "GET" => client.get(&url),
        "POST" => client.post(&url),
        "DELETE" => client.delete(&url),
        other => panic!("no client for {other}"),
    };
    // The double-submit pair a page before sign-in would send, and the
    // session's token on session routes: refusals come from who the caller
    // is, not from a missing CSRF token.
    let double = "intruder-double-submit";
    let mut cookie = format!("cs_csrf={double}");
    if let Some(session) = &c.session {
        cookie.push_str(&format!("; cs_session={session}"));
    }
    r = r.header("cookie", cookie);
    let header = match route.access {
        Access::Session | Access::Customer(_) => c.csrf.clone().unwrap_or_default(),
        _ => double.to_string(),
    };
    r = r.header("x-csrf-token", header);
    if let Some(b) = &c.bearer {
        r = r.bearer_auth(b);
    }
    if let Some(body) = &s.body {
        r = r
            .header("content-type", "application/json")
            .body(body.to_string());
    } else if s.method != "GET" {
        r = r.header("content-type", "application/json");
    }
    let response = r.send().await.unwrap();
    let status = response.status().as_u16();
    let mut stream = response.bytes_stream();
    let mut body = Vec::new();
    let deadline = tokio::time::Instant::now() + StdDuration::from_millis(700);
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, stream.next()).await {
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    let code = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_string))
        .unwrap_or_default();
    (status, code, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_every_intruder_and_never_shows_the_victims_data() {
    for (name, database, _dir) in databases_async().await {
        let m = setup(&database).await;
        let table = routes();
        let mut checked = 0;
        for (route, _) in &table {
            for who in INTRUDERS {
                // Each request starts from fresh counters, so that a rate
                // limit never hides the answer being checked.
                m.victim
                    .portal
                    .portal
                    .db
                    .run(true, |tx| tx.execute("DELETE FROM rate_limits", &[]))
                    .await
                    .unwrap();
                let c = credentials(&m, who).await;
                let s = sample(route, &m.v, &c.token);
                let (status, code, text) = call(&m, route, &c, &s).await;
                let what = format!("{name}: {} {} as {who:?}", route.method, s.path);
                match expect(route, who) {
                    Expect::Refused(want, want_code) => {
                        assert_eq!((status, code.as_str()), (want, want_code), "{what}: {text}")
                    }
                    Expect::OneOf(list) => {
                        assert!(list.contains(&status), "{what}: {status} {text}")
                    }
                    Expect::NoVictimData => {}
                }
                for mark in marks_for(who) {
                    assert!(
                        !text.contains(mark),
                        "{what}: the answer holds the victim's {mark:?}: {text}"
                    );
                }
                checked += 1;
            }
        }
        assert_eq!(checked, table.len() * INTRUDERS.len(), "{name}");

        // Nothing the intruders did reached the victim: the session is
        // live, the password and data unchanged.
        let mut vb = m.victim.browser();
        let r = vb.sign_in("victim", &m.v.email, PASSWORD).await;
        assert_eq!(r.status, 200, "{name}: {}", r.text);
        let sessions = vb.get("/api/v1/sessions").await;
        assert!(
            sessions
                .json
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["id"] == m.v.session_id.as_str()),
            "{name}: the victim's session was not revoked: {}",
            sessions.text
        );
        let servers = vb.get("/api/v1/servers").await;
        assert_eq!(servers.json[0]["label"], "MARKV-server", "{name}");
        // Of all the intruders, only the organization's own member could ask
        // for an action on its server; the other tenant's desktop was handed
        // nothing of it.
        let t = m.victim.tenant_id.clone();
        let asked = m
            .victim
            .portal
            .portal
            .db
            .run(false, move |tx| cs_portal::storage::intents::all(tx, &t))
            .await
            .unwrap();
        assert_eq!(asked.len(), 1, "{name}: {asked:?}");
        let detail = vb.get("/api/v1/servers/s-victim").await;
        assert_eq!(
            detail.json["actions"][0]["requestedBy"], "max Person",
            "{name}: {}",
            detail.text
        );
        assert_eq!(detail.json["actions"][0]["state"], "requested", "{name}");
        assert_eq!(
            vb.get("/api/v1/wallet").await.json["balance"]["minor"],
            "987654321",
            "{name}"
        );
    }
}

/// The matrix's list of samples is complete and the expectations cover
/// every kind of access (a quick check that runs without a database).
#[test]
fn every_route_has_a_sample() {
    let v = Victim {
        slug: "victim".into(),
        email: "v@example.com".into(),
        logo: "00".into(),
        session_id: "s".into(),
        used_invitation: "u".into(),
        expired_invitation: "e".into(),
    };
    for (route, _) in routes() {
        let s = sample(&route, &v, "t");
        assert_eq!(s.method, route.method);
        for who in INTRUDERS {
            let _ = expect(&route, who);
        }
    }
}
