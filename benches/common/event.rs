//! Event-flag workload 5: the cost of reading a `[u64; 4]` value with and without a
//! writer publishing non-stop, and publish-to-waiter wake-up latency.

use super::{pin_to, MAIN_CORE, OTHER_CORE};
use crossbeam_utils::atomic::AtomicCell;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex, RwLock};
use std::thread;
use std::time::{Duration, Instant};

pub type Payload = [u64; 4];

/// A cell holding the newest `[u64; 4]`: one writer stores, readers load.
pub trait Cell4: Send + Sync + 'static {
    fn make(v: Payload) -> Self;
    fn load(&self) -> Payload;
    fn store(&self, v: Payload);
}

impl Cell4 for ringkit::event::EventFlag<Payload> {
    fn make(v: Payload) -> Self {
        ringkit::event::EventFlag::new(v)
    }
    #[inline(always)]
    fn load(&self) -> Payload {
        self.read().1
    }
    #[inline(always)]
    fn store(&self, v: Payload) {
        self.publish(v);
    }
}

impl Cell4 for AtomicCell<Payload> {
    fn make(v: Payload) -> Self {
        AtomicCell::new(v)
    }
    #[inline(always)]
    fn load(&self) -> Payload {
        AtomicCell::load(self)
    }
    #[inline(always)]
    fn store(&self, v: Payload) {
        AtomicCell::store(self, v)
    }
}

impl Cell4 for RwLock<Payload> {
    fn make(v: Payload) -> Self {
        RwLock::new(v)
    }
    #[inline(always)]
    fn load(&self) -> Payload {
        *self.read().unwrap()
    }
    #[inline(always)]
    fn store(&self, v: Payload) {
        *self.write().unwrap() = v;
    }
}

impl Cell4 for Mutex<Payload> {
    fn make(v: Payload) -> Self {
        Mutex::new(v)
    }
    #[inline(always)]
    fn load(&self) -> Payload {
        *self.lock().unwrap()
    }
    #[inline(always)]
    fn store(&self, v: Payload) {
        *self.lock().unwrap() = v;
    }
}

/// Every published value has four equal words, so a torn read shows.
#[inline(always)]
fn check(v: Payload) {
    assert!(
        v[0] == v[1] && v[1] == v[2] && v[2] == v[3],
        "torn read: {v:?}"
    );
}

/// Nanoseconds per read of an uncontended cell, `reads` reads on one thread.
pub fn read_alone<C: Cell4>(reads: u64) -> f64 {
    pin_to(MAIN_CORE);
    let cell = C::make([7; 4]);
    let cell = black_box(&cell);
    let start = Instant::now();
    for _ in 0..reads {
        check(black_box(cell.load()));
    }
    start.elapsed().as_nanos() as f64 / reads as f64
}

/// Million reads a second while a writer on the other core stores new values
/// back to back. Reads for `window` (checking the clock every 256 reads), so a
/// starved reader still finishes on time.
pub fn read_under_writer<C: Cell4>(window: Duration) -> f64 {
    let cell = Arc::new(C::make([0; 4]));
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Barrier::new(2));
    let writer = {
        let (cell, stop, ready) = (cell.clone(), stop.clone(), ready.clone());
        thread::spawn(move || {
            pin_to(OTHER_CORE);
            ready.wait();
            let mut i = 1u64;
            while !stop.load(Ordering::Relaxed) {
                cell.store([i; 4]);
                i += 1;
            }
            i
        })
    };
    pin_to(MAIN_CORE);
    ready.wait();
    let start = Instant::now();
    let mut reads = 0u64;
    let elapsed = loop {
        for _ in 0..256 {
            check(black_box(cell.load()));
        }
        reads += 256;
        let e = start.elapsed();
        if e >= window {
            break e;
        }
    };
    stop.store(true, Ordering::Relaxed);
    black_box(writer.join().unwrap());
    reads as f64 / elapsed.as_secs_f64() / 1e6
}

/// Million publishes a second by a writer on this core while a reader on the
/// other core loads the cell back to back: the writer's side of
/// `read_under_writer`. Publishes for `window` (checking the clock every 256
/// publishes); the reader checks every value it sees for tearing.
pub fn write_under_reader<C: Cell4>(window: Duration) -> f64 {
    let cell = Arc::new(C::make([0; 4]));
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Barrier::new(2));
    let reader = {
        let (cell, stop, ready) = (cell.clone(), stop.clone(), ready.clone());
        thread::spawn(move || {
            pin_to(OTHER_CORE);
            ready.wait();
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                check(black_box(cell.load()));
                reads += 1;
            }
            reads
        })
    };
    pin_to(MAIN_CORE);
    ready.wait();
    let start = Instant::now();
    let mut i = 1u64;
    let elapsed = loop {
        for _ in 0..256 {
            cell.store([i; 4]);
            i += 1;
        }
        let e = start.elapsed();
        if e >= window {
            break e;
        }
    };
    stop.store(true, Ordering::Relaxed);
    black_box(reader.join().unwrap());
    (i - 1) as f64 / elapsed.as_secs_f64() / 1e6
}

/// How a waiter is woken: one implementation per contestant.
pub trait Wake: Send + Sync + 'static {
    fn make() -> Self;
    /// Blocks until a generation newer than `seen` is published; returns it and
    /// the publisher's timestamp (nanoseconds since the run's base instant).
    fn wait(&self, seen: u64) -> (u64, u64);
    /// Publishes generation `gen` with timestamp `t`.
    fn publish(&self, gen: u64, t: u64);
    /// Called by the waiter once before the first wait (for `thread::park`).
    fn register(&self) {}
}

impl Wake for ringkit::event::EventFlag<u64> {
    fn make() -> Self {
        ringkit::event::EventFlag::new(0)
    }
    fn wait(&self, seen: u64) -> (u64, u64) {
        self.wait_newer(seen)
    }
    fn publish(&self, _gen: u64, t: u64) {
        // The flag numbers generations itself: publish number n is generation n.
        ringkit::event::EventFlag::publish(self, t);
    }
}

/// std `Mutex` + `Condvar`, the textbook wait for news.
pub struct CondvarWake {
    state: Mutex<(u64, u64)>,
    cv: Condvar,
}

impl Wake for CondvarWake {
    fn make() -> Self {
        CondvarWake {
            state: Mutex::new((0, 0)),
            cv: Condvar::new(),
        }
    }
    fn wait(&self, seen: u64) -> (u64, u64) {
        let g = self
            .cv
            .wait_while(self.state.lock().unwrap(), |s| s.0 <= seen)
            .unwrap();
        *g
    }
    fn publish(&self, gen: u64, t: u64) {
        *self.state.lock().unwrap() = (gen, t);
        self.cv.notify_all();
    }
}

/// Two atomics and `thread::park`/`unpark`.
pub struct ParkWake {
    gen: AtomicU64,
    t: AtomicU64,
    waiter: Mutex<Option<thread::Thread>>,
}

impl Wake for ParkWake {
    fn make() -> Self {
        ParkWake {
            gen: AtomicU64::new(0),
            t: AtomicU64::new(0),
            waiter: Mutex::new(None),
        }
    }
    fn register(&self) {
        *self.waiter.lock().unwrap() = Some(thread::current());
    }
    fn wait(&self, seen: u64) -> (u64, u64) {
        loop {
            let g = self.gen.load(Ordering::Acquire);
            if g > seen {
                return (g, self.t.load(Ordering::Relaxed));
            }
            thread::park();
        }
    }
    fn publish(&self, gen: u64, t: u64) {
        self.t.store(t, Ordering::Relaxed);
        self.gen.store(gen, Ordering::Release);
        if let Some(w) = &*self.waiter.lock().unwrap() {
            w.unpark();
        }
    }
}

/// Microseconds from `publish` to the waiter returning from its wait, for
/// `wakes` wake-ups, each after `gap` so that the waiter is asleep (past any
/// spin phase) when the publish comes.
pub fn wake_latency<W: Wake>(wakes: u64, gap: Duration) -> Vec<f64> {
    let base = Instant::now();
    let flag = Arc::new(W::make());
    let ready = Arc::new(Barrier::new(2));
    let waiter = {
        let (flag, ready) = (flag.clone(), ready.clone());
        thread::spawn(move || {
            pin_to(OTHER_CORE);
            flag.register();
            ready.wait();
            let mut seen = 0;
            let mut lat = Vec::with_capacity(wakes as usize);
            while seen < wakes {
                let (gen, t) = flag.wait(seen);
                let now = base.elapsed().as_nanos() as u64;
                lat.push(now.saturating_sub(t) as f64 / 1e3);
                seen = gen;
            }
            lat
        })
    };
    pin_to(MAIN_CORE);
    ready.wait();
    for gen in 1..=wakes {
        thread::sleep(gap);
        flag.publish(gen, base.elapsed().as_nanos() as u64);
    }
    waiter.join().unwrap()
}
