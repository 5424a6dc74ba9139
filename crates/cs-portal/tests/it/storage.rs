//! The storage functions, run on SQLite and on PostgreSQL alike.

use chrono::Duration;
use cs_portal::db::Db;
use cs_portal::storage::projection::{self, NoEffects, Scope};
use cs_portal::storage::{limits, tenants, StorageError};
use cs_sync::protocol::{ErrorCode, PushRequest, PROTOCOL_VERSION};
use cs_sync::record::*;
use uuid::Uuid;

use crate::support::{databases, open, start_time};

const STREAM: Uuid = Uuid::from_u128(0xA);
const ORG_A: &str = "org-a";
const ORG_B: &str = "org-b";

fn server(seq: u64, id: &str, org: &str, label: &str) -> Envelope {
    Envelope::new(
        seq,
        start_time(),
        id,
        Some(org.to_string()),
        &Record::Server(ServerV1 {
            label: label.into(),
            plan: "p1".into(),
            plan_name: "Nano".into(),
            region: "eu-central".into(),
            image: "debian-12".into(),
            status: ServerStatusV1::Running,
            ipv4: None,
            ipv6: None,
            created_at: start_time(),
            deleted_at: None,
        }),
    )
}

fn push(after: u64, records: Vec<Envelope>) -> PushRequest {
    let last = records.last().map_or(after, |r| r.seq);
    PushRequest {
        protocol: PROTOCOL_VERSION,
        stream: STREAM,
        after,
        last,
        records,
    }
}

fn tenant(db: &Db) -> String {
    db.transaction(true, |tx| {
        tenants::create(tx, "acme-cloud", "Acme Cloud", start_time())
    })
    .unwrap()
    .id
}

fn apply(db: &Db, tenant: &str, p: &PushRequest) -> Result<u64, StorageError> {
    db.transaction(true, |tx| {
        projection::apply_push(tx, tenant, p, start_time(), &NoEffects).map(|r| r.held_through)
    })
}

fn labels(db: &Db, tenant: &str, org: &str) -> Vec<String> {
    db.transaction(false, |tx| {
        projection::list(
            tx,
            Scope::Organization { tenant, org },
            Kind::Server,
            false,
            None,
            100,
        )
    })
    .unwrap()
    .iter()
    .map(|e| match projection::decode(e).unwrap() {
        Record::Server(s) => s.label,
        other => panic!("{other:?}"),
    })
    .collect()
}

#[test]
fn tenants_pairing_codes_and_tokens() {
    for (name, database, _dir) in databases() {
        let db = open(&database);
        let now = start_time();
        let t = db
            .transaction(true, |tx| {
                tenants::create(tx, "acme-cloud", "Acme Cloud", now)
            })
            .unwrap();
        let dup = db.transaction(true, |tx| tenants::create(tx, "acme-cloud", "Other", now));
        assert!(
            matches!(dup, Err(StorageError::Conflict(m)) if m.contains("exists already")),
            "{name}"
        );
        for bad in ["A", "-x", "api", "acme cloud", "ä"] {
            assert!(tenants::check_slug(bad).is_err(), "{name}: {bad}");
        }
        let code = db
            .transaction(true, |tx| tenants::new_pairing_code(tx, &t.id, now))
            .unwrap();
        assert_eq!(code.len(), 14, "{code}");
        // Case and dashes do not matter; the code works once.
        let typed = code.replace('-', "").to_lowercase();
        let (paired, token) = db
            .transaction(true, |tx| {
                tenants::pair(tx, &typed, "Acme desktop", "0.2.0", now)
            })
            .unwrap();
        assert_eq!(
            (paired.slug.as_str(), paired.desktop_name.as_deref()),
            ("acme-cloud", Some("Acme desktop")),
            "{name}"
        );
        let again = db.transaction(true, |tx| tenants::pair(tx, &code, "x", "y", now));
        assert!(
            matches!(again, Err(StorageError::Sync(e)) if e.code == ErrorCode::PairingCode),
            "{name}"
        );
        // An expired code is refused too.
        let old = db
            .transaction(true, |tx| tenants::new_pairing_code(tx, &t.id, now))
            .unwrap();
        let late = now + tenants::PAIRING_CODE_TTL + Duration::seconds(1);
        assert!(
            db.transaction(true, |tx| tenants::pair(tx, &old, "x", "y", late))
                .is_err(),
            "{name}"
        );
        // The token finds the tenant until it is revoked.
        let found = db
            .transaction(true, |tx| tenants::by_token(tx, &token, now))
            .unwrap();
        assert_eq!(found.map(|t| t.id), Some(t.id.clone()), "{name}");
        assert_eq!(
            db.transaction(true, |tx| tenants::revoke_tokens(tx, &t.id, now))
                .unwrap(),
            1
        );
        assert_eq!(
            db.transaction(true, |tx| tenants::by_token(tx, &token, now))
                .unwrap(),
            None,
            "{name}"
        );
    }
}

#[test]
fn pushes_apply_once_in_order_and_refuse_gaps() {
    for (name, database, _dir) in databases() {
        let db = open(&database);
        let t = tenant(&db);
        let first = push(
            0,
            vec![
                server(1, "s1", ORG_A, "web-1"),
                server(2, "s2", ORG_A, "db-1"),
            ],
        );
        assert_eq!(apply(&db, &t, &first).unwrap(), 2, "{name}");
        // The same push again changes nothing.
        assert_eq!(apply(&db, &t, &first).unwrap(), 2, "{name}");
        assert_eq!(labels(&db, &t, ORG_A), ["db-1", "web-1"], "{name}");
        // A gap is refused with what the portal holds, and writes nothing.
        let gap = push(5, vec![server(6, "s3", ORG_A, "gap-1")]);
        match apply(&db, &t, &gap) {
            Err(StorageError::Sync(e)) => assert_eq!(
                (e.code, e.held_through),
                (ErrorCode::Gap, Some(2)),
                "{name}"
            ),
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(labels(&db, &t, ORG_A), ["db-1", "web-1"], "{name}");
        // An overlapping push applies only what is new; a tombstone removes.
        let next = push(
            1,
            vec![
                server(2, "s2", ORG_A, "db-1"),
                server(4, "s1", ORG_A, "web-renamed"),
                Envelope::tombstone(5, start_time(), Kind::Server, "s2", Some(ORG_A.into())),
            ],
        );
        assert_eq!(apply(&db, &t, &next).unwrap(), 5, "{name}");
        assert_eq!(labels(&db, &t, ORG_A), ["web-renamed"], "{name}");
    }
}

#[test]
fn an_unreadable_record_refuses_the_whole_push() {
    for (name, database, _dir) in databases() {
        let db = open(&database);
        let t = tenant(&db);
        let mut newer = server(2, "s2", ORG_A, "db-1");
        newer.v = 99;
        let p = push(0, vec![server(1, "s1", ORG_A, "web-1"), newer]);
        match apply(&db, &t, &p) {
            Err(StorageError::Sync(e)) => {
                assert_eq!(
                    (e.code, e.record),
                    (ErrorCode::Unsupported, Some(2)),
                    "{name}"
                );
                assert!(e.message.contains("version 99"), "{name}: {}", e.message);
            }
            other => panic!("{name}: {other:?}"),
        }
        assert!(
            labels(&db, &t, ORG_A).is_empty(),
            "{name}: nothing of the batch is applied"
        );
    }
}

#[test]
fn a_new_stream_from_zero_replaces_the_projection() {
    for (name, database, _dir) in databases() {
        let db = open(&database);
        let t = tenant(&db);
        apply(
            &db,
            &t,
            &push(
                0,
                vec![
                    server(1, "s1", ORG_A, "old-1"),
                    server(2, "s2", ORG_A, "old-2"),
                ],
            ),
        )
        .unwrap();
        let mut restart = push(0, vec![server(1, "s9", ORG_A, "new-1")]);
        restart.stream = Uuid::from_u128(0xB);
        assert_eq!(apply(&db, &t, &restart).unwrap(), 1, "{name}");
        assert_eq!(labels(&db, &t, ORG_A), ["new-1"], "{name}");
        // The old stream is answered with "start again from 0".
        match apply(&db, &t, &push(2, vec![server(3, "s3", ORG_A, "x")])) {
            Err(StorageError::Sync(e)) => assert_eq!(e.code, ErrorCode::StreamChanged, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn reads_are_scoped_to_the_tenant_and_organization() {
    for (name, database, _dir) in databases() {
        let db = open(&database);
        let t = tenant(&db);
        let other = db
            .transaction(true, |tx| {
                tenants::create(tx, "other", "Other", start_time())
            })
            .unwrap()
            .id;
        apply(
            &db,
            &t,
            &push(
                0,
                vec![server(1, "s1", ORG_A, "a-1"), server(2, "s2", ORG_B, "b-1")],
            ),
        )
        .unwrap();
        apply(
            &db,
            &other,
            &push(0, vec![server(1, "s1", ORG_A, "other-tenant")]),
        )
        .unwrap();
        assert_eq!(labels(&db, &t, ORG_A), ["a-1"], "{name}");
        assert_eq!(labels(&db, &t, ORG_B), ["b-1"], "{name}");
        assert_eq!(labels(&db, &other, ORG_A), ["other-tenant"], "{name}");
        db.transaction(false, |tx| {
            let a = Scope::Organization {
                tenant: &t,
                org: ORG_A,
            };
            assert!(
                projection::get(tx, a, Kind::Server, "s1")?.is_some(),
                "{name}"
            );
            assert_eq!(
                projection::get(tx, a, Kind::Server, "s2")?,
                None,
                "{name}: another customer's server"
            );
            // Customer records are never read with the tenant's scope.
            assert_eq!(
                projection::get(tx, Scope::Tenant(&t), Kind::Server, "s1")?,
                None,
                "{name}"
            );
            Ok::<_, StorageError>(())
        })
        .unwrap();
    }
}

#[test]
fn pages_follow_the_sort_key() {
    for (name, database, _dir) in databases() {
        let db = open(&database);
        let t = tenant(&db);
        let records: Vec<_> = (1..=25)
            .map(|i| server(i, &format!("s{i}"), ORG_A, &format!("web-{i:02}")))
            .collect();
        apply(&db, &t, &push(0, records)).unwrap();
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = db
                .transaction(false, |tx| {
                    projection::list(
                        tx,
                        Scope::Organization {
                            tenant: &t,
                            org: ORG_A,
                        },
                        Kind::Server,
                        true,
                        after.as_deref(),
                        10,
                    )
                })
                .unwrap();
            let Some(last) = page.last() else { break };
            after = db
                .transaction(false, |tx| {
                    projection::sort_key_of(tx, &t, Kind::Server, &last.id)
                })
                .unwrap();
            seen.extend(page.iter().map(|e| e.id.clone()));
        }
        let expected: Vec<String> = (1..=25).rev().map(|i| format!("s{i}")).collect();
        assert_eq!(seen, expected, "{name}");
    }
}

#[test]
fn concurrent_pushes_of_one_tenant_apply_once() {
    for (name, database, _dir) in databases() {
        let db = open(&database);
        let t = tenant(&db);
        let p = push(
            0,
            (1..=50)
                .map(|i| server(i, &format!("s{i}"), ORG_A, &format!("w-{i:02}")))
                .collect(),
        );
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| apply(&db, &t, &p))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for r in results {
            assert_eq!(r.unwrap(), 50, "{name}");
        }
        assert_eq!(labels(&db, &t, ORG_A).len(), 50, "{name}");
    }
}

#[test]
fn rate_limits_count_per_window() {
    for (name, database, _dir) in databases() {
        let db = open(&database);
        let now = start_time();
        let hits: Vec<bool> = (0..4)
            .map(|_| {
                db.transaction(true, |tx| {
                    limits::hit(tx, "k", Duration::minutes(15), 3, now)
                })
                .unwrap()
            })
            .collect();
        assert_eq!(hits, [true, true, true, false], "{name}");
        let later = now + Duration::minutes(15);
        assert!(
            db.transaction(true, |tx| limits::hit(
                tx,
                "k",
                Duration::minutes(15),
                3,
                later
            ))
            .unwrap(),
            "{name}"
        );
    }
}

#[test]
fn a_session_read_with_its_records_sees_its_own_organization_only() {
    use cs_portal::storage::{accounts, sessions};
    for (name, database, _dir) in databases() {
        let db = open(&database);
        let t = tenant(&db);
        let contact = |seq, id: &str, org: &str| {
            Envelope::new(
                seq,
                start_time(),
                id,
                Some(org.to_string()),
                &Record::Contact(ContactV1 {
                    name: "Ada".into(),
                    email: format!("{id}@example.com"),
                    role: ContactRole::Admin,
                }),
            )
        };
        apply(
            &db,
            &t,
            &push(
                0,
                vec![
                    contact(1, "c-a", ORG_A),
                    contact(2, "c-empty", "org-empty"),
                    server(3, "s2", ORG_A, "a-2"),
                    server(4, "s1", ORG_A, "a-1"),
                    server(5, "s3", ORG_B, "b-1"),
                ],
            ),
        )
        .unwrap();
        let now = start_time() + Duration::minutes(5);
        let token_of = |contact: &str, org: &str| {
            let (t, contact, org) = (t.clone(), contact.to_string(), org.to_string());
            db.transaction(true, move |tx| {
                let a = accounts::accept_invitation(
                    tx,
                    &t,
                    &contact,
                    &org,
                    "Ada",
                    &format!("{contact}@example.com"),
                    "not a real hash",
                    now,
                )?;
                Ok::<_, StorageError>((
                    a.id.clone(),
                    sessions::create(
                        tx,
                        &t,
                        &a.id,
                        sessions::Stage::SignedIn,
                        "192.0.2.1",
                        "test",
                        now,
                    )?,
                ))
            })
            .unwrap()
        };
        let (account, (session, token)) = token_of("c-a", ORG_A);
        let (_, (_, empty_token)) = token_of("c-empty", "org-empty");
        let read = |token: &str| {
            let token = token.to_string();
            db.transaction(false, move |tx| {
                sessions::lookup_with_records(tx, &token, Kind::Server, now)
            })
            .unwrap()
        };

        let (live, records) = read(&token).expect("a live session");
        assert_eq!(live.org, ORG_A, "{name}");
        let ids: Vec<_> = records.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["s1", "s2"], "{name}: its own servers, by label");
        let plain = {
            let token = token.clone();
            db.transaction(false, move |tx| sessions::lookup(tx, &token, now))
                .unwrap()
                .expect("a live session")
        };
        assert_eq!(
            format!("{live:?}"),
            format!("{plain:?}"),
            "{name}: the same session as a plain lookup"
        );

        let (_, none) = read(&empty_token).expect("a live session without servers");
        assert!(none.is_empty(), "{name}");
        assert!(read("not-a-token").is_none(), "{name}");

        db.transaction(true, |tx| sessions::revoke(tx, &account, &session, now))
            .unwrap();
        assert!(
            read(&token).is_none(),
            "{name}: a revoked session reads nothing"
        );
    }
}
