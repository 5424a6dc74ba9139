//! The real OS keyring. These tests need a running, unlocked Secret Service;
//! `cargo xtask test` runs them inside `dbus-run-session` with
//! `gnome-keyring-daemon --unlock`, so they are ignored in a plain
//! `cargo test` (which may run where no keyring exists).

use cs_secrets::{Keyring, SecretStore, SecretValue};

#[test]
#[ignore = "needs an unlocked Secret Service: run through `cargo xtask test`"]
fn secrets_persist_in_the_secret_service() {
    let service = format!("containerstacks-test-{}", std::process::id());
    let key = "linode/test-account";
    let value = SecretValue::new("linode-token-\u{1F511}-0123456789abcdef");

    let store = Keyring::new(&service);
    assert!(store.get(key).unwrap().is_none());
    store.set(key, &value).unwrap();

    // A fresh handle (as after an app restart) reads what the daemon kept.
    let reopened = Keyring::new(&service);
    assert_eq!(reopened.get(key).unwrap(), Some(value.clone()));

    // Overwrite, then delete; deleting twice is fine.
    let rotated = SecretValue::new("rotated-token");
    reopened.set(key, &rotated).unwrap();
    assert_eq!(store.get(key).unwrap(), Some(rotated));
    store.delete(key).unwrap();
    store.delete(key).unwrap();
    assert!(reopened.get(key).unwrap().is_none());
}
