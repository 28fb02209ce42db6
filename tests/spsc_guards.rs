//! Ownership and panic contracts of everything that borrows an SPSC ring: the
//! chunks, the chunk iterator, `fill_from_iter`, the draining iterators. Each is
//! forgotten, dropped half-used and panicked inside; then the ring is used again
//! and dropped, and every item's drops are counted by identity.
//!
//! Items carry a heap payload, so under miri a double drop is a double free and
//! a lost item a leak (except those a test leaks on purpose: see `Item::light`).

// Some guards have no `Drop` of their own today; forgetting or dropping them is
// tested all the same, so the contract holds if one is ever added.
#![allow(clippy::drop_non_drop, clippy::forget_non_drop)]

use ringkit::spsc::{channel, Consumer, Producer};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::mem;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    /// Drops per item id, on this test's thread.
    static DROPS: RefCell<BTreeMap<u64, u32>> = const { RefCell::new(BTreeMap::new()) };
    /// Ids given to `Item::default()` values, counting up from `DEFAULT_BASE`.
    static NEXT_DEFAULT: Cell<u64> = const { Cell::new(DEFAULT_BASE) };
    /// `Item::default()` panics when the next default id equals this.
    static DEFAULT_PANICS_AT: Cell<u64> = const { Cell::new(u64::MAX) };
}

const DEFAULT_BASE: u64 = 1_000_000;

/// A value with an identity and a heap payload; panics in `Drop` if `bomb`.
#[derive(Debug)]
struct Item {
    id: u64,
    payload: String,
    bomb: bool,
}

impl Item {
    fn new(id: u64) -> Self {
        Item {
            id,
            payload: id.to_string(),
            bomb: false,
        }
    }
    /// An item without a heap payload, for values a test leaks on purpose (a
    /// forgotten write chunk's): miri reports leaked heap memory, and these
    /// leaks are the documented contract.
    fn light(id: u64) -> Self {
        Item {
            id,
            payload: String::new(),
            bomb: false,
        }
    }
    fn bomb(id: u64) -> Self {
        let mut item = Item::new(id);
        item.bomb = true;
        item
    }
}

impl Default for Item {
    fn default() -> Self {
        let id = NEXT_DEFAULT.get();
        assert_ne!(id, DEFAULT_PANICS_AT.get(), "Item::default failed");
        NEXT_DEFAULT.set(id + 1);
        Item::light(id)
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        assert!(
            self.payload.is_empty() || self.payload == self.id.to_string(),
            "a dropped item was corrupt"
        );
        DROPS.with(|d| *d.borrow_mut().entry(self.id).or_default() += 1);
        if self.bomb && !std::thread::panicking() {
            panic!("Item {} panics in Drop", self.id);
        }
    }
}

/// Clears the ledger for a new test.
fn reset() {
    DROPS.with(|d| d.borrow_mut().clear());
    NEXT_DEFAULT.set(DEFAULT_BASE);
    DEFAULT_PANICS_AT.set(u64::MAX);
}

/// Times each id was dropped, for the ids that were.
fn drops() -> BTreeMap<u64, u32> {
    DROPS.with(|d| d.borrow().clone())
}

/// Asserts that exactly the ids in `ids` were dropped, each once.
#[track_caller]
fn assert_dropped_once(ids: impl IntoIterator<Item = u64>) {
    let want: BTreeMap<u64, u32> = ids.into_iter().map(|i| (i, 1)).collect();
    assert_eq!(drops(), want);
}

/// Ids of the `Item::default()` values made so far.
fn defaults_made() -> std::ops::Range<u64> {
    DEFAULT_BASE..NEXT_DEFAULT.get()
}

/// A ring of `cap` slots whose positions have moved by `offset`, so chunks wrap
/// around the end of the buffer.
fn ring(cap: usize, offset: usize) -> (Producer<Item>, Consumer<Item>) {
    let (mut tx, mut rx) = channel(cap);
    for _ in 0..offset {
        // Ids above every id a test uses; dropped at once.
        tx.try_push(Item::new(u64::MAX - 1)).unwrap();
        drop(rx.try_pop().unwrap());
    }
    DROPS.with(|d| d.borrow_mut().clear());
    (tx, rx)
}

fn push_ids(tx: &mut Producer<Item>, ids: impl IntoIterator<Item = u64>) {
    for i in ids {
        tx.try_push(Item::new(i)).unwrap();
    }
}

fn pop_id(rx: &mut Consumer<Item>) -> u64 {
    rx.try_pop().unwrap().id
}

// ---- ReadChunk and its iterator -------------------------------------------

#[test]
fn read_chunk_iterator_forgotten_after_taking_some() {
    reset();
    let (mut tx, mut rx) = ring(5, 3);
    push_ids(&mut tx, 0..5);
    let mut it = rx.read_chunk(4).unwrap().into_iter();
    assert_eq!(it.next().unwrap().id, 0);
    assert_eq!(it.next().unwrap().id, 1);
    mem::forget(it);
    assert_dropped_once([0, 1]);
    // What was taken is gone; the rest is where it was.
    assert_eq!(rx.len(), 3);
    assert_eq!(rx.next_seq(), 3 + 2);
    assert_eq!(rx.peek().map(|i| i.id), Some(2));
    assert_eq!(pop_id(&mut rx), 2);
    // The producer gets the freed slots back.
    push_ids(&mut tx, 5..8);
    assert!(tx.is_full());
    let rest: Vec<u64> = rx.try_iter().map(|i| i.id).collect();
    assert_eq!(rest, [3, 4, 5, 6, 7]);
    drop((tx, rx));
    assert_dropped_once(0..8);
}

#[test]
fn read_chunk_iterator_forgotten_then_consumer_dropped() {
    reset();
    let (mut tx, mut rx) = ring(4, 2);
    push_ids(&mut tx, 0..4);
    let mut it = rx.read_chunk(3).unwrap().into_iter();
    drop(it.next());
    drop(it.next());
    mem::forget(it);
    // The consumer drops the two items the ring still holds, not the two taken.
    drop(rx);
    assert_dropped_once(0..4);
    assert!(tx.try_push(Item::new(9)).unwrap_err().is_disconnected());
    drop(tx);
    assert_dropped_once((0..4).chain([9]));
}

#[test]
fn read_chunk_iterator_forgotten_unused_and_exhausted() {
    reset();
    let (mut tx, mut rx) = ring(3, 1);
    push_ids(&mut tx, 0..3);
    mem::forget(rx.read_chunk(2).unwrap().into_iter());
    assert_eq!(rx.len(), 3);
    let mut it = rx.read_chunk(2).unwrap().into_iter();
    assert_eq!(it.by_ref().map(|i| i.id).collect::<Vec<_>>(), [0, 1]);
    assert!(it.next().is_none());
    mem::forget(it);
    assert_eq!(rx.len(), 1);
    assert_eq!(rx.next_seq(), 1 + 2);
    // The next pop hands the producer every slot taken so far.
    assert!(tx.is_full());
    assert_eq!(pop_id(&mut rx), 2);
    push_ids(&mut tx, 3..6);
    drop((tx, rx));
    assert_dropped_once(0..6);
}

#[test]
fn read_chunk_iterator_dropped_half_used() {
    reset();
    let (mut tx, mut rx) = ring(4, 3);
    push_ids(&mut tx, 0..4);
    let mut it = rx.read_chunk(4).unwrap().into_iter();
    assert_eq!(it.len(), 4);
    drop(it.next());
    assert_eq!(it.len(), 3);
    drop(it);
    assert_dropped_once([0]);
    assert_eq!(rx.len(), 3);
    assert_eq!(pop_id(&mut rx), 1);
    push_ids(&mut tx, 4..6);
    drop((tx, rx));
    assert_dropped_once(0..6);
}

#[test]
fn read_chunk_iterator_with_a_panicking_item_drop() {
    reset();
    let (mut tx, mut rx) = ring(4, 2);
    tx.try_push(Item::new(0)).unwrap();
    tx.try_push(Item::bomb(1)).unwrap();
    push_ids(&mut tx, 2..4);
    let r = catch_unwind(AssertUnwindSafe(|| {
        for item in rx.read_chunk(3).unwrap() {
            drop(item); // item 1 panics here
        }
    }));
    assert!(r.is_err());
    // 0 and 1 were taken (1 panicked while dropping): removed, dropped once.
    assert_dropped_once([0, 1]);
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.next_seq(), 2 + 2);
    assert_eq!(pop_id(&mut rx), 2);
    drop((tx, rx));
    assert_dropped_once(0..4);
}

#[test]
fn read_chunk_iterator_with_a_panicking_consumer_of_items() {
    reset();
    let (mut tx, mut rx) = ring(4, 1);
    push_ids(&mut tx, 0..4);
    let r = catch_unwind(AssertUnwindSafe(|| {
        for item in rx.read_chunk(4).unwrap() {
            assert!(item.id < 2, "handler fails on item {}", item.id);
        }
    }));
    assert!(r.is_err());
    // 0, 1 and 2 were taken (2 was dropped by the unwinding loop); 3 stays.
    assert_dropped_once([0, 1, 2]);
    assert_eq!(rx.len(), 1);
    drop((tx, rx));
    assert_dropped_once(0..4);
}

#[test]
fn read_chunk_forgotten_or_dropped_commits_nothing() {
    reset();
    let (mut tx, mut rx) = ring(3, 2);
    push_ids(&mut tx, 0..3);
    mem::forget(rx.read_chunk(3).unwrap());
    drop(rx.read_chunk(2).unwrap());
    assert_eq!(drops(), BTreeMap::new());
    assert_eq!(rx.len(), 3);
    assert_eq!(rx.next_seq(), 2);
    let mut chunk = rx.read_chunk(3).unwrap();
    let (a, b) = chunk.as_mut_slices();
    assert_eq!(a.len() + b.len(), 3);
    a[0].payload.push('!'); // in place; fixed back before anyone drops it
    a[0].payload.pop();
    chunk.commit(1);
    assert_dropped_once([0]);
    drop((tx, rx));
    assert_dropped_once(0..3);
}

#[test]
fn read_chunk_commit_with_a_panicking_drop_removes_up_to_it() {
    reset();
    let (mut tx, mut rx) = ring(5, 4);
    push_ids(&mut tx, 0..2);
    tx.try_push(Item::bomb(2)).unwrap();
    push_ids(&mut tx, 3..5);
    let chunk = rx.read_chunk(4).unwrap();
    assert!(catch_unwind(AssertUnwindSafe(|| chunk.commit(4))).is_err());
    assert_dropped_once([0, 1, 2]);
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.next_seq(), 4 + 3);
    assert_eq!(pop_id(&mut rx), 3);
    push_ids(&mut tx, 5..9);
    drop((tx, rx));
    assert_dropped_once(0..9);
}

// ---- WriteChunk (default-filled) -------------------------------------------

#[test]
fn write_chunk_forgotten_leaks_its_defaults_and_publishes_nothing() {
    reset();
    let (mut tx, mut rx) = ring(4, 3);
    push_ids(&mut tx, [0]);
    let mut chunk = tx.write_chunk(3).unwrap();
    chunk.as_mut_slices().0[0] = Item::light(100); // drops one default
    let overwritten = DEFAULT_BASE;
    mem::forget(chunk);
    // Documented: the values in a forgotten chunk's slots leak; nothing is sent.
    assert_dropped_once([overwritten]);
    assert_eq!(rx.len(), 1);
    push_ids(&mut tx, 1..4);
    let got: Vec<u64> = rx.try_iter().map(|i| i.id).collect();
    assert_eq!(got, [0, 1, 2, 3]);
    drop((tx, rx));
    assert_dropped_once((0..4).chain([overwritten]));
}

#[test]
fn write_chunk_dropped_half_filled_drops_every_value_once() {
    reset();
    let (mut tx, mut rx) = ring(4, 2);
    let mut chunk = tx.write_chunk(4).unwrap();
    {
        let (a, b) = chunk.as_mut_slices();
        assert_eq!((a.len(), b.len()), (2, 2));
        a[1] = Item::new(7);
        b[0] = Item::new(8);
    }
    drop(chunk);
    let made = defaults_made();
    assert_eq!(made.end - made.start, 4);
    assert_dropped_once(made.clone().chain([7, 8]));
    assert_eq!(rx.len(), 0);
    push_ids(&mut tx, [9]);
    assert_eq!(pop_id(&mut rx), 9);
    drop((tx, rx));
    assert_dropped_once(made.chain([7, 8, 9]));
}

#[test]
fn write_chunk_with_a_panicking_default_drops_what_it_made() {
    reset();
    let (mut tx, mut rx) = ring(5, 3);
    DEFAULT_PANICS_AT.set(DEFAULT_BASE + 3);
    let r = catch_unwind(AssertUnwindSafe(|| {
        let _ = tx.write_chunk(5);
    }));
    assert!(r.is_err());
    DEFAULT_PANICS_AT.set(u64::MAX);
    assert_dropped_once(DEFAULT_BASE..DEFAULT_BASE + 3);
    assert_eq!(rx.len(), 0);
    // The slots are free again and the ring works.
    push_ids(&mut tx, 0..5);
    assert!(tx.is_full());
    assert_eq!(pop_id(&mut rx), 0);
    drop((tx, rx));
    assert_dropped_once((DEFAULT_BASE..DEFAULT_BASE + 3).chain(0..5));
}

#[test]
fn write_chunk_commit_with_a_panicking_drop_among_the_rest() {
    reset();
    let (mut tx, mut rx) = ring(5, 4);
    let mut chunk = tx.write_chunk(5).unwrap();
    {
        let (a, b) = chunk.as_mut_slices();
        a[0] = Item::new(0);
        b[0] = Item::new(1);
        b[1] = Item::bomb(2);
        b[2] = Item::new(3);
    }
    let r = catch_unwind(AssertUnwindSafe(|| chunk.commit(2)));
    assert!(r.is_err(), "item 2's drop panics");
    let made = defaults_made();
    // 0 and 1 are published; the five defaults (four overwritten, one left in
    // the last slot) and the uncommitted 2 and 3 are dropped once each.
    assert_eq!(made.end - made.start, 5);
    assert_dropped_once(made.clone().chain([2, 3]));
    assert_eq!(rx.len(), 2);
    assert_eq!(pop_id(&mut rx), 0);
    assert_eq!(pop_id(&mut rx), 1);
    drop((tx, rx));
    assert_dropped_once(made.chain(0..4));
}

// ---- WriteChunkUninit and fill_from_iter -----------------------------------

#[test]
fn write_chunk_uninit_forgotten_or_dropped_publishes_nothing() {
    reset();
    let (mut tx, mut rx) = ring(3, 2);
    mem::forget(tx.write_chunk_uninit(3).unwrap());
    let mut chunk = tx.write_chunk_uninit(2).unwrap();
    chunk.as_mut_slices().0[0].write(Item::light(50)); // never committed: leaks
    drop(chunk);
    assert_eq!(drops(), BTreeMap::new());
    assert_eq!(rx.len(), 0);
    push_ids(&mut tx, 0..3);
    assert_eq!(rx.try_iter().map(|i| i.id).collect::<Vec<_>>(), [0, 1, 2]);
    drop((tx, rx));
    assert_dropped_once(0..3);
}

#[test]
fn fill_from_iter_with_a_panicking_iterator_publishes_what_it_wrote() {
    reset();
    let (mut tx, mut rx) = ring(4, 3);
    let source: Vec<Item> = (0..4).map(Item::new).collect();
    let r = catch_unwind(AssertUnwindSafe(|| {
        let chunk = tx.write_chunk_uninit(4).unwrap();
        chunk.fill_from_iter(source.into_iter().inspect(|i| {
            assert!(i.id < 2, "source fails at {}", i.id);
        }))
    }));
    assert!(r.is_err());
    // 0 and 1 were written and published; 2 was dropped by the unwinding
    // closure's caller, 3 by the source's own drop.
    assert_dropped_once([2, 3]);
    assert_eq!(rx.len(), 2);
    assert_eq!(pop_id(&mut rx), 0);
    // A source that runs dry early publishes what it gave.
    let n = tx
        .write_chunk_uninit(3)
        .unwrap()
        .fill_from_iter((4..6).map(Item::new));
    assert_eq!(n, 2);
    assert_eq!(rx.try_iter().map(|i| i.id).collect::<Vec<_>>(), [1, 4, 5]);
    drop((tx, rx));
    assert_dropped_once(0..6);
}

// ---- Draining iterators -----------------------------------------------------

#[test]
fn try_iter_forgotten_or_dropped_half_used() {
    reset();
    let (mut tx, mut rx) = ring(4, 1);
    push_ids(&mut tx, 0..4);
    let mut it = rx.try_iter();
    drop(it.next());
    mem::forget(it);
    let mut it = rx.try_iter();
    drop(it.next());
    drop(it);
    assert_dropped_once([0, 1]);
    assert_eq!(rx.len(), 2);
    drop((tx, rx));
    assert_dropped_once(0..4);
}

#[cfg(feature = "std")]
#[test]
fn into_iter_dropped_half_used_drops_the_rest_once() {
    reset();
    let (mut tx, rx) = ring(4, 3);
    push_ids(&mut tx, 0..4);
    drop(tx);
    let mut it = rx.into_iter();
    assert_eq!(it.next().unwrap().id, 0);
    drop(it);
    assert_dropped_once(0..4);
}

#[test]
fn leftovers_with_a_panicking_drop_are_each_dropped_once() {
    reset();
    let (mut tx, rx) = ring(5, 3);
    push_ids(&mut tx, 0..2);
    tx.try_push(Item::bomb(2)).unwrap();
    push_ids(&mut tx, 3..5);
    drop(tx);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(rx))).is_err());
    assert_dropped_once(0..5);
}

#[test]
fn consumer_drop_drops_what_is_left_while_the_producer_lives() {
    for bad in 0..5 {
        reset();
        let (mut tx, rx) = ring(5, 3);
        for id in 0..5 {
            tx.try_push(if id == bad {
                Item::bomb(id)
            } else {
                Item::new(id)
            })
            .unwrap();
        }
        // Nothing can be received any more: all five go now, each once, also
        // those after the one that panics.
        assert!(catch_unwind(AssertUnwindSafe(|| drop(rx))).is_err());
        assert_dropped_once(0..5);
        assert!(tx.is_disconnected());
        assert!(tx.is_empty(), "the emptied slots went back to the producer");
        let back = tx.try_push(Item::new(9)).unwrap_err();
        assert!(back.is_disconnected());
        assert_dropped_once(0..5);
        drop(back);
        drop(tx);
        assert_dropped_once((0..5).chain([9]));
    }
}

#[test]
fn read_chunk_forgotten_then_consumer_dropped() {
    reset();
    let (mut tx, mut rx) = ring(4, 2);
    push_ids(&mut tx, 0..4);
    assert_eq!(pop_id(&mut rx), 0);
    mem::forget(rx.read_chunk(2).unwrap());
    drop(rx);
    assert_dropped_once(0..4);
    drop(tx);
    assert_dropped_once(0..4);
}

#[test]
fn a_consumer_that_finds_too_few_items_returns_what_a_forgotten_iterator_took() {
    reset();
    let (mut tx, mut rx) = ring(2, 1);
    push_ids(&mut tx, 0..2);
    let mut it = rx.read_chunk(2).unwrap().into_iter();
    drop(it.next());
    drop(it.next());
    mem::forget(it);
    // The producer still counts the two slots as taken...
    assert!(tx.is_full());
    assert!(tx.try_push(Item::new(9)).unwrap_err().is_full());
    // ...until the consumer finds the ring empty: it publishes before it says so,
    // so a producer waiting for room is not left waiting on a waiting consumer.
    assert_eq!(rx.try_pop().unwrap_err(), ringkit::PopError::Empty);
    assert!(tx.is_empty());
    push_ids(&mut tx, 2..4);
    // The same for a chunk request that finds too few items.
    let mut it = rx.read_chunk(2).unwrap().into_iter();
    drop(it.next());
    mem::forget(it);
    assert!(tx.try_push(Item::new(10)).unwrap_err().is_full());
    assert!(rx.read_chunk(2).is_err());
    push_ids(&mut tx, [4]);
    drop((tx, rx));
    assert_dropped_once((0..5).chain([9, 10]));
}

#[cfg(feature = "std")]
#[test]
fn blocking_ends_do_not_wait_on_each_other_after_a_forgotten_iterator() {
    reset();
    let (mut tx, mut rx) = channel::<u64>(1);
    tx.try_push(0).unwrap();
    let producer = std::thread::spawn(move || {
        // Waits for the slot the forgotten iterator's item left.
        tx.push(1).unwrap();
    });
    let mut it = rx.read_chunk(1).unwrap().into_iter();
    assert_eq!(it.next(), Some(0));
    mem::forget(it);
    // Blocks until the producer pushes, which it can only do once the consumer
    // has published the slot.
    assert_eq!(rx.pop(), Ok(1));
    producer.join().unwrap();
}
