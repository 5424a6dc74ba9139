//! Secrets are keyed by the database they belong to: two installations on
//! one machine (two data folders, one OS keyring) keep their own, and the
//! keys of before are moved once at start.

use std::sync::Arc;

use cs_app::dto::*;
use cs_app::{App, AppConfig};
use cs_core::FixedClock;
use cs_provider::sandbox::Timing;
use cs_secrets::{MemorySecrets, SecretStore, SecretValue};

use crate::Recorder;

fn open(dir: &tempfile::TempDir, secrets: Arc<MemorySecrets>) -> App {
    App::open(AppConfig {
        database_path: dir.path().join("cs.db"),
        log_dir: dir.path().join("logs"),
        clock: Arc::new(FixedClock::new(chrono::Utc::now())),
        events: Arc::new(Recorder::default()),
        secrets,
        sandbox_timing: Timing::uniform(crate::step()),
        actor: "staff:owner".into(),
    })
    .unwrap()
}

fn email(password: &str) -> EmailSettingsInput {
    EmailSettingsInput {
        host: "localhost".into(),
        port: 2525,
        security: "starttls".into(),
        username: "billing".into(),
        password: Some(password.into()),
        from_name: "Acme Cloud Billing".into(),
        from_address: "billing@acme.example".into(),
        reply_to: String::new(),
        brand_color: "#0a7cff".into(),
        logo_url: String::new(),
        website: String::new(),
        portal_url: String::new(),
    }
}

fn paypal(secret: &str) -> PayPalSettingsInput {
    PayPalSettingsInput {
        client_id: "client-id".into(),
        secret: Some(secret.into()),
        environment: "sandbox".into(),
        base_url: None,
        webhook_id: None,
    }
}

#[test]
fn two_installations_keep_their_own_secrets_in_one_keyring() {
    let keyring = Arc::new(MemorySecrets::default());
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = open(&dir_a, keyring.clone());
    let b = open(&dir_b, keyring.clone());
    a.update_email_settings(email("smtp-a")).unwrap();
    a.save_paypal_settings(paypal("paypal-a")).unwrap();
    b.update_email_settings(email("smtp-b")).unwrap();
    b.save_paypal_settings(paypal("paypal-b")).unwrap();

    let read = |_: &App, key: String| keyring.get(&key).unwrap().map(|v| v.expose().to_string());
    assert_eq!(
        read(&a, a.secret_keys().smtp_password()).as_deref(),
        Some("smtp-a")
    );
    assert_eq!(
        read(&a, a.secret_keys().paypal_secret()).as_deref(),
        Some("paypal-a")
    );
    assert_eq!(
        read(&b, b.secret_keys().smtp_password()).as_deref(),
        Some("smtp-b")
    );
    assert_eq!(
        read(&b, b.secret_keys().paypal_secret()).as_deref(),
        Some("paypal-b")
    );

    // The database id survives a restart, so the keys do too.
    let id = a.secret_keys().database_id().to_string();
    drop(a);
    let a = open(&dir_a, keyring.clone());
    assert_eq!(a.secret_keys().database_id(), id);
    assert!(a.email_settings().unwrap().password_set);
    assert!(a.paypal_settings().unwrap().has_secret);
}

#[test]
fn secrets_of_before_are_moved_once_to_the_databases_keys() {
    let keyring = Arc::new(MemorySecrets::default());
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir, keyring.clone());
    app.update_email_settings(email("smtp-old")).unwrap();
    app.save_paypal_settings(paypal("paypal-old")).unwrap();
    let keys = app.secret_keys().clone();
    drop(app);
    // As an earlier version left the keyring: fixed keys.
    for (new, old) in [
        (keys.smtp_password(), cs_app::secrets::legacy::SMTP_PASSWORD),
        (keys.paypal_secret(), cs_app::secrets::legacy::PAYPAL_SECRET),
    ] {
        let v = keyring.get(&new).unwrap().unwrap();
        keyring.delete(&new).unwrap();
        keyring.set(old, &v).unwrap();
    }
    // Another installation that uses neither does not take them.
    let other_dir = tempfile::tempdir().unwrap();
    let other = open(&other_dir, keyring.clone());
    assert!(keyring
        .get(cs_app::secrets::legacy::SMTP_PASSWORD)
        .unwrap()
        .is_some());
    assert!(!other.paypal_settings().unwrap().has_secret);

    let app = open(&dir, keyring.clone());
    assert_eq!(
        keyring
            .get(&keys.smtp_password())
            .unwrap()
            .unwrap()
            .expose(),
        "smtp-old"
    );
    assert_eq!(
        keyring
            .get(&keys.paypal_secret())
            .unwrap()
            .unwrap()
            .expose(),
        "paypal-old"
    );
    for old in [
        cs_app::secrets::legacy::SMTP_PASSWORD,
        cs_app::secrets::legacy::PAYPAL_SECRET,
    ] {
        assert!(keyring.get(old).unwrap().is_none(), "{old} is moved");
    }
    assert!(app.email_settings().unwrap().password_set);
    assert!(app.paypal_settings().unwrap().configured);

    // Idempotent: a second start moves nothing and loses nothing.
    drop(app);
    keyring
        .set(
            cs_app::secrets::legacy::SMTP_PASSWORD,
            &SecretValue::new("stale".to_string()),
        )
        .unwrap();
    let app = open(&dir, keyring.clone());
    assert_eq!(
        keyring
            .get(&keys.smtp_password())
            .unwrap()
            .unwrap()
            .expose(),
        "smtp-old"
    );
    assert!(app.email_settings().unwrap().password_set);
}
