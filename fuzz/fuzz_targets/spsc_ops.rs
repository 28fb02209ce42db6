//! Differential fuzzing of the SPSC ring against a `VecDeque` model: an operation
//! sequence from `arbitrary` runs on both, and every result, the length, the
//! sequence numbers and the drop counts are compared after each step.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::spsc::{channel_starting_at, Consumer, Producer};
use ringkit::{ChunkError, PopError, PushError};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::collections::VecDeque;
use std::time::Duration;

thread_local! {
    /// Ids of the items alive now. An item is inserted when made and removed
    /// when dropped: a double drop or a drop of a never-made value panics, and a
    /// leak shows as an id left behind.
    static LIVE: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
    static NEXT_DEFAULT: Cell<u64> = const { Cell::new(DEFAULT_IDS) };
}

/// Ids of `Default` items start here, far from the pushed values.
const DEFAULT_IDS: u64 = 1 << 62;

/// An item that tracks its own life.
#[derive(Debug, PartialEq)]
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

impl Default for Item {
    fn default() -> Self {
        let id = NEXT_DEFAULT.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        });
        Item::new(id)
    }
}

fn live() -> usize {
    LIVE.with(|l| l.borrow().len())
}

#[derive(Arbitrary, Debug)]
enum Op {
    TryPush,
    PushTimeoutZero,
    TryPop,
    PopTimeoutZero,
    Peek,
    /// `write_chunk_uninit(n)` filled from an iterator of `fill` items.
    WriteUninit { n: u8, fill: u8 },
    /// `write_chunk(n)` (Default-filled), overwrite `set` slots, commit `k`.
    WriteDefault { n: u8, set: u8, k: u8 },
    /// `read_chunk(n)`, check contents, commit `k`.
    ReadCommit { n: u8, k: u8 },
    /// `read_chunk(n)`, move `m` items out through `into_iter`.
    ReadIter { n: u8, m: u8 },
    DropProducer,
    DropConsumer,
}

#[derive(Arbitrary, Debug)]
struct Input {
    capacity: u8,
    /// Positions start at `usize::MAX - start_back` to cross the wrap-around.
    start_back: u8,
    ops: Vec<Op>,
}

struct Model {
    items: VecDeque<u64>,
    cap: usize,
    next_value: u64,
    next_seq: u64,
    producer: bool,
    consumer: bool,
}

fuzz_target!(|input: Input| {
    LIVE.with(|l| l.borrow_mut().clear());
    let cap = (input.capacity % 16) as usize + 1;
    let start = usize::MAX - input.start_back as usize;
    let (tx, rx) = channel_starting_at::<Item>(cap, start);
    let mut tx: Option<Producer<Item>> = Some(tx);
    let mut rx: Option<Consumer<Item>> = Some(rx);
    let mut m = Model {
        items: VecDeque::new(),
        cap,
        next_value: 0,
        next_seq: start as u64,
        producer: true,
        consumer: true,
    };

    for op in input.ops.iter().take(200) {
        step(op, &mut tx, &mut rx, &mut m);
        // Every item made is in the ring or was dropped exactly once.
        assert_eq!(live(), m.items.len(), "live items after {op:?}");
        if let Some(rx) = &rx {
            assert_eq!(rx.len(), m.items.len());
            assert_eq!(rx.next_seq(), m.next_seq);
            assert_eq!(rx.is_abandoned(), !m.producer);
            assert_eq!(rx.is_empty(), m.items.is_empty());
            assert_eq!(rx.is_full(), m.items.len() == m.cap);
            assert_eq!(rx.capacity(), m.cap);
        }
        if let Some(tx) = &tx {
            assert_eq!(tx.len(), m.items.len());
            assert_eq!(tx.is_abandoned(), !m.consumer);
        }
    }
    drop(tx);
    drop(rx);
    assert_eq!(live(), 0, "leftovers dropped once, with the ring");
});

fn step(op: &Op, tx: &mut Option<Producer<Item>>, rx: &mut Option<Consumer<Item>>, m: &mut Model) {
    match *op {
        Op::TryPush | Op::PushTimeoutZero => {
            let Some(p) = tx.as_mut() else { return };
            let v = m.next_value;
            m.next_value += 1;
            let r = match op {
                Op::TryPush => p.try_push(Item::new(v)),
                _ => p.push_timeout(Item::new(v), Duration::ZERO),
            };
            match r {
                Ok(()) => {
                    assert!(m.consumer && m.items.len() < m.cap, "push succeeded on full/disconnected ring");
                    m.items.push_back(v);
                }
                Err(PushError::Disconnected(back)) => {
                    assert!(!m.consumer);
                    assert_eq!(back.0, v);
                    drop(back);
                }
                Err(PushError::Full(back)) => {
                    assert!(m.consumer && m.items.len() == m.cap);
                    assert_eq!(back.0, v);
                    drop(back);
                }
            }
        }
        Op::TryPop | Op::PopTimeoutZero => {
            let Some(c) = rx.as_mut() else { return };
            let r = match op {
                Op::TryPop => c.try_pop(),
                _ => c.pop_timeout(Duration::ZERO),
            };
            match (r, m.items.pop_front()) {
                (Ok(item), Some(v)) => {
                    assert_eq!(item.0, v);
                    m.next_seq = m.next_seq.wrapping_add(1);
                    drop(item);
                }
                (Err(PopError::Empty), None) => assert!(m.producer),
                (Err(PopError::Disconnected), None) => assert!(!m.producer),
                (r, v) => panic!("pop gave {r:?}, model has {v:?}"),
            }
        }
        Op::Peek => {
            let Some(c) = rx.as_ref() else { return };
            assert_eq!(c.peek().map(|i| i.0), m.items.front().copied());
        }
        Op::WriteUninit { n, fill } => {
            let Some(p) = tx.as_mut() else { return };
            let n = n as usize % (m.cap + 2);
            let free = m.cap - m.items.len();
            match p.write_chunk_uninit(n) {
                Ok(chunk) => {
                    assert!(m.consumer && n <= free);
                    let want = fill as usize % (n + 2);
                    let first = m.next_value;
                    let written = chunk.fill_from_iter((first..first + want as u64).map(Item::new));
                    assert_eq!(written, want.min(n));
                    // Items the iterator made but the chunk did not take: none,
                    // `take(n)` stops the iterator first.
                    for v in first..first + written as u64 {
                        m.items.push_back(v);
                    }
                    m.next_value += written as u64;
                }
                Err(ChunkError::Disconnected) => assert!(!m.consumer),
                Err(e) => {
                    assert!(m.consumer);
                    assert_eq!(e, ChunkError::TooFewSlots { available: free });
                    assert!(n > free);
                }
            }
        }
        Op::WriteDefault { n, set, k } => {
            let Some(p) = tx.as_mut() else { return };
            let n = n as usize % (m.cap + 2);
            let free = m.cap - m.items.len();
            let first_default = NEXT_DEFAULT.with(|d| d.get());
            match p.write_chunk(n) {
                Ok(mut chunk) => {
                    assert!(m.consumer && n <= free);
                    let set = set as usize % (n + 1);
                    let (a, b) = chunk.as_mut_slices();
                    assert_eq!(a.len() + b.len(), n);
                    let mut overwritten = 0;
                    for slot in a.iter_mut().chain(b.iter_mut()).take(set) {
                        *slot = Item::new(m.next_value + overwritten); // drops a default
                        overwritten += 1;
                    }
                    let k = k as usize % (n + 1);
                    chunk.commit(k);
                    // Committed: the overwritten values first, then defaults.
                    for i in 0..k as u64 {
                        m.items.push_back(if i < overwritten { m.next_value + i } else { first_default + i });
                    }
                    m.next_value += overwritten;
                }
                Err(ChunkError::Disconnected) => assert!(!m.consumer),
                Err(e) => {
                    assert!(m.consumer);
                    assert_eq!(e, ChunkError::TooFewSlots { available: free });
                    assert!(n > free);
                }
            }
        }
        Op::ReadCommit { n, k } => {
            let Some(c) = rx.as_mut() else { return };
            let n = n as usize % (m.cap + 2);
            match c.read_chunk(n) {
                Ok(chunk) => {
                    assert!(n <= m.items.len());
                    assert_eq!(chunk.first_seq(), m.next_seq);
                    let (a, b) = chunk.as_slices();
                    let got: Vec<u64> = a.iter().chain(b).map(|i| i.0).collect();
                    let want: Vec<u64> = m.items.iter().take(n).copied().collect();
                    assert_eq!(got, want);
                    let k = k as usize % (n + 1);
                    chunk.commit(k);
                    for _ in 0..k {
                        m.items.pop_front();
                    }
                    m.next_seq = m.next_seq.wrapping_add(k as u64);
                }
                Err(e) => {
                    assert_eq!(e, ChunkError::TooFewItems { available: m.items.len() });
                    assert!(n > m.items.len());
                }
            }
        }
        Op::ReadIter { n, m: take } => {
            let Some(c) = rx.as_mut() else { return };
            let n = n as usize % (m.cap + 2);
            let Ok(chunk) = c.read_chunk(n) else {
                assert!(n > m.items.len());
                return;
            };
            let take = take as usize % (n + 1);
            let mut it = chunk.into_iter();
            assert_eq!(it.len(), n);
            for _ in 0..take {
                let item = it.next().unwrap();
                assert_eq!(Some(item.0), m.items.pop_front());
                drop(item);
            }
            drop(it);
            m.next_seq = m.next_seq.wrapping_add(take as u64);
        }
        Op::DropProducer => {
            if tx.take().is_some() {
                m.producer = false;
            }
        }
        Op::DropConsumer => {
            if rx.take().is_some() {
                m.consumer = false;
            }
        }
    }
    // When the producer goes last, the leftovers go with the ring.
    if tx.is_none() && rx.is_none() && !m.items.is_empty() {
        m.items.clear();
    }
}
