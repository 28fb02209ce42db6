//! Acknowledged delivery end to end, with ringkit parts only: a sender thread
//! keeps its messages in a `resend::Outstanding` table and pushes them into a
//! request ring; a receiver thread recognises copies it has handled with a
//! `dedup::Dedup` window and acknowledges every copy, dropping acknowledgements
//! at random; the sender resends what stays unacknowledged.
//!
//! What the receiver promises: every message's effect happens exactly once, in
//! id order. The order holds because the request ring is FIFO and loses
//! nothing, the sender pushes first copies in id order, and a resend of an id is
//! pushed after its first copy: first copies arrive in id order, and the copies
//! that arrive out of order (the resends) are all duplicates, skipped. A
//! transport that could lose or reorder first copies would need a reorder
//! buffer on the receiving side for that promise; this one does not.
//!
//! No assertion depends on timing: how many copies are resent depends on the
//! scheduler, so the test counts them and checks that each one reached the
//! receiver as a recognised duplicate.

// Blocking and timeouts throughout: the std feature (tests/nostd.rs covers the rest).
#![cfg(feature = "std")]

mod common;

use common::scaled;
use ringkit::dedup::Dedup;
use ringkit::event::EventFlag;
use ringkit::resend::Outstanding;
use ringkit::spsc::{self, Consumer, Producer};
use ringkit::PopTimeoutError;
use std::thread;
use std::time::{Duration, Instant};

const MESSAGES: u64 = scaled(20_000, 40);
/// Unacknowledged messages the sender may have.
const TABLE: usize = if cfg!(miri) { 4 } else { 64 };
const REQUEST_RING: usize = if cfg!(miri) { 4 } else { 32 };
const ACK_RING: usize = if cfg!(miri) { 4 } else { 64 };
/// Short, so that resends happen (an acknowledgement that is merely late
/// causes one too).
const RESEND_AFTER: Duration = Duration::from_micros(200);
/// The receiver drops one acknowledgement in this many, at random.
const DROP_ONE_IN: u64 = 8;

/// A message: its id again and some heap text, both checked on arrival.
#[derive(Clone, Debug)]
struct Payload {
    id: u64,
    text: String,
}

impl Payload {
    fn new(id: u64) -> Self {
        Payload {
            id,
            text: format!("payload {id}"),
        }
    }
}

/// A seeded xorshift64: the k-th draw is the same in every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Where the sender hears acknowledgements from.
trait Acks {
    /// Applies the acknowledgements that have come; with `park_until`, parks
    /// until one comes or the deadline passes if none has.
    fn apply(&mut self, table: &mut Outstanding<Payload>, park_until: Option<Instant>);
}

/// One acknowledgement per copy, by id, on a ring.
impl Acks for Consumer<u64> {
    fn apply(&mut self, table: &mut Outstanding<Payload>, park_until: Option<Instant>) {
        if let Some(deadline) = park_until {
            match self.pop_until(deadline) {
                Ok(id) => drop(table.ack(id)),
                Err(PopTimeoutError::Timeout) => return,
                Err(PopTimeoutError::Disconnected) => panic!("the receiver left early"),
            }
        }
        while let Ok(id) = self.try_pop() {
            table.ack(id);
        }
    }
}

/// Cumulative acknowledgements: the newest "handled every id through this
/// one" on an event flag (generation 0, the initial value, says nothing).
struct Cumulative<'a> {
    flag: &'a EventFlag<u64>,
    seen: u64,
}

impl Acks for Cumulative<'_> {
    fn apply(&mut self, table: &mut Outstanding<Payload>, park_until: Option<Instant>) {
        let newer = match park_until {
            Some(deadline) => self.flag.wait_newer_until(self.seen, deadline).ok(),
            None => (self.flag.generation() > self.seen).then(|| self.flag.read()),
        };
        if let Some((generation, through)) = newer {
            self.seen = generation;
            table.ack_through(through);
        }
    }
}

/// The sender: sends `MESSAGES` messages, resends what is due, and returns
/// how many copies it resent once every message is acknowledged. Parks in
/// `push` while the request ring is full, and in `acks` while it has nothing
/// to send until the next deadline.
fn send_all(mut requests: Producer<(u64, Payload)>, mut acks: impl Acks) -> u64 {
    let mut table = Outstanding::new(TABLE, RESEND_AFTER);
    let (mut next, mut resends) = (0, 0);
    loop {
        acks.apply(&mut table, None);
        if next == MESSAGES && table.is_empty() {
            return resends;
        }
        let now = Instant::now();
        for (id, payload) in table.due_at(now) {
            requests.push((id, payload.clone())).unwrap();
            resends += 1;
        }
        if next < MESSAGES {
            if let Ok(id) = table.send_at(Payload::new(next), now) {
                assert_eq!(id, next, "ids are assigned in send order");
                requests.push((id, Payload::new(id))).unwrap();
                next += 1;
                continue;
            }
        }
        // Nothing to send (all sent, or the table is full): wait for an
        // acknowledgement or the next resend.
        let deadline = table.next_deadline().expect("a message is outstanding");
        acks.apply(&mut table, Some(deadline));
    }
}

/// What the receiver saw.
struct Received {
    /// Ids whose effect happened, in the order it happened.
    effects: Vec<u64>,
    duplicates: u64,
    acks_dropped: u64,
}

/// The receiver: handles each id once (the effect is recording it in
/// `effects`) and acknowledges every copy, through `ack(id, handled_through)`
/// (which returns false if the acknowledgement could not be sent), dropping
/// one in `DROP_ONE_IN` at random, until the sender is gone and the ring is
/// drained. `handled_through` is the highest id `h` such that every id up to
/// `h` has been handled.
fn receive_all(
    mut requests: Consumer<(u64, Payload)>,
    seed: u64,
    mut ack: impl FnMut(u64, u64) -> bool,
) -> Received {
    // Twice the sender's table: enough for every copy (see the resend module docs).
    let mut seen = Dedup::new(2 * TABLE);
    let mut rng = XorShift(seed);
    let mut effects = Vec::new();
    let mut handled_below = 0; // every id below this one has been handled
    let mut acks_dropped = 0;
    // `pop` parks while the ring is empty; it fails once the sender is gone and
    // every copy it pushed has been taken.
    while let Ok((id, payload)) = requests.pop() {
        assert_eq!(
            (payload.id, payload.text.as_str()),
            (id, &*format!("payload {id}"))
        );
        if !seen.is_duplicate(&id) {
            effects.push(id);
            seen.record(id);
            if id == handled_below {
                handled_below += 1;
            }
        }
        let Some(handled_through) = handled_below.checked_sub(1) else {
            continue; // nothing handled in order yet: nothing to acknowledge
        };
        // Draw for every copy, so that the k-th draw is the same in every run.
        let dropped = rng.next() % DROP_ONE_IN == 0;
        if dropped || !ack(id, handled_through) {
            acks_dropped += 1;
        }
    }
    Received {
        effects,
        duplicates: seen.duplicates(),
        acks_dropped,
    }
}

/// Checks one run: exactly once, nothing lost, in id order, and every resent
/// copy recognised.
#[track_caller]
fn check(received: &Received, resends: u64) {
    assert!(
        received.effects.iter().copied().eq(0..MESSAGES),
        "effects not exactly 0..{MESSAGES} in order"
    );
    // Every resent copy reached the receiver after the copy it repeats, with
    // its id still in the window: a duplicate each, and no other duplicates.
    assert_eq!(received.duplicates, resends);
}

#[test]
fn every_effect_happens_once_in_order_with_acks_lost() {
    let (requests, inbox) = spsc::channel::<(u64, Payload)>(REQUEST_RING);
    let (mut acks, acked) = spsc::channel::<u64>(ACK_RING);
    let (received, resends) = thread::scope(|s| {
        let receiver = s.spawn(move || {
            // A full ack ring drops the acknowledgement too.
            receive_all(inbox, 0x2545_f491_4f6c_dd1d, |id, _| {
                acks.try_push(id).is_ok()
            })
        });
        let resends = send_all(requests, acked);
        (receiver.join().unwrap(), resends)
    });
    check(&received, resends);
    // There are at least MESSAGES draws, and the first MESSAGES of them are
    // fixed by the seed and drop some acknowledgements (draws 2 and 7 do).
    // Without resends every copy would be a first copy, the only one of its
    // id, and an id whose one acknowledgement was dropped would never be
    // acknowledged: so resends happened, and each was a duplicate.
    assert!(received.acks_dropped > 0);
    assert!(resends > 0 && received.duplicates > 0);
}

#[test]
fn cumulative_acks_on_an_event_flag() {
    let (requests, inbox) = spsc::channel::<(u64, Payload)>(REQUEST_RING);
    let flag = EventFlag::new(0u64);
    let (received, resends) = thread::scope(|s| {
        let flag = &flag;
        let receiver = s.spawn(move || {
            let mut first_of_last = true;
            receive_all(inbox, 0x9e37_79b9_7f4a_7c15, |id, handled_through| {
                // The first time the last id gets here it is not acknowledged,
                // so its first copy goes unacknowledged (here or by a random
                // drop) and at least one resend is certain: no earlier
                // cumulative acknowledgement can cover the last id.
                if id == MESSAGES - 1 && std::mem::take(&mut first_of_last) {
                    return false;
                }
                flag.publish(handled_through);
                true
            })
        });
        let resends = send_all(requests, Cumulative { flag, seen: 0 });
        (receiver.join().unwrap(), resends)
    });
    check(&received, resends);
    assert!(resends > 0 && received.duplicates > 0);
    assert_eq!(flag.read().1, MESSAGES - 1);
}
