//! MPMC workloads (issue 7, workload 4), generic over the queue under test. `u64`
//! items, capacity `CAPACITY`.
//!
//! * [`one_to_one`]: one producer on `OTHER_CORE`, one consumer on `MAIN_CORE`,
//!   both using the non-blocking operations and spinning on full/empty.
//! * [`one_to_one_blocking`]: the same two threads with the blocking
//!   operations.
//! * [`two_to_two_blocking`]: two producers and two consumers using the blocking
//!   operations, one producer and one consumer pinned to each core. On a 2-core
//!   machine that is 4 busy threads on 2 cores: **oversubscribed**, so what it
//!   measures is mostly how each queue waits (spin, yield, sleep, wake-up).
//!
//! Every run checks that each item came out exactly once with a cheap checksum
//! (sum of the items and sum of a mix of each item, both wrapping).

use super::{pin_to, Contestant, Kind, MAIN_CORE, OTHER_CORE};
use crossbeam_utils::Backoff;
use std::hint::spin_loop;
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const CAPACITY: usize = 1024;

/// A queue with non-blocking push and pop, as the 1P1C workload uses it.
pub trait MpmcTry {
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Pushes `v`; false if the queue is full.
    fn try_push(tx: &Self::Tx, v: u64) -> bool;
    /// Pops an item; `None` if the queue is (or looked) empty.
    fn try_pop(rx: &Self::Rx) -> Option<u64>;
}

/// A queue with blocking push and pop and cloneable ends, as the 2P2C workload
/// uses it.
pub trait MpmcBlocking {
    type Tx: Clone + Send + 'static;
    type Rx: Clone + Send + 'static;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Pushes `v`, waiting while the queue is full.
    fn push(tx: &Self::Tx, v: u64);
    /// Pops an item, waiting while the queue is empty.
    fn pop(rx: &Self::Rx) -> u64;
}

/// A blocking push for a queue that only has try operations: retry with
/// `Backoff::snooze` (spin, then `thread::yield_now`), the only way to wait on it.
#[inline(always)]
pub fn snooze_push<Q: MpmcTry>(tx: &Q::Tx, v: u64) {
    let backoff = Backoff::new();
    while !Q::try_push(tx, v) {
        backoff.snooze();
    }
}

/// A blocking pop for a queue that only has try operations; see [`snooze_push`].
#[inline(always)]
pub fn snooze_pop<Q: MpmcTry>(rx: &Q::Rx) -> u64 {
    let backoff = Backoff::new();
    loop {
        if let Some(v) = Q::try_pop(rx) {
            return v;
        }
        backoff.snooze();
    }
}

/// ringkit: `mpmc::Queue` for the try workload, `mpmc::channel` for the blocking one.
pub struct Ringkit;
/// ringkit `mpmc::channel` in the try workload: `Sender::try_push` and
/// `Receiver::try_pop`, each handle starting at its own guess of the position.
pub struct RingkitChannel;
/// crossbeam-queue `ArrayQueue`. It has no blocking operations: the blocking
/// workload retries its try operations with `crossbeam_utils::Backoff::snooze`
/// (spin, then `thread::yield_now`), the only way to wait on it.
pub struct ArrayQueue;
/// crossbeam-channel `bounded`.
pub struct CbChannel;
/// kanal `bounded`, sync API.
pub struct Kanal;
/// std `sync_channel`. Its receiver cannot be cloned, so the two consumers of the
/// blocking workload share it behind a `Mutex` (the only way with std's channel).
pub struct StdSync;

impl MpmcTry for Ringkit {
    type Tx = Arc<ringkit::mpmc::Queue<u64>>;
    type Rx = Arc<ringkit::mpmc::Queue<u64>>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        let q = Arc::new(ringkit::mpmc::Queue::new(capacity));
        (q.clone(), q)
    }
    #[inline(always)]
    fn try_push(tx: &Self::Tx, v: u64) -> bool {
        tx.try_push(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(rx: &Self::Rx) -> Option<u64> {
        rx.try_pop()
    }
}

impl MpmcTry for RingkitChannel {
    type Tx = ringkit::mpmc::Sender<u64>;
    type Rx = ringkit::mpmc::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        ringkit::mpmc::channel(capacity)
    }
    #[inline(always)]
    fn try_push(tx: &Self::Tx, v: u64) -> bool {
        tx.try_push(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(rx: &Self::Rx) -> Option<u64> {
        rx.try_pop().ok()
    }
}

impl MpmcBlocking for Ringkit {
    type Tx = ringkit::mpmc::Sender<u64>;
    type Rx = ringkit::mpmc::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        ringkit::mpmc::channel(capacity)
    }
    #[inline(always)]
    fn push(tx: &Self::Tx, v: u64) {
        tx.push(v).expect("receivers alive");
    }
    #[inline(always)]
    fn pop(rx: &Self::Rx) -> u64 {
        rx.pop().expect("senders alive")
    }
}

impl MpmcTry for ArrayQueue {
    type Tx = Arc<crossbeam_queue::ArrayQueue<u64>>;
    type Rx = Arc<crossbeam_queue::ArrayQueue<u64>>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        let q = Arc::new(crossbeam_queue::ArrayQueue::new(capacity));
        (q.clone(), q)
    }
    #[inline(always)]
    fn try_push(tx: &Self::Tx, v: u64) -> bool {
        tx.push(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(rx: &Self::Rx) -> Option<u64> {
        rx.pop()
    }
}

impl MpmcBlocking for ArrayQueue {
    type Tx = Arc<crossbeam_queue::ArrayQueue<u64>>;
    type Rx = Arc<crossbeam_queue::ArrayQueue<u64>>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        <Self as MpmcTry>::make(capacity)
    }
    #[inline(always)]
    fn push(tx: &Self::Tx, v: u64) {
        snooze_push::<Self>(tx, v)
    }
    #[inline(always)]
    fn pop(rx: &Self::Rx) -> u64 {
        snooze_pop::<Self>(rx)
    }
}

impl MpmcTry for CbChannel {
    type Tx = crossbeam_channel::Sender<u64>;
    type Rx = crossbeam_channel::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        crossbeam_channel::bounded(capacity)
    }
    #[inline(always)]
    fn try_push(tx: &Self::Tx, v: u64) -> bool {
        tx.try_send(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(rx: &Self::Rx) -> Option<u64> {
        rx.try_recv().ok()
    }
}

impl MpmcBlocking for CbChannel {
    type Tx = crossbeam_channel::Sender<u64>;
    type Rx = crossbeam_channel::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        crossbeam_channel::bounded(capacity)
    }
    #[inline(always)]
    fn push(tx: &Self::Tx, v: u64) {
        tx.send(v).expect("receivers alive");
    }
    #[inline(always)]
    fn pop(rx: &Self::Rx) -> u64 {
        rx.recv().expect("senders alive")
    }
}

impl MpmcTry for Kanal {
    type Tx = kanal::Sender<u64>;
    type Rx = kanal::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        kanal::bounded(capacity)
    }
    #[inline(always)]
    fn try_push(tx: &Self::Tx, v: u64) -> bool {
        // Ok(false): full (the u64 is a copy, retried by the caller).
        tx.try_send(v).expect("receivers alive")
    }
    #[inline(always)]
    fn try_pop(rx: &Self::Rx) -> Option<u64> {
        rx.try_recv().expect("senders alive")
    }
}

impl MpmcBlocking for Kanal {
    type Tx = kanal::Sender<u64>;
    type Rx = kanal::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        kanal::bounded(capacity)
    }
    #[inline(always)]
    fn push(tx: &Self::Tx, v: u64) {
        tx.send(v).expect("receivers alive");
    }
    #[inline(always)]
    fn pop(rx: &Self::Rx) -> u64 {
        rx.recv().expect("senders alive")
    }
}

impl MpmcTry for StdSync {
    type Tx = mpsc::SyncSender<u64>;
    type Rx = mpsc::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        mpsc::sync_channel(capacity)
    }
    #[inline(always)]
    fn try_push(tx: &Self::Tx, v: u64) -> bool {
        tx.try_send(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(rx: &Self::Rx) -> Option<u64> {
        rx.try_recv().ok()
    }
}

impl MpmcBlocking for StdSync {
    type Tx = mpsc::SyncSender<u64>;
    type Rx = Arc<Mutex<mpsc::Receiver<u64>>>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        let (tx, rx) = mpsc::sync_channel(capacity);
        (tx, Arc::new(Mutex::new(rx)))
    }
    #[inline(always)]
    fn push(tx: &Self::Tx, v: u64) {
        tx.send(v).expect("receiver alive");
    }
    #[inline(always)]
    fn pop(rx: &Self::Rx) -> u64 {
        rx.lock().unwrap().recv().expect("senders alive")
    }
}

/// A cheap bijective mix of an item (splitmix64's finaliser), so that the
/// checksum catches a duplicate paired with a loss that keeps the plain sum.
#[inline(always)]
fn mix(v: u64) -> u64 {
    let mut z = v.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Checksum of a multiset of items: (wrapping sum, wrapping sum of mixes).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
struct Check(u64, u64);

impl Check {
    #[inline(always)]
    fn add(&mut self, v: u64) {
        self.0 = self.0.wrapping_add(v);
        self.1 = self.1.wrapping_add(mix(v));
    }
    fn merge(self, o: Check) -> Check {
        Check(self.0.wrapping_add(o.0), self.1.wrapping_add(o.1))
    }
    /// The checksum of the items `0..n`.
    fn of_range(n: u64) -> Check {
        let mut c = Check::default();
        for v in 0..n {
            c.add(v);
        }
        c
    }
}

/// 1P1C: moves `items` items from a producer (pinned to `OTHER_CORE`) to the
/// calling thread (pinned to `MAIN_CORE`), one `try_push` / `try_pop` at a time,
/// spinning on full/empty. Returns the time from both being ready to the last pop.
pub fn one_to_one<Q: MpmcTry>(items: u64) -> Duration {
    one_to_one_with_work::<Q>(items, 0)
}

/// [`one_to_one`] with `work` rounds of [`mix`] per item on the producer before
/// its push. With a few rounds the producer is the slower side, the queue runs
/// near empty, and the consumer's failing `try_pop` is what gets measured.
pub fn one_to_one_with_work<Q: MpmcTry>(items: u64, work: u32) -> Duration {
    let (tx, rx) = Q::make(CAPACITY);
    let ready = Arc::new(Barrier::new(2));
    let r2 = ready.clone();
    let producer = thread::spawn(move || {
        pin_to(OTHER_CORE);
        r2.wait();
        for i in 0..items {
            let mut x = i;
            for _ in 0..work {
                x = mix(std::hint::black_box(x));
            }
            std::hint::black_box(x);
            while !Q::try_push(&tx, i) {
                spin_loop();
            }
        }
        tx
    });
    pin_to(MAIN_CORE);
    ready.wait();
    let start = Instant::now();
    let mut check = Check::default();
    let mut got = 0;
    while got < items {
        if let Some(v) = Q::try_pop(&rx) {
            check.add(v);
            got += 1;
        } else {
            spin_loop();
        }
    }
    let t = start.elapsed();
    // The producer hands its end back so no channel disconnects early.
    drop(producer.join().unwrap());
    assert_eq!(check, Check::of_range(items), "lost or duplicated items");
    t
}

/// 1P1C, blocking: as [`one_to_one`], but with the blocking operations, so a
/// side that finds the queue full or empty waits as the queue waits (spin,
/// yield, park), not in the bench's spin loop. Two threads on two cores: not
/// oversubscribed.
pub fn one_to_one_blocking<Q: MpmcBlocking>(items: u64) -> Duration {
    let (tx, rx) = Q::make(CAPACITY);
    let ready = Arc::new(Barrier::new(2));
    let r2 = ready.clone();
    let producer = thread::spawn(move || {
        pin_to(OTHER_CORE);
        r2.wait();
        for i in 0..items {
            Q::push(&tx, i);
        }
        tx
    });
    pin_to(MAIN_CORE);
    ready.wait();
    let start = Instant::now();
    let mut check = Check::default();
    for _ in 0..items {
        check.add(Q::pop(&rx));
    }
    let t = start.elapsed();
    // The producer hands its end back so no channel disconnects early.
    drop(producer.join().unwrap());
    assert_eq!(check, Check::of_range(items), "lost or duplicated items");
    t
}

/// 2P2C, blocking: two producers push the items `0..items` (interleaved: producer
/// `p` pushes `p, p + 2, ...`), two consumers pop `items / 2` each, all with the
/// blocking operations. Producer 0 and consumer 0 are pinned to `MAIN_CORE`,
/// producer 1 and consumer 1 to `OTHER_CORE`; the calling thread only waits. On a
/// 2-core machine this is oversubscribed (4 threads on 2 cores). `items` is
/// rounded down to an even number. Returns the time from the first of the four
/// starting to the last of them finishing, each taking its own clock readings
/// right after the start barrier and at its end (the calling thread shares a core
/// with two workers; a clock it started could start late, after the workers had
/// run, and report impossible speeds).
pub fn two_to_two_blocking<Q: MpmcBlocking>(items: u64) -> Duration {
    let items = items & !1;
    let (tx, rx) = Q::make(CAPACITY);
    let ready = Arc::new(Barrier::new(5));
    let mut producers = Vec::new();
    let mut consumers = Vec::new();
    for p in 0..2u64 {
        let (tx, ready) = (tx.clone(), ready.clone());
        producers.push(thread::spawn(move || {
            pin_to(if p == 0 { MAIN_CORE } else { OTHER_CORE });
            ready.wait();
            let start = Instant::now();
            let mut v = p;
            while v < items {
                Q::push(&tx, v);
                v += 2;
            }
            (tx, start, Instant::now())
        }));
    }
    for c in 0..2 {
        let (rx, ready) = (rx.clone(), ready.clone());
        consumers.push(thread::spawn(move || {
            pin_to(if c == 0 { MAIN_CORE } else { OTHER_CORE });
            ready.wait();
            let start = Instant::now();
            let mut check = Check::default();
            for _ in 0..items / 2 {
                check.add(Q::pop(&rx));
            }
            (check, rx, start, Instant::now())
        }));
    }
    ready.wait();
    // Consumers first: once they are done every item is out. The producers' ends
    // are kept until then, so nobody sees a disconnection.
    let mut check = Check::default();
    let mut ends = Vec::new();
    let mut spans = Vec::new();
    for c in consumers {
        let (part, rx, start, end) = c.join().unwrap();
        check = check.merge(part);
        ends.push(rx);
        spans.push((start, end));
    }
    let mut senders = Vec::new();
    for p in producers {
        let (tx, start, end) = p.join().unwrap();
        senders.push(tx);
        spans.push((start, end));
    }
    drop((senders, ends, tx, rx));
    let first = spans.iter().map(|s| s.0).min().expect("four threads");
    let last = spans.iter().map(|s| s.1).max().expect("four threads");
    let t = last - first;
    assert_eq!(check, Check::of_range(items), "lost or duplicated items");
    t
}

/// A workload with the blocking operations, generic over the queue, so one
/// list of contestants serves both ([`blocking_contestants`]).
pub trait BlockingWorkload {
    fn run<Q: MpmcBlocking>(items: u64) -> Duration;
}

/// [`one_to_one_blocking`].
pub struct OneToOneBlocking;
/// [`two_to_two_blocking`].
pub struct TwoToTwoBlocking;

impl BlockingWorkload for OneToOneBlocking {
    fn run<Q: MpmcBlocking>(items: u64) -> Duration {
        one_to_one_blocking::<Q>(items)
    }
}

impl BlockingWorkload for TwoToTwoBlocking {
    fn run<Q: MpmcBlocking>(items: u64) -> Duration {
        two_to_two_blocking::<Q>(items)
    }
}

/// The contestants of blocking workload `W` over `items` items, ringkit's
/// channel first, each reporting M items/s. ArrayQueue, having no blocking
/// operations, spins then yields.
pub fn blocking_contestants<W: BlockingWorkload>(items: u64) -> [Contestant<'static>; 5] {
    [
        Contestant::new("ringkit channel", Kind::Ringkit, move || {
            mips(items, W::run::<Ringkit>(items))
        }),
        Contestant::new("crossbeam ArrayQueue", Kind::Peer, move || {
            mips(items, W::run::<ArrayQueue>(items))
        }),
        Contestant::new("crossbeam-channel", Kind::Peer, move || {
            mips(items, W::run::<CbChannel>(items))
        }),
        Contestant::new("kanal", Kind::Peer, move || {
            mips(items, W::run::<Kanal>(items))
        }),
        Contestant::new("std sync_channel", Kind::Peer, move || {
            mips(items, W::run::<StdSync>(items))
        }),
    ]
}

/// Millions of items per second.
pub fn mips(items: u64, t: Duration) -> f64 {
    items as f64 / t.as_secs_f64() / 1e6
}
