//! Settings → About: where updates come from is kept and audited, a bad
//! address is refused with nothing written, and the copy an update's
//! migrations leave behind is listed as the way back.

use cs_app::{AppError, UpdateSettingsDto};

use crate::TestApp;

#[test]
fn the_update_address_is_checked_kept_and_audited() {
    let t = TestApp::new();
    let defaults = t.app.updater_settings().unwrap();
    assert_eq!(
        defaults,
        UpdateSettingsDto {
            endpoint: String::new(),
            check_at_start: true
        }
    );

    let refused = t
        .app
        .set_updater_settings(UpdateSettingsDto {
            endpoint: "http://mirror.example/cs/latest.json".into(),
            check_at_start: false,
        })
        .unwrap_err();
    let AppError::Validation(v) = refused else {
        panic!("expected a validation error, got {refused:?}");
    };
    assert_eq!(v.0[0].field, "endpoint");
    assert!(v.0[0].message.contains("https://"), "{}", v.0[0].message);
    assert_eq!(
        t.app.updater_settings().unwrap(),
        defaults,
        "nothing written"
    );

    let mirror = UpdateSettingsDto {
        endpoint: "  https://mirror.example/cs/{{target}}/{{arch}}/{{current_version}}  ".into(),
        check_at_start: false,
    };
    let saved = t.app.set_updater_settings(mirror).unwrap();
    assert_eq!(
        saved.endpoint,
        "https://mirror.example/cs/{{target}}/{{arch}}/{{current_version}}"
    );
    let t = t.restart();
    assert_eq!(
        t.app.updater_settings().unwrap(),
        saved,
        "kept across starts"
    );
    let activity = t.app.list_activity(5, None).unwrap();
    assert!(
        activity
            .iter()
            .any(|a| a.action == "settings.updates_updated"
                && a.summary.contains("mirror.example")
                && a.summary.contains("not checked at start")),
        "{activity:?}"
    );
}

#[test]
fn a_database_an_update_migrates_is_copied_first_and_listed() {
    let t = TestApp::new();
    assert!(
        t.app.copies_before_update().is_empty(),
        "a new database needs no copy"
    );
    let t = t.restart();
    assert!(
        t.app.copies_before_update().is_empty(),
        "nor does an up-to-date one"
    );

    // A database as the previous version left it: all but the newest migration.
    let dir = tempfile::tempdir().unwrap();
    let all = cs_store::migrate::embedded();
    {
        let mut conn = cs_store::rusqlite::Connection::open(dir.path().join("cs.db")).unwrap();
        cs_store::migrate::apply_list(&mut conn, &all[..all.len() - 1]).unwrap();
    }
    let app = crate::open(&dir, t.clock.clone(), t.events.clone(), t.secrets.clone()).unwrap();
    let copies = app.copies_before_update();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(copies[0].schema as usize, all.len() - 1);
    assert!(
        copies[0].path.contains("before-update"),
        "{}",
        copies[0].path
    );
    assert!(copies[0].taken_at.ends_with('Z'), "{}", copies[0].taken_at);
    // The copy is the database as it was: the previous version opens it.
    let copy = cs_store::rusqlite::Connection::open(&copies[0].path).unwrap();
    let n: usize = copy
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, all.len() - 1);
}
