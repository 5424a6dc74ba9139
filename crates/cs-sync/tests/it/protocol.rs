//! The protocol's two decisions, case by case, and a model check: whatever the
//! network does to pushes and answers, the portal ends holding the desktop's
//! projection.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use cs_sync::protocol::*;
use cs_sync::record::*;
use proptest::prelude::*;
use uuid::Uuid;

const A: Uuid = Uuid::from_u128(1);
const B: Uuid = Uuid::from_u128(2);

fn push(stream: Uuid, after: u64, seqs: &[u64], last: u64) -> PushRequest {
    PushRequest {
        protocol: PROTOCOL_VERSION,
        stream,
        after,
        last,
        records: seqs
            .iter()
            .map(|s| {
                Envelope::tombstone(*s, Utc.timestamp_opt(0, 0).unwrap(), Kind::Plan, "p", None)
            })
            .collect(),
    }
}

fn held(stream: Uuid, through: u64) -> Option<Held> {
    Some(Held { stream, through })
}

#[test]
fn the_portal_applies_what_is_above_what_it_holds() {
    let plan = plan_push(held(A, 5), &push(A, 3, &[4, 6, 9], 9)).unwrap();
    assert_eq!(
        plan,
        ApplyPlan {
            reset: false,
            apply_above: 5,
            held_after: Held {
                stream: A,
                through: 9
            }
        }
    );
    // A duplicate of an older batch changes nothing.
    let plan = plan_push(held(A, 9), &push(A, 3, &[4, 6], 6)).unwrap();
    assert_eq!(plan.held_after.through, 9);
    // An empty push asks what the portal holds.
    let plan = plan_push(held(A, 9), &push(A, 9, &[], 9)).unwrap();
    assert_eq!(plan.held_after.through, 9);
}

#[test]
fn a_gap_is_refused_with_what_the_portal_holds() {
    let err = plan_push(held(A, 5), &push(A, 7, &[8], 8)).unwrap_err();
    assert_eq!((err.code, err.held_through), (ErrorCode::Gap, Some(5)));
    assert_eq!(
        next_after(&push(A, 7, &[8], 8), 8, Err(&err)),
        Next::Continue { after: 5 }
    );
}

#[test]
fn a_new_stream_is_taken_only_from_the_beginning() {
    let err = plan_push(held(A, 5), &push(B, 5, &[6], 6)).unwrap_err();
    assert_eq!(
        (err.code, err.held_through),
        (ErrorCode::StreamChanged, Some(0))
    );
    assert_eq!(
        next_after(&push(B, 5, &[6], 6), 6, Err(&err)),
        Next::Continue { after: 0 }
    );
    let plan = plan_push(held(A, 5), &push(B, 0, &[1, 2], 2)).unwrap();
    assert!(plan.reset);
    assert_eq!(
        plan.held_after,
        Held {
            stream: B,
            through: 2
        }
    );
    // A portal that lost everything says so the same way.
    assert_eq!(
        plan_push(None, &push(A, 4, &[5], 5)).unwrap_err().code,
        ErrorCode::StreamChanged
    );
}

#[test]
fn a_portal_holding_more_than_the_desktop_wrote_means_a_new_stream() {
    let sent = push(A, 0, &[1], 1);
    let answer = PushResponse {
        stream: A,
        held_through: 40,
    };
    assert_eq!(next_after(&sent, 10, Ok(&answer)), Next::NewStream);
}

#[test]
fn malformed_batches_are_refused_whole() {
    for (p, what) in [
        (push(A, 3, &[5, 4], 6), "out of order"),
        (push(A, 3, &[3], 6), "out of order"),
        (push(A, 3, &[7], 6), "beyond"),
        (push(A, 6, &[], 3), "ends at 3"),
    ] {
        let err = plan_push(held(A, 10), &p).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadBatch, "{what}");
        assert!(
            err.message.contains(what),
            "{} should say {what}",
            err.message
        );
        assert!(matches!(next_after(&p, 10, Err(&err)), Next::Stop(_)));
    }
    let mut p = push(A, 0, &[1], 1);
    p.protocol = 2;
    assert_eq!(plan_push(None, &p).unwrap_err().code, ErrorCode::Protocol);
}

#[test]
fn one_unreadable_record_refuses_the_batch() {
    let mut p = push(A, 0, &[1, 2], 2);
    p.records[1].v = 9;
    let err = decode_batch(&p).unwrap_err();
    assert_eq!((err.code, err.record), (ErrorCode::Unsupported, Some(2)));
    assert!(err.stops_sync());
}

/// A model of the desktop's outbox (latest record per entity, superseded ones
/// dropped) and of the portal's projection, driven through lost, duplicated,
/// reordered and late messages and a portal that goes back to an old copy.
mod model {
    use super::*;

    #[derive(Debug, Clone)]
    pub enum Step {
        /// The desktop writes entity `e` (or deletes it).
        Write { e: u8, delete: bool },
        /// The desktop sends a push built now; the network may hold it.
        Send,
        /// The network delivers the held message `i` (push or answer), maybe twice.
        Deliver { i: usize, twice: bool },
        /// The network loses the held message `i`.
        Lose { i: usize },
        /// The portal goes back to a copy taken at an earlier step.
        PortalRollback { i: usize },
        /// The desktop restarts: its cursor is re-read from what it persisted.
        DesktopRestart,
    }

    pub fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0u8..6, any::<bool>()).prop_map(|(e, d)| Step::Write { e, delete: d && e % 2 == 0 }),
            4 => Just(Step::Send),
            4 => (0usize..8, any::<bool>()).prop_map(|(i, twice)| Step::Deliver { i, twice }),
            1 => (0usize..8).prop_map(|i| Step::Lose { i }),
            1 => (0usize..8).prop_map(|i| Step::PortalRollback { i }),
            1 => Just(Step::DesktopRestart),
        ]
    }

    #[derive(Clone, Default)]
    pub struct Portal {
        pub held: Option<Held>,
        pub projection: BTreeMap<String, (u64, bool)>,
    }

    impl Portal {
        pub fn receive(&mut self, p: &PushRequest) -> Result<PushResponse, ErrorBody> {
            let plan = plan_push(self.held, p)?;
            decode_batch(p)?;
            if plan.reset {
                self.projection.clear();
            }
            for r in p.records.iter().filter(|r| r.seq > plan.apply_above) {
                self.projection
                    .insert(r.id.clone(), (r.seq, r.body.is_none()));
            }
            self.held = Some(plan.held_after);
            Ok(PushResponse {
                stream: plan.held_after.stream,
                held_through: plan.held_after.through,
            })
        }
    }

    pub struct Desktop {
        pub stream: Uuid,
        pub next_stream: u128,
        pub newest: u64,
        /// entity → (seq, deleted): the outbox keeps the latest record only.
        pub outbox: BTreeMap<String, (u64, bool)>,
        pub after: u64,
    }

    impl Desktop {
        pub fn build(&self) -> PushRequest {
            let mut rows: Vec<_> = self
                .outbox
                .iter()
                .filter(|(_, (s, _))| *s > self.after)
                .collect();
            rows.sort_by_key(|(_, (s, _))| *s);
            rows.truncate(3);
            let last = rows.last().map_or(self.after, |(_, (s, _))| *s);
            // Batches of at most three: the batch is complete for (after, last].
            PushRequest {
                protocol: PROTOCOL_VERSION,
                stream: self.stream,
                after: self.after,
                last,
                records: rows
                    .into_iter()
                    .map(|(id, (s, deleted))| {
                        if *deleted {
                            Envelope::tombstone(
                                *s,
                                Utc.timestamp_opt(0, 0).unwrap(),
                                Kind::Plan,
                                id.clone(),
                                None,
                            )
                        } else {
                            Envelope::new(
                                *s,
                                Utc.timestamp_opt(0, 0).unwrap(),
                                id.clone(),
                                None,
                                &Record::Plan(PlanV1 {
                                    name: id.clone(),
                                    active: true,
                                    regions: vec![],
                                }),
                            )
                        }
                    })
                    .collect(),
            }
        }

        pub fn answer(&mut self, sent: &PushRequest, answer: Result<&PushResponse, &ErrorBody>) {
            if sent.stream != self.stream {
                return; // an answer to a push of a stream given up since
            }
            match next_after(sent, self.newest, answer) {
                Next::Continue { after } => self.after = after,
                Next::NewStream => {
                    self.next_stream += 1;
                    self.stream = Uuid::from_u128(self.next_stream);
                    self.after = 0;
                }
                Next::Retry => {}
                Next::Stop(e) => panic!("sync stopped: {e:?}"),
            }
        }
    }

    pub enum Message {
        Push(PushRequest),
        Answer(PushRequest, Result<PushResponse, ErrorBody>),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_portal_converges_on_the_desktop_projection(steps in proptest::collection::vec(model::step(), 1..80)) {
        use model::*;
        let mut desktop = Desktop { stream: A, next_stream: 10, newest: 0, outbox: BTreeMap::new(), after: 0 };
        let mut portal = Portal::default();
        let mut copies = vec![portal.clone()];
        let mut network: Vec<Message> = Vec::new();
        let deliver = |m: &Message, portal: &mut Portal, desktop: &mut Desktop, network_out: &mut Vec<Message>| match m {
            Message::Push(p) => network_out.push(Message::Answer(p.clone(), portal.receive(p))),
            Message::Answer(p, a) => desktop.answer(p, a.as_ref()),
        };
        for step in steps {
            match step {
                Step::Write { e, delete } => {
                    desktop.newest += 1;
                    desktop.outbox.insert(format!("e{e}"), (desktop.newest, delete));
                }
                Step::Send => network.push(Message::Push(desktop.build())),
                Step::Deliver { i, twice } if !network.is_empty() => {
                    let m = network.remove(i % network.len());
                    let mut out = Vec::new();
                    deliver(&m, &mut portal, &mut desktop, &mut out);
                    if twice {
                        deliver(&m, &mut portal, &mut desktop, &mut out);
                    }
                    network.extend(out);
                    copies.push(portal.clone());
                }
                Step::Lose { i } if !network.is_empty() => {
                    network.remove(i % network.len());
                }
                Step::PortalRollback { i } => portal = copies[i % copies.len()].clone(),
                // The cursor is persisted only as far as the portal confirmed
                // it; a restart may go back, never forward.
                Step::DesktopRestart => desktop.after = 0,
                _ => {}
            }
        }
        // Quiescence: the network delivers what it holds, then the desktop
        // pushes until an answer says the portal holds everything.
        for m in std::mem::take(&mut network) {
            let mut out = Vec::new();
            deliver(&m, &mut portal, &mut desktop, &mut out);
            for m in out { deliver(&m, &mut portal, &mut desktop, &mut Vec::new()); }
        }
        for _ in 0..100 {
            let p = desktop.build();
            let a = portal.receive(&p);
            desktop.answer(&p, a.as_ref());
            if let Ok(r) = &a { if r.held_through == desktop.newest && desktop.after == desktop.newest { break; } }
        }
        prop_assert_eq!(&portal.projection, &desktop.outbox);
    }
}
