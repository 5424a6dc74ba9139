//! A deterministic simulation of a desktop, the portal and the network
//! between them, with seeded faults: lost, duplicated, reordered and delayed
//! messages; the portal killed in the middle of applying a batch; the desktop
//! killed between a push and saving its cursor; the portal's database rolled
//! back to an older copy. After quiescence the portal's projection must equal
//! the desktop's.
//!
//! Customers' requests (intents) ride the same network: the portal records
//! them (as if its view of roles and owners were stale, so some are not
//! allowed any more), the desktop fetches them — fetches and their answers
//! lost, duplicated and reordered too — checks each against its own state at
//! that moment, applies it or refuses it, and may die between recording an
//! intent as being applied and its answer. Every intent must end applied
//! exactly once or refused with a reason, on both sides alike, and none may
//! be applied without authorization at the moment of applying.
//!
//! The portal side is the real thing: `projection::apply_push` on a real
//! SQLite file, copied and restored with `VACUUM INTO`. The desktop side
//! follows the desktop's rules: the outbox keeps the latest record of each
//! entity, the cursor is saved after an answer, and it moves with
//! `cs_sync::protocol::next_after`.
//!
//! `CS_SIM_SEEDS=N` runs seeds 0..N (1,000 by default), `CS_SIM_SEED=S`
//! replays one; a failure names its seed.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

use chrono::Duration;
use cs_portal::db::Db;
use cs_portal::storage::intents::{self, Asker};
use cs_portal::storage::projection::{self, NoEffects};
use cs_portal::storage::{tenants, StorageError};
use cs_sync::intent::{Intent, IntentEnvelope, PowerActionV1, PowerV1};
use cs_sync::protocol::{batch, next_after, ErrorBody, Next, PushRequest, PushResponse};
use cs_sync::record::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::support::start_time;

type Answer = Result<PushResponse, ErrorBody>;

enum Message {
    Push(PushRequest),
    Answer(PushRequest, Answer),
    Fetch,
    Intents(Vec<IntentEnvelope>),
}

/// The desktop's record of an intent (its `portal_intents` row: durable).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    Applying,
    Applied,
    Refused(String),
}

struct Desktop {
    /// The outbox: (kind, entity) → the latest envelope (a tombstone has no body).
    outbox: BTreeMap<(String, String), Envelope>,
    newest: u64,
    /// What the desktop saved (survives a crash) and what it works with.
    saved: (Uuid, u64),
    cursor: (Uuid, u64),
    streams: u128,
    batch_size: usize,
    /// Each organization's contact: (contact id, role), changed by the reseller.
    contacts: BTreeMap<String, (String, ContactRole)>,
    intents: BTreeMap<Uuid, Decision>,
    /// The organization of each intent the portal created (the simulation's
    /// bookkeeping, for answers after a crash).
    intent_orgs: BTreeMap<Uuid, String>,
    /// How often each intent reached the provider.
    carried_out: BTreeMap<Uuid, u32>,
}

impl Desktop {
    fn write(&mut self, rng: &mut StdRng) {
        self.newest += 1;
        let seq = self.newest;
        let at = start_time() + Duration::seconds(seq as i64);
        let org = format!("org-{}", rng.random_range(0..3));
        let envelope = match rng.random_range(0..10) {
            0..=5 => {
                let id = format!("server-{}", rng.random_range(0..8));
                if rng.random_ratio(1, 6) {
                    Envelope::tombstone(seq, at, Kind::Server, id, Some(org))
                } else {
                    let status = [
                        ServerStatusV1::Provisioning,
                        ServerStatusV1::Running,
                        ServerStatusV1::Offline,
                    ][rng.random_range(0..3)];
                    Envelope::new(
                        seq,
                        at,
                        id,
                        Some(org),
                        &Record::Server(ServerV1 {
                            label: format!("web-{seq}"),
                            plan: "p1".into(),
                            plan_name: "Nano".into(),
                            region: "eu".into(),
                            image: "debian-12".into(),
                            status,
                            ipv4: None,
                            ipv6: None,
                            created_at: at,
                            deleted_at: None,
                        }),
                    )
                }
            }
            6..=7 => Envelope::new(
                seq,
                at,
                org.clone(),
                Some(org),
                &Record::Wallet(WalletV1 {
                    currency: "EUR".into(),
                    balance_minor: rng.random_range(-500..10_000),
                    low_balance_threshold_minor: 500,
                    state: WalletStateV1::Good,
                    state_since: None,
                    terminates_at: None,
                    as_of: at,
                }),
            ),
            _ => Envelope::new(
                seq,
                at,
                org.clone(),
                Some(org),
                &Record::Organization(OrganizationV1 {
                    name: format!("Customer {seq}"),
                    country: "DE".into(),
                    tax_id: None,
                    created_at: at,
                }),
            ),
        };
        // The outbox keeps only the latest record of an entity.
        self.outbox
            .insert((envelope.kind.clone(), envelope.id.clone()), envelope);
    }

    /// The reseller changes a contact's role.
    fn change_role(&mut self, rng: &mut StdRng) {
        let org = format!("org-{}", rng.random_range(0..3));
        let role = [
            ContactRole::Admin,
            ContactRole::Member,
            ContactRole::Billing,
        ][rng.random_range(0..3)];
        let contact = format!("c-{org}");
        self.contacts.insert(org.clone(), (contact.clone(), role));
        self.newest += 1;
        let at = start_time() + Duration::seconds(self.newest as i64);
        let e = Envelope::new(
            self.newest,
            at,
            contact.clone(),
            Some(org),
            &Record::Contact(ContactV1 {
                name: contact,
                email: "c@example.com".into(),
                role,
            }),
        );
        self.outbox.insert((e.kind.clone(), e.id.clone()), e);
    }

    /// Why the intent may not be applied now, if it may not: the contact's
    /// role in the organization at this moment, the server's owner now.
    fn refusal(&self, e: &IntentEnvelope) -> Option<String> {
        let Ok(Intent::Power(p)) = e.decode() else {
            return Some("unreadable".into());
        };
        match self.contacts.get(&e.org) {
            Some((c, role)) if *c == e.by && role.may(Permission::Servers) => {}
            _ => return Some("your role does not allow this".into()),
        }
        match self.outbox.get(&("server".to_string(), p.server.clone())) {
            Some(s) if s.body.is_some() && s.org.as_deref() == Some(e.org.as_str()) => None,
            _ => Some("this server does not exist".into()),
        }
    }

    /// Applies fetched intents, each at most once; `die` kills the desktop
    /// between recording one as being applied and its answer (the provider
    /// may or may not have been asked).
    fn apply(&mut self, list: &[IntentEnvelope], rng: &mut StdRng, die: bool) {
        for e in list {
            if self.intents.contains_key(&e.id) {
                continue;
            }
            let outcome = match self.refusal(e) {
                Some(reason) => Decision::Refused(reason),
                None => {
                    // Authorized now: the contact's role and the server's
                    // owner at this moment (checked again here, independently).
                    let (c, role) = &self.contacts[&e.org];
                    assert!(c == &e.by && role.may(Permission::Servers));
                    self.intents.insert(e.id, Decision::Applying);
                    if die {
                        if rng.random_ratio(1, 2) {
                            *self.carried_out.entry(e.id).or_default() += 1;
                        }
                        self.settle();
                        return;
                    }
                    *self.carried_out.entry(e.id).or_default() += 1;
                    Decision::Applied
                }
            };
            self.answer_intent(e.id, &e.org, outcome);
        }
    }

    fn answer_intent(&mut self, id: Uuid, org: &str, outcome: Decision) {
        let (o, reason) = match &outcome {
            Decision::Applied => (IntentOutcomeV1::Applied, None),
            Decision::Refused(r) => (IntentOutcomeV1::Refused, Some(r.clone())),
            Decision::Applying => unreachable!("an answer is final"),
        };
        self.intents.insert(id, outcome);
        self.newest += 1;
        let at = start_time() + Duration::seconds(self.newest as i64);
        let e = Envelope::new(
            self.newest,
            at,
            id.to_string(),
            Some(org.to_string()),
            &Record::IntentResult(IntentResultV1 {
                outcome: o,
                reason,
                decided_at: at,
            }),
        );
        self.outbox.insert((e.kind.clone(), e.id.clone()), e);
    }

    /// At start: what was being applied is answered as refused, never
    /// repeated.
    fn settle(&mut self) {
        let stuck: Vec<Uuid> = self
            .intents
            .iter()
            .filter(|(_, a)| **a == Decision::Applying)
            .map(|(id, _)| *id)
            .collect();
        for id in stuck {
            let org = self.intent_orgs[&id].clone();
            self.answer_intent(id, &org, Decision::Refused("may not have run".into()));
        }
    }

    fn next_push(&self) -> PushRequest {
        let mut records: Vec<Envelope> = self
            .outbox
            .values()
            .filter(|e| e.seq > self.cursor.1)
            .cloned()
            .collect();
        records.sort_by_key(|e| e.seq);
        records.truncate(self.batch_size);
        batch(self.cursor.0, self.cursor.1, records)
    }

    fn answer(&mut self, sent: &PushRequest, answer: &Answer) {
        if sent.stream != self.cursor.0 {
            return;
        }
        match next_after(sent, self.newest, answer.as_ref()) {
            Next::Continue { after } => self.cursor.1 = after,
            Next::NewStream => {
                self.streams += 1;
                self.cursor = (Uuid::from_u128(self.streams), 0);
            }
            Next::Retry => {}
            Next::Stop(e) => panic!("the sync stopped: {e:?}"),
        }
    }

    fn save(&mut self) {
        self.saved = self.cursor;
    }

    fn crash(&mut self) {
        self.cursor = self.saved;
    }

    /// The desktop's projection: the live records (tombstones are absences).
    fn projection(&self) -> BTreeMap<(String, String), (u64, serde_json::Value)> {
        self.outbox
            .iter()
            .filter_map(|(k, e)| e.body.clone().map(|b| (k.clone(), (e.seq, b))))
            .collect()
    }
}

struct Portal {
    path: PathBuf,
    /// `None` only while a copy is being restored.
    db: Option<Db>,
    tenant: String,
    copies: Vec<PathBuf>,
}

impl Portal {
    fn receive(&self, push: &PushRequest, die_mid_batch: bool) -> Option<Answer> {
        let result = self.db().transaction(true, |tx| {
            let answer = projection::apply_push(tx, &self.tenant, push, start_time(), &NoEffects)?;
            if die_mid_batch {
                // The process dies before the commit: nothing was applied
                // and nobody answers.
                return Err(StorageError::Conflict("killed".into()));
            }
            Ok(answer)
        });
        match result {
            Ok(answer) => Some(Ok(answer)),
            Err(StorageError::Sync(e)) => Some(Err(e)),
            Err(StorageError::Conflict(m)) if m == "killed" => None,
            Err(e) => panic!("storage failed: {e}"),
        }
    }

    /// A customer asks for a power action on a server, as someone the
    /// portal believes may (its view may be stale).
    fn ask(&self, rng: &mut StdRng, at: chrono::DateTime<chrono::Utc>) -> IntentEnvelope {
        let org = format!("org-{}", rng.random_range(0..3));
        let contact = if rng.random_ratio(1, 8) {
            "c-stranger".to_string()
        } else {
            format!("c-{org}")
        };
        let server = format!("server-{}", rng.random_range(0..8));
        self.db()
            .transaction(true, |tx| {
                intents::create(
                    tx,
                    &Asker {
                        tenant: &self.tenant,
                        org: &org,
                        account: "a",
                        contact: &contact,
                        name: "Customer",
                    },
                    &Intent::Power(PowerV1 {
                        server,
                        action: PowerActionV1::Reboot,
                    }),
                    at,
                )
            })
            .unwrap()
            .envelope
    }

    fn deliver(&self, at: chrono::DateTime<chrono::Utc>) -> Vec<IntentEnvelope> {
        self.db()
            .transaction(true, |tx| intents::deliver(tx, &self.tenant, at))
            .unwrap()
    }

    fn intents(&self) -> Vec<(String, intents::State, Option<String>)> {
        self.db()
            .transaction(false, |tx| intents::all(tx, &self.tenant))
            .unwrap()
    }

    fn copy(&mut self) {
        let to = self
            .path
            .with_extension(format!("copy{}", self.copies.len()));
        self.db().backup_sqlite(&to).unwrap();
        self.copies.push(to);
    }

    fn roll_back(&mut self, i: usize) {
        let from = self.copies[i % self.copies.len()].clone();
        // Close the database first, as an operator restoring a backup would.
        self.db = None;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
        std::fs::copy(&from, &self.path).unwrap();
        self.db = Some(Db::open_sqlite(&self.path, 2).unwrap());
    }

    fn db(&self) -> &Db {
        self.db.as_ref().expect("an open database")
    }

    fn projection(&self) -> BTreeMap<(String, String), (u64, serde_json::Value)> {
        self.db()
            .transaction(false, |tx| projection::all(tx, &self.tenant))
            .unwrap()
            .into_iter()
            .map(|e| ((e.kind, e.id), (e.seq, e.body.unwrap())))
            .collect()
    }
}

/// Runs one seed; returns how many intents ended applied and refused.
fn run(seed: u64, dir: &std::path::Path) -> (usize, usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let path = dir.join(format!("portal-{seed}.db"));
    let db = Db::open_sqlite(&path, 2).unwrap();
    let tenant = db
        .transaction(true, |tx| {
            tenants::create(tx, "sim", "Simulation", start_time())
        })
        .unwrap()
        .id;
    let mut portal = Portal {
        path,
        db: Some(db),
        tenant,
        copies: Vec::new(),
    };
    portal.copy();
    let mut desktop = Desktop {
        outbox: BTreeMap::new(),
        newest: 0,
        saved: (Uuid::from_u128(1), 0),
        cursor: (Uuid::from_u128(1), 0),
        streams: 1,
        batch_size: rng.random_range(1..6),
        contacts: (0..3)
            .map(|i| {
                (
                    format!("org-{i}"),
                    (format!("c-org-{i}"), ContactRole::Admin),
                )
            })
            .collect(),
        intents: BTreeMap::new(),
        intent_orgs: BTreeMap::new(),
        carried_out: BTreeMap::new(),
    };
    let mut network: VecDeque<Message> = VecDeque::new();
    let steps = rng.random_range(20..150);
    for step in 0..steps {
        let now = start_time() + Duration::seconds(step);
        match rng.random_range(0..110) {
            100..=102 => desktop.change_role(&mut rng),
            103..=105 => {
                let e = portal.ask(&mut rng, now);
                desktop.intent_orgs.insert(e.id, e.org.clone());
            }
            106..=109 => network.push_back(Message::Fetch),
            0..=34 => desktop.write(&mut rng),
            35..=54 => network.push_back(Message::Push(desktop.next_push())),
            55..=84 if !network.is_empty() => {
                // Deliver a message: usually the oldest, sometimes another
                // (reordering), sometimes twice (duplication).
                let i = if rng.random_ratio(1, 3) {
                    rng.random_range(0..network.len())
                } else {
                    0
                };
                let m = network.remove(i).unwrap();
                let times = if rng.random_ratio(1, 8) { 2 } else { 1 };
                for _ in 0..times {
                    match &m {
                        Message::Push(p) => {
                            let die = rng.random_ratio(1, 15);
                            if let Some(a) = portal.receive(p, die) {
                                network.push_back(Message::Answer(p.clone(), a));
                            }
                        }
                        Message::Answer(p, a) => {
                            desktop.answer(p, a);
                            // The desktop may die before it saves its cursor.
                            if !rng.random_ratio(1, 10) {
                                desktop.save();
                            }
                        }
                        Message::Fetch => {
                            network.push_back(Message::Intents(portal.deliver(now)));
                        }
                        Message::Intents(list) => {
                            let die = rng.random_ratio(1, 10);
                            desktop.apply(list, &mut rng, die);
                        }
                    }
                }
            }
            85..=89 if !network.is_empty() => {
                let i = rng.random_range(0..network.len());
                network.remove(i);
            }
            90..=92 => portal.copy(),
            93..=94 => {
                let i = rng.random_range(0..portal.copies.len());
                portal.roll_back(i);
            }
            95..=96 => desktop.crash(),
            _ => {}
        }
    }
    // Quiescence: the network delivers or loses what it holds, then the
    // desktop pushes, without faults, until an answer says it is caught up.
    network.clear();
    let end = start_time() + Duration::seconds(steps);
    let waiting = portal.deliver(end);
    desktop.apply(&waiting, &mut rng, false);
    for _ in 0..10_000 {
        let p = desktop.next_push();
        let a = portal.receive(&p, false).expect("no faults now");
        desktop.answer(&p, &a);
        desktop.save();
        if matches!(&a, Ok(r) if r.held_through == desktop.cursor.1)
            && desktop.next_push().records.is_empty()
        {
            break;
        }
    }
    assert_eq!(
        portal.projection(),
        desktop.projection(),
        "seed {seed}: the portal differs from the desktop"
    );
    // Every intent the portal holds is answered as the desktop decided it;
    // none reached the provider twice; one answered as applied reached it
    // exactly once. (A portal rolled back to an older copy may have lost an
    // intent its customer made after that copy; the desktop's answer to it
    // then changes nothing.)
    let mut counts = (0, 0);
    for (id, state, reason) in portal.intents() {
        let id: Uuid = id.parse().unwrap();
        let times = desktop.carried_out.get(&id).copied().unwrap_or(0);
        assert!(
            times <= 1,
            "seed {seed}: intent {id} was carried out {times} times"
        );
        match (desktop.intents.get(&id), state) {
            (Some(Decision::Applied), intents::State::Applied) => {
                assert_eq!(
                    times, 1,
                    "seed {seed}: {id} answered applied but never carried out"
                );
                counts.0 += 1;
            }
            (Some(Decision::Refused(r)), intents::State::Refused) => {
                assert_eq!(reason.as_ref(), Some(r), "seed {seed}: {id}'s reason");
                counts.1 += 1;
            }
            (d, p) => {
                panic!("seed {seed}: intent {id} is {p:?} on the portal and {d:?} on the desktop")
            }
        }
    }
    counts
}

#[test]
fn the_portal_converges_on_the_desktop_whatever_the_network_does() {
    let seeds: Vec<u64> = match std::env::var("CS_SIM_SEED") {
        Ok(s) => vec![s.parse().expect("CS_SIM_SEED is a number")],
        Err(_) => {
            let n: u64 = std::env::var("CS_SIM_SEEDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1000);
            (0..n).collect()
        }
    };
    // Memory-backed files when the machine has them: the simulation is about
    // the protocol, not the disk.
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    let (mut applied, mut refused) = (0, 0);
    for seed in &seeds {
        let result = std::panic::catch_unwind(|| run(*seed, dir.path()));
        if let Ok((a, r)) = &result {
            applied += a;
            refused += r;
        }
        if let Err(e) = result {
            let message = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("simulation seed {seed} failed (replay with CS_SIM_SEED={seed}): {message}");
        }
        // Keep the folder small: each seed's files are done with.
        for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    eprintln!(
        "simulation: {} seeds converged; {applied} intents applied once, {refused} refused with a reason",
        seeds.len()
    );
    if seeds.len() >= 100 {
        assert!(applied > 0 && refused > 0, "the seeds exercised no intents");
    }
}
