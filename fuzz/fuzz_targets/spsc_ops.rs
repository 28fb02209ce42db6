//! Differential fuzzing of the SPSC ring against a `VecDeque` model: an operation
//! sequence from `arbitrary` runs on both, and every result, the length, the
//! sequence numbers and the drop counts are compared after each step.
//!
//! Ownership and panic contracts are part of the model: items may panic in `Drop`
//! (in a pop, a chunk commit, a chunk iterator, the ring's own drop), guards may be
//! forgotten at any point, and chunk iterators dropped half-way. The set of live
//! item ids is compared with the model's after every step, so a double drop, a
//! leak or a lost item is a crash.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::spsc::{channel_starting_at, Consumer, Producer};
use ringkit::{ChunkError, PopError, PushError};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::collections::VecDeque;
use std::mem;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;
use std::time::Duration;

thread_local! {
    /// Ids of the items alive now. An item is inserted when made and removed
    /// when dropped: a double drop or a drop of a never-made value panics, and a
    /// leak shows as an id left behind.
    static LIVE: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
    static NEXT_DEFAULT: Cell<u64> = const { Cell::new(DEFAULT_IDS) };
}

/// The panic message of an item's `Drop`: the only panic this target expects.
const BOMB: &str = "spsc_ops: an item panics in Drop";

/// libfuzzer's panic hook aborts on every panic; let the expected one unwind.
fn allow_bomb_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&BOMB) {
                fuzzer_hook(info);
            }
        }));
    });
}

/// Ids of `Default` items start here, far from the pushed values.
const DEFAULT_IDS: u64 = 1 << 62;

/// An item that tracks its own life; a `bomb` panics in `Drop` (unless the
/// thread is already unwinding, which would abort).
#[derive(Debug, PartialEq)]
struct Item(u64, bool);

impl Item {
    fn new(id: u64) -> Item {
        Item::with_bomb(id, false)
    }
    fn with_bomb(id: u64, bomb: bool) -> Item {
        LIVE.with(|l| assert!(l.borrow_mut().insert(id), "item {id} made twice"));
        Item(id, bomb)
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        let id = self.0;
        LIVE.with(|l| assert!(l.borrow_mut().remove(&id), "item {id} dropped twice or never made"));
        if self.1 && !std::thread::panicking() {
            std::panic::panic_any(BOMB);
        }
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

fn live() -> HashSet<u64> {
    LIVE.with(|l| l.borrow().clone())
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// `try_push`; a `bomb` item panics when it is dropped.
    TryPush { bomb: bool },
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
    /// `read_chunk(n)`, move `m` items out through `into_iter`, then drop the
    /// iterator or forget it.
    ReadIter { n: u8, m: u8, forget: bool },
    /// `write_chunk(n)`, overwrite `set` slots, forget the chunk.
    ForgetWriteDefault { n: u8, set: u8 },
    /// `write_chunk_uninit(n)`, write `set` slots, forget the chunk.
    ForgetWriteUninit { n: u8, set: u8 },
    /// `read_chunk(n)`, forget it.
    ForgetRead { n: u8 },
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
    /// Ids in the ring, oldest first.
    items: VecDeque<u64>,
    /// Ids of the items that panic in `Drop`.
    bombs: HashSet<u64>,
    /// Ids leaked by a forgotten write chunk: alive for good.
    leaked: HashSet<u64>,
    /// Items a forgotten chunk iterator took that the consumer has not yet
    /// published: the producer still counts their slots as taken.
    unpublished: usize,
    cap: usize,
    next_value: u64,
    next_seq: u64,
    producer: bool,
    consumer: bool,
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
    allow_bomb_panics();
    LIVE.with(|l| l.borrow_mut().clear());
    let cap = (input.capacity % 16) as usize + 1;
    let start = usize::MAX - input.start_back as usize;
    let (tx, rx) = channel_starting_at::<Item>(cap, start);
    let mut tx: Option<Producer<Item>> = Some(tx);
    let mut rx: Option<Consumer<Item>> = Some(rx);
    let mut m = Model {
        items: VecDeque::new(),
        bombs: HashSet::new(),
        leaked: HashSet::new(),
        unpublished: 0,
        cap,
        next_value: 0,
        next_seq: start as u64,
        producer: true,
        consumer: true,
    };

    for op in input.ops.iter().take(200) {
        let expect_panic = Cell::new(false);
        let r = catch_unwind(AssertUnwindSafe(|| step(op, &mut tx, &mut rx, &mut m, &expect_panic)));
        assert_eq!(r.is_err(), expect_panic.get(), "panicked after {op:?}");
        // Every item made is in the ring, was leaked by a forgotten chunk, or was
        // dropped exactly once.
        let want: HashSet<u64> = m.items.iter().chain(&m.leaked).copied().collect();
        assert_eq!(live(), want, "live items after {op:?}");
        if let Some(rx) = &rx {
            assert_eq!(rx.len(), m.items.len());
            assert_eq!(rx.next_seq(), m.next_seq);
            assert_eq!(rx.is_disconnected(), !m.producer);
            assert_eq!(rx.is_empty(), m.items.is_empty());
            assert_eq!(rx.is_full(), m.items.len() == m.cap);
            assert_eq!(rx.capacity(), m.cap);
        }
        if let Some(tx) = &tx {
            assert_eq!(tx.len(), m.items.len() + m.unpublished);
            assert_eq!(tx.is_disconnected(), !m.consumer);
        }
    }
    let bomb_left = m.items.iter().any(|v| m.bombs.contains(v));
    let r = catch_unwind(AssertUnwindSafe(|| {
        drop(tx);
        drop(rx);
    }));
    assert_eq!(r.is_err(), bomb_left);
    assert_eq!(live(), m.leaked, "leftovers dropped once, with the consumer");
});

/// Removes the first `k` items from the model as a loop that drops them in order
/// does: up to and including the first bomb, which panics. Returns how many.
fn remove_dropping(m: &mut Model, k: usize, expect_panic: &Cell<bool>) -> usize {
    let until_bomb = m.items.iter().take(k).position(|v| m.bombs.contains(v));
    let removed = until_bomb.map_or(k, |j| j + 1);
    expect_panic.set(until_bomb.is_some());
    m.items.drain(..removed);
    m.next_seq = m.next_seq.wrapping_add(removed as u64);
    removed
}

fn step(op: &Op, tx: &mut Option<Producer<Item>>, rx: &mut Option<Consumer<Item>>, m: &mut Model, expect_panic: &Cell<bool>) {
    match *op {
        Op::TryPush { .. } | Op::PushTimeoutZero => {
            let Some(p) = tx.as_mut() else { return };
            let v = m.next_value;
            m.next_value += 1;
            let r = match *op {
                Op::TryPush { bomb } => p.try_push(Item::with_bomb(v, bomb)),
                _ => p.push_timeout(Item::new(v), Duration::ZERO).map_err(untimed_push),
            };
            match r {
                Ok(()) => {
                    assert!(m.consumer && m.items.len() + m.unpublished < m.cap, "push succeeded on full/disconnected ring");
                    if let Op::TryPush { bomb: true } = op {
                        m.bombs.insert(v);
                    }
                    m.items.push_back(v);
                }
                Err(PushError::Disconnected(mut back)) => {
                    assert!(!m.consumer);
                    assert_eq!(back.0, v);
                    back.1 = false;
                    drop(back);
                }
                Err(PushError::Full(mut back)) => {
                    assert!(m.consumer && m.items.len() + m.unpublished == m.cap);
                    assert_eq!(back.0, v);
                    back.1 = false;
                    drop(back);
                }
            }
        }
        Op::TryPop | Op::PopTimeoutZero => {
            let Some(c) = rx.as_mut() else { return };
            let r = match op {
                Op::TryPop => c.try_pop(),
                _ => c.pop_timeout(Duration::ZERO).map_err(untimed_pop),
            };
            // A pop publishes; so does a consumer that finds the ring empty.
            m.unpublished = 0;
            match (r, m.items.front().copied()) {
                (Ok(item), Some(v)) => {
                    assert_eq!(item.0, v);
                    m.unpublished = 0;
                    remove_dropping(m, 1, expect_panic);
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
            let free = m.cap - m.items.len() - m.unpublished;
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
            let free = m.cap - m.items.len() - m.unpublished;
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
            // A commit publishes; so does a request that finds too few items.
            m.unpublished = 0;
            match c.read_chunk(n) {
                Ok(chunk) => {
                    assert!(n <= m.items.len());
                    assert_eq!(chunk.first_seq(), m.next_seq);
                    let (a, b) = chunk.as_slices();
                    let got: Vec<u64> = a.iter().chain(b).map(|i| i.0).collect();
                    let want: Vec<u64> = m.items.iter().take(n).copied().collect();
                    assert_eq!(got, want);
                    let k = k as usize % (n + 1);
                    remove_dropping(m, k, expect_panic);
                    chunk.commit(k);
                }
                Err(e) => {
                    assert_eq!(e, ChunkError::TooFewItems { available: m.items.len() });
                    assert!(n > m.items.len());
                }
            }
        }
        Op::ReadIter { n, m: take, forget } => {
            let Some(c) = rx.as_mut() else { return };
            let n = n as usize % (m.cap + 2);
            let Ok(chunk) = c.read_chunk(n) else {
                assert!(n > m.items.len());
                m.unpublished = 0;
                return;
            };
            let take = take as usize % (n + 1);
            let want: Vec<u64> = m.items.iter().take(take).copied().collect();
            let removed = remove_dropping(m, take, expect_panic);
            // A panic drops the iterator while unwinding, which publishes.
            if forget && removed == take && !expect_panic.get() {
                m.unpublished += removed;
            } else {
                m.unpublished = 0;
            }
            let mut it = chunk.into_iter();
            assert_eq!(it.len(), n);
            for v in want {
                let item = it.next().unwrap();
                assert_eq!(item.0, v);
                drop(item);
            }
            assert_eq!(it.len(), n - take);
            if forget {
                mem::forget(it);
            } else {
                drop(it);
            }
        }
        Op::ForgetWriteDefault { n, set } => {
            let Some(p) = tx.as_mut() else { return };
            let n = n as usize % (m.cap + 2);
            let first_default = NEXT_DEFAULT.with(|d| d.get());
            let Ok(mut chunk) = p.write_chunk(n) else { return };
            let set = set as usize % (n + 1);
            let (a, b) = chunk.as_mut_slices();
            for slot in a.iter_mut().chain(b.iter_mut()).take(set) {
                *slot = Item::new(m.next_value); // drops a default
                m.leaked.insert(m.next_value);
                m.next_value += 1;
            }
            mem::forget(chunk);
            // The defaults not overwritten leak with the chunk.
            m.leaked.extend(first_default + set as u64..first_default + n as u64);
        }
        Op::ForgetWriteUninit { n, set } => {
            let Some(p) = tx.as_mut() else { return };
            let n = n as usize % (m.cap + 2);
            let Ok(mut chunk) = p.write_chunk_uninit(n) else { return };
            let set = set as usize % (n + 1);
            let (a, b) = chunk.as_mut_slices();
            for slot in a.iter_mut().chain(b.iter_mut()).take(set) {
                slot.write(Item::new(m.next_value));
                m.leaked.insert(m.next_value);
                m.next_value += 1;
            }
            mem::forget(chunk);
        }
        Op::ForgetRead { n } => {
            let Some(c) = rx.as_mut() else { return };
            let n = n as usize % (m.cap + 2);
            match c.read_chunk(n) {
                Ok(chunk) => mem::forget(chunk),
                Err(_) => m.unpublished = 0,
            }
        }
        Op::DropProducer | Op::DropConsumer => {
            let (p, c) = match op {
                Op::DropProducer => (tx.take(), None),
                _ => (None, rx.take()),
            };
            if p.is_some() {
                m.producer = false;
            }
            if c.is_some() {
                m.consumer = false;
                // The consumer's drop publishes what a forgotten iterator took.
                m.unpublished = 0;
            }
            // The leftovers go with the consumer (nothing can receive them any
            // more), and any bomb among them panics (after the others are
            // dropped). Once it is gone, pushes are refused, so the producer's
            // drop finds the ring empty.
            if c.is_some() && !m.items.is_empty() {
                expect_panic.set(m.items.iter().any(|v| m.bombs.contains(v)));
                m.items.clear();
            }
            drop((p, c));
        }
    }
}
