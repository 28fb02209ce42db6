//! Differential fuzzing of the MPMC queue and channel against a `VecDeque` model:
//! try_push, try_pop (with sequence numbers), force_push, timed operations with a
//! zero timeout, clones and drops of either side, receiver iterators dropped
//! half-used or forgotten. Every result, the length, the sequence numbers and each
//! item's life (made once, dropped once) are compared. Items may panic in `Drop`
//! (at most one such item lives at a time, so leftovers never panic twice): each
//! operation that can drop one runs under `catch_unwind`, must unwind exactly when
//! the model says a panicking item was dropped, and every item is still dropped
//! exactly once.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::mpmc::{channel_starting_at, Queue, Receiver, Sender};
use ringkit::{PopError, PushError};
use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;
use std::time::Duration;

thread_local! {
    static LIVE: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
    /// The live item that panics in `Drop`, if any.
    static PANICKY: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The payload of the panics items inject; any other panic is a finding.
const INJECTED: &str = "injected drop panic";

/// libfuzzer-sys aborts on every panic; let the injected ones unwind quietly.
fn let_injected_panics_unwind() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&INJECTED) {
                previous(info);
            }
        }));
    });
}

#[derive(Debug)]
struct Item(u64);

impl Item {
    /// A new item; it panics in `Drop` if `panics` and no other such item lives.
    fn new(id: u64, panics: bool) -> Item {
        LIVE.with(|l| assert!(l.borrow_mut().insert(id), "item {id} made twice"));
        if panics && PANICKY.get().is_none() {
            PANICKY.set(Some(id));
        }
        Item(id)
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        let id = self.0;
        LIVE.with(|l| {
            assert!(
                l.borrow_mut().remove(&id),
                "item {id} dropped twice or never made"
            )
        });
        if PANICKY.get() == Some(id) {
            PANICKY.set(None);
            std::panic::panic_any(INJECTED);
        }
    }
}

fn live() -> usize {
    LIVE.with(|l| l.borrow().len())
}

/// The live item that panics in `Drop`, if any.
fn panicky() -> Option<u64> {
    PANICKY.get()
}

/// Runs `f`, which drops items; it must unwind with the injected panic exactly
/// when `panics` (the model says it drops the panicking item).
fn dropping<R>(panics: bool, what: &str, f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => {
            assert!(!panics, "{what}: the panicking item was not dropped");
            Some(r)
        }
        Err(e) => {
            assert_eq!(
                e.downcast_ref::<&str>(),
                Some(&INJECTED),
                "{what}: unexpected panic"
            );
            assert!(panics, "{what}: an item panicked that was not dropped");
            None
        }
    }
}

/// Drops `item` (popped, evicted or handed back) as the caller would.
fn drop_item(item: Item) {
    let panics = panicky() == Some(item.0);
    dropping(panics, "dropping a returned item", || drop(item));
}

/// The `bool` of a push: the new item panics in `Drop` (if no other such lives).
#[derive(Arbitrary, Debug)]
enum QOp {
    TryPush(bool),
    TryPop,
    ForcePush(bool),
}

#[derive(Arbitrary, Debug)]
enum COp {
    TryPush(u8, bool),
    PushTimeoutZero(u8, bool),
    TryPop(u8),
    PopTimeoutZero(u8),
    CloneSender(u8),
    CloneReceiver(u8),
    DropSender(u8),
    DropReceiver(u8),
    /// Takes up to `n % 4` items through `try_iter`, then drops the iterator
    /// (half-used) or forgets it.
    TryIter {
        rx: u8,
        n: u8,
        forget: bool,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    capacity: u8,
    laps_before_wrap: u8,
    queue_ops: Vec<QOp>,
    channel_ops: Vec<COp>,
}

/// A zero timeout behaves as the `try_` form; its error, told in the `try_` form's
/// terms (a timeout is a full or empty ring).
fn untimed_push<T>(e: ringkit::PushTimeoutError<T>) -> PushError<T> {
    match e {
        ringkit::PushTimeoutError::Timeout(v) => PushError::Full(v),
        ringkit::PushTimeoutError::Disconnected(v) => PushError::Disconnected(v),
    }
}

/// As `untimed_push`, for pops.
fn untimed_pop(e: ringkit::PopTimeoutError) -> PopError {
    match e {
        ringkit::PopTimeoutError::Timeout => PopError::Empty,
        ringkit::PopTimeoutError::Disconnected => PopError::Disconnected,
    }
}

fuzz_target!(|input: Input| {
    let_injected_panics_unwind();
    LIVE.with(|l| l.borrow_mut().clear());
    PANICKY.set(None);
    let cap = (input.capacity % 9) as usize + 1;
    let laps = input.laps_before_wrap as u64 % 4;
    queue(cap, laps, &input.queue_ops);
    assert_eq!(live(), 0, "queue leftovers dropped once");
    channel(cap, laps, &input.channel_ops);
    assert_eq!(live(), 0, "channel leftovers dropped once");
});

fn queue(cap: usize, laps: u64, ops: &[QOp]) {
    let q = Queue::<Item>::starting_at(cap, laps);
    let mut model: VecDeque<(u64, u64)> = VecDeque::new(); // (seq, id)
    let mut next_id = 0u64;
    let mut next_seq: Option<u64> = None; // learned from the first pop
    let mut pushed = 0u64;
    for op in ops.iter().take(300) {
        match *op {
            QOp::TryPush(panics) => {
                let id = next_id;
                next_id += 1;
                match q.try_push(Item::new(id, panics)) {
                    Ok(()) => {
                        assert!(model.len() < cap);
                        model.push_back((pushed, id));
                        pushed += 1;
                    }
                    Err(full) => {
                        assert_eq!(model.len(), cap, "spurious Full");
                        let PushError::Full(back) = full else {
                            panic!("a queue has no receiving side to lose")
                        };
                        assert_eq!(back.0, id);
                        drop_item(back);
                    }
                }
            }
            QOp::ForcePush(panics) => {
                let id = next_id;
                next_id += 1;
                let evicted = q.force_push(Item::new(id, panics));
                if model.len() == cap {
                    let (_, old) = model.pop_front().unwrap();
                    let evicted = evicted.expect("force_push on a full queue evicts");
                    assert_eq!(evicted.0, old);
                    drop_item(evicted);
                } else {
                    assert!(evicted.is_none());
                }
                model.push_back((pushed, id));
                pushed += 1;
            }
            QOp::TryPop => match (q.try_pop_with_seq(), model.pop_front()) {
                (Some((seq, item)), Some((k, id))) => {
                    assert_eq!(item.0, id);
                    drop_item(item);
                    // Sequence numbers count pushes from the queue's start, modulo
                    // 2^64 / one_lap * capacity (at least 2^63; the test constructor
                    // starts the positions a few laps before that wrap).
                    let one_lap = (cap as u128 + 1).next_power_of_two();
                    let modulus = (1u128 << 64) / one_lap * cap as u128;
                    let base = *next_seq.get_or_insert(
                        ((seq as u128 + modulus - k as u128 % modulus) % modulus) as u64,
                    );
                    let want = ((base as u128 + k as u128) % modulus) as u64;
                    assert_eq!(seq, want, "sequence number");
                }
                (None, None) => {}
                (got, want) => panic!("try_pop gave {got:?}, model has {want:?}"),
            },
        }
        assert_eq!(q.len(), model.len());
        assert_eq!(q.is_empty(), model.is_empty());
        assert_eq!(q.is_full(), model.len() == cap);
        assert_eq!(live(), model.len());
    }
    // The leftovers go with the queue, each once, also past a panicking one.
    let panics = model.iter().any(|&(_, id)| panicky() == Some(id));
    dropping(panics, "dropping the queue", || drop(q));
}

fn channel(cap: usize, laps: u64, ops: &[COp]) {
    let (tx, rx) = channel_starting_at::<Item>(cap, laps);
    let mut txs: Vec<Sender<Item>> = vec![tx];
    let mut rxs: Vec<Receiver<Item>> = vec![rx];
    let mut model: VecDeque<u64> = VecDeque::new();
    let mut next_id = 0u64;
    // Dropping the last receiver drops the leftovers (and may unwind with the
    // panic of one of them); after that, pushes hand their items back.
    let leftovers_panic = |model: &VecDeque<u64>| model.iter().any(|&id| panicky() == Some(id));
    for op in ops.iter().take(300) {
        match *op {
            COp::TryPush(i, panics) | COp::PushTimeoutZero(i, panics) => {
                if txs.is_empty() {
                    continue;
                }
                let tx = &txs[i as usize % txs.len()];
                let id = next_id;
                next_id += 1;
                let r = match op {
                    COp::TryPush(..) => tx.try_push(Item::new(id, panics)),
                    _ => tx.push_timeout(Item::new(id, panics), Duration::ZERO).map_err(untimed_push),
                };
                match r {
                    Ok(()) => {
                        assert!(!rxs.is_empty() && model.len() < cap);
                        model.push_back(id);
                    }
                    Err(PushError::Full(back)) => {
                        assert!(!rxs.is_empty() && model.len() == cap);
                        assert_eq!(back.0, id);
                        drop_item(back);
                    }
                    Err(PushError::Disconnected(back)) => {
                        assert!(rxs.is_empty());
                        assert_eq!(back.0, id);
                        drop_item(back);
                    }
                }
            }
            COp::TryPop(i) | COp::PopTimeoutZero(i) => {
                if rxs.is_empty() {
                    continue;
                }
                let rx = &rxs[i as usize % rxs.len()];
                let r = match op {
                    COp::TryPop(_) => rx.try_pop(),
                    _ => rx.pop_timeout(Duration::ZERO).map_err(untimed_pop),
                };
                match (r, model.pop_front()) {
                    (Ok(item), Some(id)) => {
                        assert_eq!(item.0, id);
                        drop_item(item);
                    }
                    (Err(PopError::Empty), None) => assert!(!txs.is_empty()),
                    (Err(PopError::Disconnected), None) => assert!(txs.is_empty()),
                    (got, want) => panic!("pop gave {got:?}, model has {want:?}"),
                }
            }
            COp::TryIter { rx, n, forget } => {
                if rxs.is_empty() {
                    continue;
                }
                let mut it = rxs[rx as usize % rxs.len()].try_iter();
                for _ in 0..n % 4 {
                    match (it.next(), model.pop_front()) {
                        (Some(item), Some(id)) => {
                            assert_eq!(item.0, id);
                            drop_item(item);
                        }
                        (None, None) => break,
                        (got, want) => panic!("try_iter gave {got:?}, model has {want:?}"),
                    }
                }
                // It borrows the receiver and owns nothing: either way the rest stay.
                if forget {
                    std::mem::forget(it);
                } else {
                    drop(it);
                }
            }
            COp::CloneSender(i) => {
                if !txs.is_empty() && txs.len() < 4 {
                    let t = txs[i as usize % txs.len()].clone();
                    txs.push(t);
                }
            }
            COp::CloneReceiver(i) => {
                if !rxs.is_empty() && rxs.len() < 4 {
                    let r = rxs[i as usize % rxs.len()].clone();
                    rxs.push(r);
                }
            }
            COp::DropSender(i) => {
                if !txs.is_empty() {
                    let n = txs.len();
                    let tx = txs.swap_remove(i as usize % n);
                    let last = txs.is_empty() && rxs.is_empty();
                    dropping(last && leftovers_panic(&model), "dropping a sender", || {
                        drop(tx)
                    });
                    if last {
                        model.clear();
                    }
                }
            }
            COp::DropReceiver(i) => {
                if !rxs.is_empty() {
                    let n = rxs.len();
                    let rx = rxs.swap_remove(i as usize % n);
                    let last = rxs.is_empty();
                    dropping(
                        last && leftovers_panic(&model),
                        "dropping a receiver",
                        || drop(rx),
                    );
                    if last {
                        model.clear();
                    }
                }
            }
        }
        if let Some(rx) = rxs.first() {
            assert_eq!(rx.len(), model.len());
            assert_eq!(rx.is_disconnected(), txs.is_empty());
        }
        if let Some(tx) = txs.first() {
            assert_eq!(tx.is_disconnected(), rxs.is_empty());
        }
        // Items live only in the channel, and die with its last receiver.
        assert_eq!(live(), model.len());
    }
    let last = !(txs.is_empty() && rxs.is_empty());
    dropping(
        last && leftovers_panic(&model),
        "dropping the handles",
        || drop((txs, rxs)),
    );
}
