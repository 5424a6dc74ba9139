//! The desktop paired with a real portal (cs-portal on an embedded SQLite
//! file, served on a loopback port): pairing, the full snapshot, each change
//! pushed after its commit, invitations, and refusals shown in words.

use std::sync::Arc;

use cs_app::dto::*;
use cs_app::AppError;
use cs_portal::storage::{intents, projection, tenants, StorageError};
use cs_portal::{Config, Database, Portal};
use cs_sync::intent::{DeleteServerV1, Intent, PowerActionV1, PowerV1};
use cs_sync::record::{Kind, Record};

use crate::TestApp;

pub(crate) struct RunningPortal {
    portal: Arc<Portal>,
    pub(crate) url: String,
    tenant_id: String,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningPortal {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) async fn portal() -> RunningPortal {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let db = Database::Sqlite(dir.path().join("portal").join("portal.db"));
    let u = url.clone();
    let portal = tokio::task::spawn_blocking(move || {
        Portal::open(Config::new(db, u, Arc::new(cs_portal::SystemClock))).unwrap()
    })
    .await
    .unwrap();
    let now = portal.now();
    let tenant_id = portal
        .db
        .run(true, move |tx| {
            let t = tenants::create(tx, "acme", "Acme Cloud", now)?;
            Ok::<_, StorageError>(t.id)
        })
        .await
        .unwrap();
    let p = portal.clone();
    let task = tokio::spawn(async move {
        cs_portal::serve(p, listener).await.unwrap();
    });
    RunningPortal {
        portal,
        url,
        tenant_id,
        _dir: dir,
        task,
    }
}

impl RunningPortal {
    pub(crate) async fn code(&self) -> String {
        let now = self.portal.now();
        let t = self.tenant_id.clone();
        self.portal
            .db
            .run(true, move |tx| tenants::new_pairing_code(tx, &t, now))
            .await
            .unwrap()
    }

    /// What the portal holds, decoded, by kind.
    pub(crate) async fn held(&self) -> Vec<(Kind, String, Option<Record>)> {
        let t = self.tenant_id.clone();
        let all = self
            .portal
            .db
            .run(false, move |tx| projection::all(tx, &t))
            .await
            .unwrap();
        all.iter()
            .map(|e| (e.kind().unwrap(), e.id.clone(), e.decode().unwrap()))
            .collect()
    }

    /// Pairs the test's desktop with this portal (nothing pushed yet).
    pub(crate) async fn pair(&self, t: &TestApp) {
        t.app
            .pair_portal(PortalPairInput {
                url: self.url.clone(),
                code: self.code().await,
            })
            .await
            .unwrap();
    }

    /// A customer's request, as the portal records it once it accepted it.
    pub(crate) async fn request(
        &self,
        org: &str,
        contact: &str,
        intent: cs_sync::intent::Intent,
    ) -> cs_sync::intent::IntentEnvelope {
        let now = self.portal.now();
        let (t, org, contact) = (self.tenant_id.clone(), org.to_string(), contact.to_string());
        self.portal
            .db
            .run(true, move |tx| {
                intents::create(
                    tx,
                    &intents::Asker {
                        tenant: &t,
                        org: &org,
                        account: "account",
                        contact: &contact,
                        name: "Zoë",
                    },
                    &intent,
                    now,
                )
            })
            .await
            .unwrap()
            .envelope
    }

    /// Every intent's id, state and reason, oldest first.
    pub(crate) async fn intents(&self) -> Vec<(String, intents::State, Option<String>)> {
        let t = self.tenant_id.clone();
        self.portal
            .db
            .run(false, move |tx| intents::all(tx, &t))
            .await
            .unwrap()
    }

    pub(crate) async fn hold_minutes(&self) -> u32 {
        let t = self.tenant_id.clone();
        self.portal
            .db
            .run(false, move |tx| intents::hold_minutes(tx, &t))
            .await
            .unwrap()
    }

    async fn organization_name(&self, id: &str) -> Option<String> {
        self.held()
            .await
            .into_iter()
            .find_map(|(k, i, r)| match (k, r) {
                (Kind::Organization, Some(Record::Organization(o))) if i == id => Some(o.name),
                _ => None,
            })
    }
}

fn field_error(e: AppError, field: &str) -> String {
    match e {
        AppError::Validation(v) => {
            v.0.iter()
                .find(|f| f.field == field)
                .map(|f| f.message.clone())
                .unwrap_or_else(|| panic!("no error on {field}: {v:?}"))
        }
        e => panic!("expected a validation error on {field}, got {e:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paired_desktop_sends_everything_then_each_change_and_invitations() {
    let t = TestApp::new();
    let org = t.customer("Fjord Hosting AS", "ops@fjord.example");
    let plan = t.plan("Small").await;
    t.app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    let p = portal().await;

    // Bad input first: nothing is paired.
    let e = t
        .app
        .pair_portal(PortalPairInput {
            url: "http://portal.example.com".into(),
            code: "x".into(),
        })
        .await
        .unwrap_err();
    assert!(field_error(e, "url").contains("https"));
    let e = t
        .app
        .pair_portal(PortalPairInput {
            url: p.url.clone(),
            code: "not-a-code".into(),
        })
        .await
        .unwrap_err();
    assert!(!field_error(e, "code").is_empty());
    assert!(!t.app.portal_status().unwrap().paired);

    let status = t
        .app
        .pair_portal(PortalPairInput {
            url: format!("{}/", p.url),
            code: p.code().await,
        })
        .await
        .unwrap();
    assert!(status.paired);
    assert_eq!(status.tenant_name.as_deref(), Some("Acme Cloud"));
    assert_eq!(status.customer_url, Some(format!("{}/acme/", p.url)));
    assert!(status.waiting > 0, "the snapshot waits to be sent");

    let status = t.app.sync_portal_until_idle().await.unwrap();
    assert_eq!(status.waiting, 0, "{status:?}");
    assert!(
        status.connected && status.last_error.is_none(),
        "{status:?}"
    );
    let held = p.held().await;
    let kinds: std::collections::BTreeSet<Kind> = held.iter().map(|h| h.0).collect();
    for k in [
        Kind::Branding,
        Kind::Organization,
        Kind::Contact,
        Kind::Plan,
        Kind::Server,
        Kind::Wallet,
    ] {
        assert!(kinds.contains(&k), "the portal holds no {k}: {kinds:?}");
    }
    assert_eq!(
        p.organization_name(&org.id).await.as_deref(),
        Some("Fjord Hosting AS")
    );
    let server = held
        .iter()
        .find_map(|h| match &h.2 {
            Some(Record::Server(s)) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (server.label.as_str(), server.plan_name.as_str()),
        ("web-1", "Small")
    );

    // A change is pushed after its commit.
    t.app
        .update_organization(
            &org.id,
            OrganizationInput {
                name: "Fjord Hosting ASA".into(),
                contact_name: "Zoë Ødegård".into(),
                contact_email: "ops@fjord.example".into(),
                country: "NO".into(),
                tax_id: None,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(t.app.portal_status().unwrap().waiting, 1);
    t.app.sync_portal_until_idle().await.unwrap();
    assert_eq!(
        p.organization_name(&org.id).await.as_deref(),
        Some("Fjord Hosting ASA")
    );

    // A payment: its receipt, the wallet's balance and the movement follow.
    t.app
        .record_payment(PaymentInput {
            organization_id: org.id.clone(),
            amount: "50.00".into(),
            method: "bank_transfer".into(),
            reference: "BANK-1".into(),
            note: None,
        })
        .await
        .unwrap();
    t.app.sync_portal_until_idle().await.unwrap();
    let held = p.held().await;
    let receipt = held.iter().find_map(|h| match &h.2 {
        Some(Record::Document(d)) => Some(d.clone()),
        _ => None,
    });
    let receipt = receipt.expect("the receipt reached the portal");
    assert_eq!(receipt.totals.gross_minor, 5000);
    let wallet = held.iter().find_map(|h| match &h.2 {
        Some(Record::Wallet(w)) if h.1 == org.id => Some(w.clone()),
        _ => None,
    });
    assert_eq!(
        wallet.expect("the wallet reached the portal").balance_minor,
        5000
    );
    assert!(held.iter().any(|h| matches!(&h.2,
        Some(Record::WalletTransaction(m)) if m.amount_minor == 5000)));

    // Invitation: the portal receives it (and mails the contact).
    let inv = t.app.invite_to_portal(&org.id).unwrap();
    assert_eq!(inv.email, "ops@fjord.example");
    t.app.sync_portal_until_idle().await.unwrap();
    assert!(p
        .held()
        .await
        .iter()
        .any(|h| h.0 == Kind::Invitation && h.1 == inv.id));

    // The token is in the keyring, never in the database file.
    use cs_secrets::SecretStore;
    let db = std::fs::read(t.dir.path().join("cs.db")).unwrap();
    let token = t
        .secrets
        .get(&t.app.secret_keys().portal_token())
        .unwrap()
        .expect("the sync token is in the keyring");
    let token = token.expose();
    assert!(token.len() > 16);
    assert!(!db.windows(token.len()).any(|w| w == token.as_bytes()));

    // A revoked token stops the sync with words, and nothing more is sent.
    let tenant = p.tenant_id.clone();
    let now = p.portal.now();
    p.portal
        .db
        .run(true, move |tx| tenants::revoke_tokens(tx, &tenant, now))
        .await
        .unwrap();
    t.customer("Second AS", "two@second.example");
    let status = t.app.sync_portal_until_idle().await.unwrap();
    assert!(status.stopped, "{status:?}");
    assert!(
        status
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("pair again"),
        "{status:?}"
    );
    assert!(status.waiting > 0);
}

fn power(server: &str, action: PowerActionV1) -> Intent {
    Intent::Power(PowerV1 {
        server: server.to_string(),
        action,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_requests_are_checked_again_and_applied_once() {
    let t = TestApp::new();
    let org = t.customer("Fjord Hosting AS", "ops@fjord.example");
    let other = t.customer("Other AS", "ops@other.example");
    let plan = t.plan("Small").await;
    let web = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    let theirs = t
        .app
        .create_server(t.server_input(&other, &plan, "their-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    assert_eq!(t.app.get_server(&web.id).unwrap().server.status, "running");
    let p = portal().await;
    p.pair(&t).await;
    t.app.sync_portal_until_idle().await.unwrap();
    let contact = p
        .held()
        .await
        .into_iter()
        .find_map(|(k, id, r)| match (k, r) {
            (Kind::Contact, Some(Record::Contact(c))) if c.email == "ops@fjord.example" => Some(id),
            _ => None,
        })
        .unwrap();

    // A reboot asked on the portal is carried out, once.
    let reboot = p
        .request(&org.id, &contact, power(&web.id, PowerActionV1::Reboot))
        .await;
    assert_eq!(t.app.fetch_portal_intents(0).await.unwrap(), Some(1));
    assert_eq!(
        t.app.get_server(&web.id).unwrap().server.status,
        "rebooting"
    );
    let activity = t.app.get_server(&web.id).unwrap().activity;
    assert!(
        activity
            .iter()
            .any(|a| a.summary.ends_with("asked on the portal to reboot web-1")),
        "{activity:?}"
    );
    // The reboot itself is the customer's in the log, not the reseller's.
    let rebooted = activity
        .iter()
        .find(|a| a.action == "server.rebooted")
        .unwrap();
    assert!(rebooted.actor.starts_with("portal:"), "{rebooted:?}");
    // Handed out again until the answer arrives: known, not applied again.
    assert_eq!(t.app.fetch_portal_intents(0).await.unwrap(), Some(0));
    assert_eq!(
        t.app
            .apply_portal_intents(&[reboot.clone(), reboot.clone()])
            .await
            .unwrap(),
        0
    );
    t.app.sync_portal_until_idle().await.unwrap();
    assert_eq!(
        p.intents().await,
        vec![(reboot.id.to_string(), intents::State::Applied, None)]
    );
    assert_eq!(t.app.fetch_portal_intents(0).await.unwrap(), Some(0));
    t.tick().await;
    assert_eq!(t.app.get_server(&web.id).unwrap().server.status, "running");

    // Checked again on the desktop: someone else's server, a stranger, an
    // action the state does not allow. Each is refused with a reason and
    // changes nothing.
    let before = t.app.get_server(&theirs.id).unwrap().server.status;
    p.request(
        &org.id,
        &contact,
        power(&theirs.id, PowerActionV1::Shutdown),
    )
    .await;
    p.request(
        &org.id,
        "0193a0c0-0000-7000-8000-00000000dead",
        power(&web.id, PowerActionV1::Shutdown),
    )
    .await;
    p.request(&org.id, &contact, power(&web.id, PowerActionV1::Boot))
        .await;
    assert_eq!(t.app.fetch_portal_intents(0).await.unwrap(), Some(3));
    assert_eq!(t.app.get_server(&theirs.id).unwrap().server.status, before);
    assert_eq!(t.app.get_server(&web.id).unwrap().server.status, "running");
    t.app.sync_portal_until_idle().await.unwrap();
    let reasons: Vec<(intents::State, String)> = p
        .intents()
        .await
        .into_iter()
        .skip(1)
        .map(|(_, s, r)| (s, r.unwrap_or_default()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                intents::State::Refused,
                "This server does not exist (any more).".to_string()
            ),
            (
                intents::State::Refused,
                "Your account is no longer a contact of this organization.".to_string()
            ),
            (
                intents::State::Refused,
                "web-1 cannot boot while it is running.".to_string()
            ),
        ]
    );
    let desktop: Vec<String> = t
        .app
        .portal_intents()
        .unwrap()
        .into_iter()
        .map(|(_, s, _)| s)
        .collect();
    assert_eq!(desktop, ["applied", "refused", "refused", "refused"]);

    // A customer deletes their server: carried out like the reseller's
    // Delete (billing follows it).
    let delete = p
        .request(
            &org.id,
            &contact,
            Intent::Delete(DeleteServerV1 {
                server: web.id.clone(),
            }),
        )
        .await;
    assert_eq!(t.app.fetch_portal_intents(0).await.unwrap(), Some(1));
    assert_eq!(t.app.get_server(&web.id).unwrap().server.status, "deleting");
    t.app.sync_portal_until_idle().await.unwrap();
    assert_eq!(
        p.intents().await.last().unwrap(),
        &(delete.id.to_string(), intents::State::Applied, None)
    );

    // The reseller's hold time reaches the portal; bad input changes nothing.
    assert_eq!(p.hold_minutes().await, 60);
    let e = t.app.set_portal_intent_hold(100_000).unwrap_err();
    assert!(field_error(e, "intentHoldMinutes").contains("at most a week"));
    assert_eq!(t.app.portal_status().unwrap().intent_hold_minutes, 60);
    t.app.set_portal_intent_hold(0).unwrap();
    t.app.sync_portal_until_idle().await.unwrap();
    assert_eq!(p.hold_minutes().await, 0);
}
