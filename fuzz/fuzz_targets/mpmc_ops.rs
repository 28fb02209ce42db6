//! Differential fuzzing of the MPMC queue and channel against a `VecDeque` model:
//! try_push, try_pop (with sequence numbers), force_push, timed operations with a
//! zero timeout, clones and drops of either side. Every result, the length, the
//! sequence numbers and each item's life (made once, dropped once) are compared.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::mpmc::{channel_starting_at, Queue, Receiver, Sender};
use ringkit::{PopError, PushError};
use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::time::Duration;

thread_local! {
    static LIVE: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
}

#[derive(Debug)]
struct Item(u64);

impl Item {
    fn new(id: u64) -> Item {
        LIVE.with(|l| assert!(l.borrow_mut().insert(id), "item {id} made twice"));
        Item(id)
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        let id = self.0;
        LIVE.with(|l| assert!(l.borrow_mut().remove(&id), "item {id} dropped twice or never made"));
    }
}

fn live() -> usize {
    LIVE.with(|l| l.borrow().len())
}

#[derive(Arbitrary, Debug)]
enum QOp {
    TryPush,
    TryPop,
    ForcePush,
}

#[derive(Arbitrary, Debug)]
enum COp {
    TryPush(u8),
    PushTimeoutZero(u8),
    TryPop(u8),
    PopTimeoutZero(u8),
    CloneSender(u8),
    CloneReceiver(u8),
    DropSender(u8),
    DropReceiver(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    capacity: u8,
    laps_before_wrap: u8,
    queue_ops: Vec<QOp>,
    channel_ops: Vec<COp>,
}

fuzz_target!(|input: Input| {
    LIVE.with(|l| l.borrow_mut().clear());
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
        match op {
            QOp::TryPush => {
                let id = next_id;
                next_id += 1;
                match q.try_push(Item::new(id)) {
                    Ok(()) => {
                        assert!(model.len() < cap);
                        model.push_back((pushed, id));
                        pushed += 1;
                    }
                    Err(back) => {
                        assert_eq!(model.len(), cap, "spurious Full");
                        assert_eq!(back.0, id);
                    }
                }
            }
            QOp::ForcePush => {
                let id = next_id;
                next_id += 1;
                let evicted = q.force_push(Item::new(id));
                if model.len() == cap {
                    let (_, old) = model.pop_front().unwrap();
                    assert_eq!(evicted.map(|i| i.0), Some(old));
                } else {
                    assert!(evicted.is_none());
                }
                model.push_back((pushed, id));
                pushed += 1;
            }
            QOp::TryPop => match (q.try_pop_with_seq(), model.pop_front()) {
                (Some((seq, item)), Some((k, id))) => {
                    assert_eq!(item.0, id);
                    // Sequence numbers count pushes from the queue's start, modulo
                    // 2^64 / one_lap * capacity (at least 2^63; the test constructor
                    // starts the positions a few laps before that wrap).
                    let one_lap = (cap as u128 + 1).next_power_of_two();
                    let modulus = (1u128 << 64) / one_lap * cap as u128;
                    let base = *next_seq.get_or_insert(((seq as u128 + modulus - k as u128 % modulus) % modulus) as u64);
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
}

fn channel(cap: usize, laps: u64, ops: &[COp]) {
    let (tx, rx) = channel_starting_at::<Item>(cap, laps);
    let mut txs: Vec<Sender<Item>> = vec![tx];
    let mut rxs: Vec<Receiver<Item>> = vec![rx];
    let mut model: VecDeque<u64> = VecDeque::new();
    let mut next_id = 0u64;
    for op in ops.iter().take(300) {
        match *op {
            COp::TryPush(i) | COp::PushTimeoutZero(i) => {
                if txs.is_empty() {
                    continue;
                }
                let tx = &txs[i as usize % txs.len()];
                let id = next_id;
                next_id += 1;
                let r = match op {
                    COp::TryPush(_) => tx.try_push(Item::new(id)),
                    _ => tx.push_timeout(Item::new(id), Duration::ZERO),
                };
                match r {
                    Ok(()) => {
                        assert!(!rxs.is_empty() && model.len() < cap);
                        model.push_back(id);
                    }
                    Err(PushError::Full(back)) => {
                        assert!(!rxs.is_empty() && model.len() == cap);
                        assert_eq!(back.0, id);
                    }
                    Err(PushError::Disconnected(back)) => {
                        assert!(rxs.is_empty());
                        assert_eq!(back.0, id);
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
                    _ => rx.pop_timeout(Duration::ZERO),
                };
                match (r, model.pop_front()) {
                    (Ok(item), Some(id)) => assert_eq!(item.0, id),
                    (Err(PopError::Empty), None) => assert!(!txs.is_empty()),
                    (Err(PopError::Disconnected), None) => assert!(txs.is_empty()),
                    (got, want) => panic!("pop gave {got:?}, model has {want:?}"),
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
                    txs.swap_remove(i as usize % n);
                }
            }
            COp::DropReceiver(i) => {
                if !rxs.is_empty() {
                    let n = rxs.len();
                    rxs.swap_remove(i as usize % n);
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
        // Items live only in the channel (while any handle holds it).
        if !(txs.is_empty() && rxs.is_empty()) {
            assert_eq!(live(), model.len());
        }
    }
}
