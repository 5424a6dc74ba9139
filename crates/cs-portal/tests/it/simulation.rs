//! A deterministic simulation of a desktop, the portal and the network
//! between them, with seeded faults: lost, duplicated, reordered and delayed
//! messages; the portal killed in the middle of applying a batch; the desktop
//! killed between a push and saving its cursor; the portal's database rolled
//! back to an older copy. After quiescence the portal's projection must equal
//! the desktop's.
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
use cs_portal::storage::projection::{self, NoEffects};
use cs_portal::storage::{tenants, StorageError};
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

fn run(seed: u64, dir: &std::path::Path) {
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
    };
    let mut network: VecDeque<Message> = VecDeque::new();
    let steps = rng.random_range(20..150);
    for _ in 0..steps {
        match rng.random_range(0..100) {
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
    for seed in &seeds {
        let result = std::panic::catch_unwind(|| run(*seed, dir.path()));
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
    eprintln!("simulation: {} seeds converged", seeds.len());
}
