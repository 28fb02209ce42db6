//! SPSC workloads 1-3, generic over the ring under test. Every run moves `u64`
//! items through a ring of `CAPACITY` slots between two pinned threads: the
//! producer (or echo) on `OTHER_CORE`, the consumer (or pinger) on `MAIN_CORE`.

use super::{pin_to, MAIN_CORE, OTHER_CORE};
use std::hint::{black_box, spin_loop};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

pub const CAPACITY: usize = 1024;
pub const CHUNK: usize = 64;

/// A single-producer single-consumer ring of `u64`, as the workloads use it.
pub trait Spsc {
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Pushes `v`; false if the ring is full.
    fn try_push(tx: &mut Self::Tx, v: u64) -> bool;
    fn try_pop(rx: &mut Self::Rx) -> Option<u64>;
}

/// A ring with a chunk or slice API.
pub trait SpscChunks: Spsc {
    /// Pushes the `n` items `next..next + n` (all, or as many as fit, as the API
    /// does); returns how many went in.
    fn push_chunk(tx: &mut Self::Tx, next: u64, n: usize) -> usize;
    /// Pops up to `n` items (all `n` or none for an all-or-nothing API), adding them
    /// to `sum`; returns how many came out.
    fn pop_chunk(rx: &mut Self::Rx, n: usize, sum: &mut u64) -> usize;
}

pub struct Ringkit;
/// ringkit's stamped ring (`spsc::stamped`): try operations only, `Copy` items.
pub struct RingkitStamped;
pub struct Rtrb;
pub struct Ringbuf;
pub struct Nexus;
pub struct ArrayQueue;

impl Spsc for Ringkit {
    type Tx = ringkit::spsc::Producer<u64>;
    type Rx = ringkit::spsc::Consumer<u64>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        ringkit::spsc::channel(capacity)
    }
    #[inline(always)]
    fn try_push(tx: &mut Self::Tx, v: u64) -> bool {
        tx.try_push(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.try_pop().ok()
    }
}

impl Spsc for RingkitStamped {
    type Tx = ringkit::spsc::stamped::Producer<u64>;
    type Rx = ringkit::spsc::stamped::Consumer<u64>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        ringkit::spsc::stamped::channel(capacity)
    }
    #[inline(always)]
    fn try_push(tx: &mut Self::Tx, v: u64) -> bool {
        tx.try_push(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.try_pop().ok()
    }
}

impl SpscChunks for Ringkit {
    #[inline(always)]
    fn push_chunk(tx: &mut Self::Tx, next: u64, n: usize) -> usize {
        match tx.write_chunk_uninit(n) {
            Ok(chunk) => chunk.fill_from_iter(next..next + n as u64),
            Err(_) => 0,
        }
    }
    #[inline(always)]
    fn pop_chunk(rx: &mut Self::Rx, n: usize, sum: &mut u64) -> usize {
        match rx.read_chunk(n) {
            Ok(chunk) => {
                let (a, b) = chunk.as_slices();
                *sum = a.iter().chain(b).fold(*sum, |s, &v| s.wrapping_add(v));
                chunk.commit_all();
                n
            }
            Err(_) => 0,
        }
    }
}

impl Spsc for Rtrb {
    type Tx = rtrb::Producer<u64>;
    type Rx = rtrb::Consumer<u64>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        rtrb::RingBuffer::new(capacity)
    }
    #[inline(always)]
    fn try_push(tx: &mut Self::Tx, v: u64) -> bool {
        tx.push(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop().ok()
    }
}

impl SpscChunks for Rtrb {
    #[inline(always)]
    fn push_chunk(tx: &mut Self::Tx, next: u64, n: usize) -> usize {
        match tx.write_chunk_uninit(n) {
            Ok(chunk) => chunk.fill_from_iter(next..next + n as u64),
            Err(_) => 0,
        }
    }
    #[inline(always)]
    fn pop_chunk(rx: &mut Self::Rx, n: usize, sum: &mut u64) -> usize {
        match rx.read_chunk(n) {
            Ok(chunk) => {
                let (a, b) = chunk.as_slices();
                *sum = a.iter().chain(b).fold(*sum, |s, &v| s.wrapping_add(v));
                chunk.commit_all();
                n
            }
            Err(_) => 0,
        }
    }
}

impl Spsc for Ringbuf {
    type Tx = ringbuf::HeapProd<u64>;
    type Rx = ringbuf::HeapCons<u64>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        use ringbuf::traits::Split;
        ringbuf::HeapRb::new(capacity).split()
    }
    #[inline(always)]
    fn try_push(tx: &mut Self::Tx, v: u64) -> bool {
        use ringbuf::traits::Producer;
        tx.try_push(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        use ringbuf::traits::Consumer;
        rx.try_pop()
    }
}

impl SpscChunks for Ringbuf {
    #[inline(always)]
    fn push_chunk(tx: &mut Self::Tx, next: u64, n: usize) -> usize {
        use ringbuf::traits::Producer;
        let mut buf = [0u64; CHUNK];
        let n = n.min(CHUNK);
        for (k, slot) in buf[..n].iter_mut().enumerate() {
            *slot = next + k as u64;
        }
        tx.push_slice(&buf[..n])
    }
    #[inline(always)]
    fn pop_chunk(rx: &mut Self::Rx, n: usize, sum: &mut u64) -> usize {
        use ringbuf::traits::Consumer;
        let mut buf = [0u64; CHUNK];
        let got = rx.pop_slice(&mut buf[..n.min(CHUNK)]);
        *sum = buf[..got].iter().fold(*sum, |s, &v| s.wrapping_add(v));
        got
    }
}

impl Spsc for Nexus {
    type Tx = nexus_queue::spsc::Producer<u64>;
    type Rx = nexus_queue::spsc::Consumer<u64>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        nexus_queue::spsc::ring_buffer(capacity)
    }
    #[inline(always)]
    fn try_push(tx: &mut Self::Tx, v: u64) -> bool {
        tx.push(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop()
    }
}

impl Spsc for ArrayQueue {
    type Tx = Arc<crossbeam_queue::ArrayQueue<u64>>;
    type Rx = Arc<crossbeam_queue::ArrayQueue<u64>>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        let q = Arc::new(crossbeam_queue::ArrayQueue::new(capacity));
        (q.clone(), q)
    }
    #[inline(always)]
    fn try_push(tx: &mut Self::Tx, v: u64) -> bool {
        tx.push(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop()
    }
}

/// Workload 1: moves `items` items one push and one pop at a time, both sides
/// spinning on full/empty. Returns the time from both threads being ready to the
/// last pop.
pub fn per_item<R: Spsc>(items: u64) -> Duration {
    let (mut tx, mut rx) = R::channel(CAPACITY);
    let ready = Arc::new(Barrier::new(2));
    let r2 = ready.clone();
    let producer = thread::spawn(move || {
        pin_to(OTHER_CORE);
        r2.wait();
        for i in 0..items {
            while !R::try_push(&mut tx, i) {
                spin_loop();
            }
        }
    });
    pin_to(MAIN_CORE);
    ready.wait();
    let start = Instant::now();
    let mut sum = 0u64;
    let mut got = 0;
    while got < items {
        if let Some(v) = R::try_pop(&mut rx) {
            sum = sum.wrapping_add(v);
            got += 1;
        } else {
            spin_loop();
        }
    }
    let t = start.elapsed();
    producer.join().unwrap();
    assert_eq!(
        sum,
        items * items.wrapping_sub(1) / 2,
        "lost or duplicated items"
    );
    t
}

/// Workload 2: moves `items` items (a multiple of `CHUNK` is best) in chunks of
/// `CHUNK` through the ring's chunk or slice API, spinning while there is no room
/// or nothing to read.
pub fn chunked<R: SpscChunks>(items: u64) -> Duration {
    let (mut tx, mut rx) = R::channel(CAPACITY);
    let ready = Arc::new(Barrier::new(2));
    let r2 = ready.clone();
    let producer = thread::spawn(move || {
        pin_to(OTHER_CORE);
        r2.wait();
        let mut next = 0u64;
        while next < items {
            let n = (items - next).min(CHUNK as u64) as usize;
            let pushed = R::push_chunk(&mut tx, next, n);
            next += pushed as u64;
            if pushed == 0 {
                spin_loop();
            }
        }
    });
    pin_to(MAIN_CORE);
    ready.wait();
    let start = Instant::now();
    let mut sum = 0u64;
    let mut got = 0u64;
    while got < items {
        let n = (items - got).min(CHUNK as u64) as usize;
        let popped = R::pop_chunk(&mut rx, n, &mut sum);
        got += popped as u64;
        if popped == 0 {
            spin_loop();
        }
    }
    let t = start.elapsed();
    producer.join().unwrap();
    assert_eq!(
        sum,
        items * items.wrapping_sub(1) / 2,
        "lost or duplicated items"
    );
    t
}

/// Workload 3: `batches` batches of `per_batch` round trips (a ping over one ring,
/// the echo over another). Returns the mean nanoseconds per round trip of each
/// batch: one clock read per batch, never per round trip.
pub fn round_trip<R: Spsc>(batches: usize, per_batch: u64) -> Vec<f64> {
    let (mut ping_tx, mut ping_rx) = R::channel(CAPACITY);
    let (mut pong_tx, mut pong_rx) = R::channel(CAPACITY);
    let total = batches as u64 * per_batch;
    let ready = Arc::new(Barrier::new(2));
    let r2 = ready.clone();
    let echo = thread::spawn(move || {
        pin_to(OTHER_CORE);
        r2.wait();
        for _ in 0..total {
            let v = loop {
                if let Some(v) = R::try_pop(&mut ping_rx) {
                    break v;
                }
                spin_loop();
            };
            while !R::try_push(&mut pong_tx, v) {
                spin_loop();
            }
        }
    });
    pin_to(MAIN_CORE);
    ready.wait();
    let mut out = Vec::with_capacity(batches);
    let mut i = 0u64;
    for _ in 0..batches {
        let start = Instant::now();
        for _ in 0..per_batch {
            while !R::try_push(&mut ping_tx, i) {
                spin_loop();
            }
            let v = loop {
                if let Some(v) = R::try_pop(&mut pong_rx) {
                    break v;
                }
                spin_loop();
            };
            debug_assert_eq!(v, i);
            black_box(v);
            i += 1;
        }
        out.push(start.elapsed().as_nanos() as f64 / per_batch as f64);
    }
    echo.join().unwrap();
    out
}

/// The physical floor of workload 3: one `AtomicU64` bounced between the two
/// threads (odd values from the pinger, even ones from the echo), timed like
/// [`round_trip`].
pub fn atomic_round_trip(batches: usize, per_batch: u64) -> Vec<f64> {
    let cell = Arc::new(AtomicU64::new(0));
    let c2 = cell.clone();
    let total = batches as u64 * per_batch;
    let ready = Arc::new(Barrier::new(2));
    let r2 = ready.clone();
    let echo = thread::spawn(move || {
        pin_to(OTHER_CORE);
        r2.wait();
        for i in 0..total {
            while c2.load(Ordering::Acquire) != 2 * i + 1 {
                spin_loop();
            }
            c2.store(2 * i + 2, Ordering::Release);
        }
    });
    pin_to(MAIN_CORE);
    ready.wait();
    let mut out = Vec::with_capacity(batches);
    let mut i = 0u64;
    for _ in 0..batches {
        let start = Instant::now();
        for _ in 0..per_batch {
            cell.store(2 * i + 1, Ordering::Release);
            while cell.load(Ordering::Acquire) != 2 * i + 2 {
                spin_loop();
            }
            i += 1;
        }
        out.push(start.elapsed().as_nanos() as f64 / per_batch as f64);
    }
    echo.join().unwrap();
    out
}

/// Million items a second.
pub fn mips(items: u64, t: Duration) -> f64 {
    items as f64 / t.as_secs_f64() / 1e6
}
