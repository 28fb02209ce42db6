//! Acknowledged delivery, single-threaded on a fake clock, in the order
//! `arbitrary` picks: a sender with a `resend::Outstanding` table pushes copies
//! into a small SPSC request ring (a copy that finds it full is lost); a
//! receiver with a `dedup::Dedup` window handles them, its handler succeeding,
//! failing or panicking (under `catch_unwind`; a failed message is neither
//! recorded nor acknowledged), and acknowledges on a small ack ring, where
//! acknowledgements are dropped at will (or lost to a full ring); cumulative
//! acknowledgements, acknowledgements of ids never sent, clock advances,
//! resends (cut short by a full ring or not) and give-ups come in between.
//!
//! Checked: the table against a model (outstanding ids, deadlines, attempts,
//! the window) after every step; every id's effect at most once, with the
//! receiver's window at `2 * capacity - 1`, the smallest the resend module
//! docs say is enough; at the end, after draining everything with no failures
//! and no drops, every id's effect happened exactly once or the id was given
//! up, and every message made was dropped exactly once.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::dedup::Dedup;
use ringkit::resend::Outstanding;
use ringkit::spsc::{self, Consumer, Producer};
use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;
use std::time::{Duration, Instant};

thread_local! {
    /// Messages alive now: made or cloned, minus dropped.
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

/// The panic message of a failing handler: the only panic this target expects.
const HANDLER_PANIC: &str = "ack_resend: a handler panics";

/// libfuzzer's panic hook aborts on every panic; let the expected one unwind.
fn allow_handler_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&HANDLER_PANIC) {
                fuzzer_hook(info);
            }
        }));
    });
}

/// A message: its id and some heap text (ASan sees a double free), counted in
/// `LIVE`.
#[derive(Debug)]
struct Msg {
    id: u64,
    text: String,
}

impl Msg {
    fn new(id: u64) -> Msg {
        LIVE.with(|l| l.set(l.get() + 1));
        Msg {
            id,
            text: format!("message {id}"),
        }
    }
    /// Checks that the message is whole and is message `id`.
    fn check(&self, id: u64) {
        assert_eq!(
            (self.id, self.text.as_str()),
            (id, &*format!("message {id}"))
        );
    }
}

impl Clone for Msg {
    fn clone(&self) -> Msg {
        LIVE.with(|l| l.set(l.get() + 1));
        Msg {
            id: self.id,
            text: self.text.clone(),
        }
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
    }
}

#[derive(Arbitrary, Debug)]
enum Outcome {
    Handled,
    /// The handler reports a failure: nothing recorded, nothing acknowledged.
    Fails,
    /// The handler panics (and drops the message while unwinding).
    Panics,
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// The sender sends the next message and pushes a copy.
    Send,
    /// The sender pushes a copy of every due message; with `stop_when_full`
    /// it stops at the first copy that does not fit (the rest stay due),
    /// else that copy is lost and it goes on.
    Resend { stop_when_full: bool },
    /// The sender takes every message to give up.
    GiveUp,
    /// The clock moves on by `us` microseconds.
    Advance { us: u8 },
    /// The receiver takes one copy; its acknowledgement is dropped if `drop_ack`.
    Poll { outcome: Outcome, drop_ack: bool },
    /// The sender takes up to `n % 8 + 1` acknowledgements from the ack ring.
    TakeAcks { n: u8 },
    /// The receiver's cumulative acknowledgement (every id it has handled
    /// below the first it has not) reaches the sender, as over an event flag.
    AckThrough,
    /// An acknowledgement of an id never sent.
    AckUnsent { ahead: u8 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    table: u8,
    request_ring: u8,
    ack_ring: u8,
    resend_after: u8,
    /// 0: no maximum; else a maximum of `max_attempts % 4 + 1` sends.
    max_attempts: u8,
    ops: Vec<Op>,
}

/// An outstanding message in the model: deadline (microseconds on the fake
/// clock) and attempts.
#[derive(Clone, Copy, Debug)]
struct Want {
    deadline: u64,
    attempts: u32,
}

struct World {
    // The sender.
    table: Outstanding<Msg>,
    requests: Producer<(u64, Msg)>,
    acked: Consumer<u64>,
    // The receiver.
    inbox: Consumer<(u64, Msg)>,
    acks: Producer<u64>,
    seen: Dedup<u64>,
    /// Effects per id.
    effects: Vec<u32>,
    /// Every id below this one has been handled.
    handled_below: u64,
    // The model of the table.
    out: BTreeMap<u64, Want>,
    next: u64,
    given_up: HashSet<u64>,
    cap: u64,
    resend_after: u64,
    max: Option<u32>,
    // The fake clock: `t0 + t` microseconds.
    t0: Instant,
    t: u64,
}

impl World {
    fn now(&self) -> Instant {
        self.at(self.t)
    }
    fn at(&self, us: u64) -> Instant {
        self.t0 + Duration::from_micros(us)
    }
    fn model_full(&self) -> bool {
        let oldest = self.out.keys().next().copied().unwrap_or(self.next);
        self.next - oldest == self.cap
    }
    fn at_max(&self, w: &Want) -> bool {
        self.max.is_some_and(|m| w.attempts >= m)
    }

    /// The sender applies an acknowledgement of `id`.
    fn ack(&mut self, id: u64) {
        let got = self.table.ack(id);
        let want = self.out.remove(&id);
        assert_eq!(got.is_some(), want.is_some(), "ack({id})");
        if let Some(msg) = got {
            msg.check(id);
            assert!(
                self.effects[id as usize] == 1,
                "{id} acknowledged, not handled"
            );
        }
    }

    fn send(&mut self) {
        let msg = Msg::new(self.next);
        let copy = msg.clone();
        let full = self.model_full();
        match self.table.send_at(msg, self.now()) {
            Err(back) => {
                assert!(full, "send refused with room in the window");
                back.check(self.next);
            }
            Ok(id) => {
                assert!(!full, "send accepted with the window full");
                assert_eq!(id, self.next);
                let deadline = self.t + self.resend_after;
                self.out.insert(
                    id,
                    Want {
                        deadline,
                        attempts: 1,
                    },
                );
                self.next += 1;
                self.effects.push(0);
                let _lost_if_full = self.requests.try_push((id, copy));
            }
        }
    }

    /// Pushes a copy of every due message, oldest first.
    fn resend(&mut self, stop_when_full: bool) {
        let now = self.now();
        let due: Vec<u64> = self
            .out
            .iter()
            .filter(|(_, w)| w.deadline <= self.t && !self.at_max(w))
            .map(|(&id, _)| id)
            .collect();
        let mut yielded = Vec::new();
        for (id, msg) in self.table.due_at(now) {
            msg.check(id);
            yielded.push(id);
            if self.requests.try_push((id, msg.clone())).is_err() && stop_when_full {
                break;
            }
        }
        assert_eq!(yielded, due[..yielded.len()], "due ids, oldest first");
        if !stop_when_full {
            assert_eq!(yielded.len(), due.len());
        }
        for id in yielded {
            let w = self.out.get_mut(&id).unwrap();
            w.deadline = self.t + self.resend_after;
            w.attempts += 1;
        }
    }

    fn give_up(&mut self) {
        loop {
            let want = self
                .out
                .iter()
                .find(|(_, w)| w.deadline <= self.t && self.at_max(w))
                .map(|(&id, _)| id);
            let got = self.table.give_up_at(self.now());
            assert_eq!(got.as_ref().map(|(id, _)| *id), want);
            let Some((id, msg)) = got else { return };
            msg.check(id);
            self.out.remove(&id);
            self.given_up.insert(id);
        }
    }

    /// The receiver takes one copy, if there is one; returns whether there was.
    fn poll(&mut self, outcome: &Outcome, drop_ack: bool) -> bool {
        let Ok((id, msg)) = self.inbox.try_pop() else {
            return false;
        };
        msg.check(id);
        if !self.seen.is_duplicate(&id) {
            match outcome {
                Outcome::Handled => {
                    let effects = &mut self.effects[id as usize];
                    *effects += 1;
                    assert_eq!(*effects, 1, "effect of {id} twice");
                    self.seen.record(id);
                    while self.effects.get(self.handled_below as usize) == Some(&1) {
                        self.handled_below += 1;
                    }
                }
                Outcome::Fails => return true,
                Outcome::Panics => {
                    let r = catch_unwind(AssertUnwindSafe(move || {
                        let _msg = msg; // dropped while unwinding
                        std::panic::panic_any(HANDLER_PANIC);
                    }));
                    assert!(r.is_err());
                    return true;
                }
            }
        }
        if !drop_ack {
            let _lost_if_full = self.acks.try_push(id);
        }
        true
    }

    fn take_acks(&mut self, n: usize) {
        for _ in 0..n {
            let Ok(id) = self.acked.try_pop() else { return };
            self.ack(id);
        }
    }

    fn ack_through(&mut self) {
        let Some(through) = self.handled_below.checked_sub(1) else {
            return;
        };
        let want: Vec<u64> = self.out.range(..=through).map(|(&id, _)| id).collect();
        assert_eq!(self.table.ack_through(through), want.len());
        for id in want {
            self.out.remove(&id);
        }
    }

    /// The table against the model.
    fn check(&self) {
        let t = &self.table;
        assert_eq!(t.len(), self.out.len());
        assert_eq!(t.is_empty(), self.out.is_empty());
        assert_eq!(t.is_full(), self.model_full());
        let deadline = self.out.values().map(|w| w.deadline).min();
        assert_eq!(t.next_deadline(), deadline.map(|d| self.at(d)));
        let from = self.out.keys().next().map_or(0, |&o| o.saturating_sub(2));
        for id in from..self.next + 2 {
            assert_eq!(t.attempts(id), self.out.get(&id).map(|w| w.attempts));
        }
    }
}

fuzz_target!(|input: Input| {
    allow_handler_panics();
    LIVE.with(|l| l.set(0));
    let cap = input.table as usize % 8 + 1;
    let (requests, inbox) = spsc::channel(input.request_ring as usize % 4 + 1);
    let (acks, acked) = spsc::channel(input.ack_ring as usize % 4 + 1);
    let resend_after = u64::from(input.resend_after % 100) + 1;
    let max = (input.max_attempts != 0).then(|| u32::from(input.max_attempts % 4) + 1);
    let mut table = Outstanding::new(cap, Duration::from_micros(resend_after));
    if let Some(max) = max {
        table = table.with_max_attempts(max);
    }
    let mut w = World {
        table,
        requests,
        acked,
        inbox,
        acks,
        seen: Dedup::new(2 * cap - 1),
        effects: Vec::new(),
        handled_below: 0,
        out: BTreeMap::new(),
        next: 0,
        given_up: HashSet::new(),
        cap: cap as u64,
        resend_after,
        max,
        t0: Instant::now(),
        t: 0,
    };

    for op in input.ops.iter().take(500) {
        match op {
            Op::Send => w.send(),
            Op::Resend { stop_when_full } => w.resend(*stop_when_full),
            Op::GiveUp => w.give_up(),
            Op::Advance { us } => w.t += u64::from(*us),
            Op::Poll { outcome, drop_ack } => {
                w.poll(outcome, *drop_ack);
            }
            Op::TakeAcks { n } => w.take_acks(*n as usize % 8 + 1),
            Op::AckThrough => w.ack_through(),
            Op::AckUnsent { ahead } => {
                assert!(w.table.ack(w.next + u64::from(*ahead)).is_none());
            }
        }
        w.check();
    }

    // Drain: no failures, no drops, and the sender takes each acknowledgement
    // as it comes (so none is lost to a full ack ring), until nothing is
    // outstanding and every copy has been taken.
    for round in 0.. {
        assert!(
            round < 1_000,
            "drain does not finish: {} outstanding",
            w.out.len()
        );
        w.take_acks(usize::MAX);
        if w.out.is_empty() && w.inbox.is_empty() {
            break;
        }
        w.give_up();
        w.resend(true);
        while w.poll(&Outcome::Handled, false) {
            w.take_acks(usize::MAX);
        }
        w.check();
        w.t += w.resend_after;
    }
    for (id, &effects) in w.effects.iter().enumerate() {
        let id = id as u64;
        assert!(
            effects == 1 || (effects == 0 && w.given_up.contains(&id)),
            "id {id}: {effects} effects, given up: {}",
            w.given_up.contains(&id)
        );
    }
    drop(w);
    assert_eq!(
        LIVE.with(Cell::get),
        0,
        "messages made and not dropped, or dropped twice"
    );
});
