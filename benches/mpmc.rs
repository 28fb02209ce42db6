//! MPMC throughput, ringkit's Queue against crossbeam-queue's ArrayQueue in the
//! same run: one producer thread and one consumer thread, u64 items, capacity 1024,
//! `try_` operations retried with a spin hint. Each iteration moves `BATCH` items.
//!
//! Quick run (noisy shared machines): `cargo bench --bench mpmc -- --warm-up-time 1
//! --measurement-time 2`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::spin_loop;
use std::sync::Arc;
use std::thread;

const CAP: usize = 1024;
const BATCH: u64 = 100_000;

/// The operations a contestant offers, try-and-spin style.
trait Contestant: Send + Sync + 'static {
    const NAME: &'static str;
    fn make() -> Self;
    fn push(&self, v: u64) -> bool;
    fn pop(&self) -> Option<u64>;
}

impl Contestant for ringkit::mpmc::Queue<u64> {
    const NAME: &'static str = "ringkit_Queue";
    fn make() -> Self {
        Self::new(CAP)
    }
    #[inline]
    fn push(&self, v: u64) -> bool {
        self.try_push(v).is_ok()
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        self.try_pop()
    }
}

impl Contestant for crossbeam_queue::ArrayQueue<u64> {
    const NAME: &'static str = "crossbeam_ArrayQueue";
    fn make() -> Self {
        Self::new(CAP)
    }
    #[inline]
    fn push(&self, v: u64) -> bool {
        self.push(v).is_ok()
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        crossbeam_queue::ArrayQueue::pop(self)
    }
}

/// Moves `BATCH` items from a producer thread to this thread; returns their sum so
/// nothing is optimised away.
fn run_1p1c<Q: Contestant>(q: &Arc<Q>) -> u64 {
    let producer = {
        let q = q.clone();
        thread::spawn(move || {
            for i in 0..BATCH {
                while !q.push(i) {
                    spin_loop();
                }
            }
        })
    };
    let mut sum = 0;
    for _ in 0..BATCH {
        loop {
            if let Some(v) = q.pop() {
                sum += v;
                break;
            }
            spin_loop();
        }
    }
    producer.join().unwrap();
    sum
}

fn mpmc_1p1c(c: &mut Criterion) {
    let mut g = c.benchmark_group("mpmc_1p1c_u64_cap1024");
    g.throughput(Throughput::Elements(BATCH));
    // Alternate the contestants so that drifting machine load hits both alike.
    for round in 0..3 {
        bench_one::<ringkit::mpmc::Queue<u64>>(&mut g, round);
        bench_one::<crossbeam_queue::ArrayQueue<u64>>(&mut g, round);
    }
    g.finish();
}

fn bench_one<Q: Contestant>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    round: u32,
) {
    let q = Arc::new(Q::make());
    g.bench_with_input(BenchmarkId::new(Q::NAME, round), &round, |b, _| {
        b.iter(|| run_1p1c(&q))
    });
}

/// Push then pop on one thread: the uncontended cost of one operation pair, far
/// less sensitive to a busy machine than the two-thread run.
fn mpmc_same_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("mpmc_same_thread_u64_cap1024");
    g.throughput(Throughput::Elements(1));
    for round in 0..2 {
        same_thread_one::<ringkit::mpmc::Queue<u64>>(&mut g, round);
        same_thread_one::<crossbeam_queue::ArrayQueue<u64>>(&mut g, round);
    }
    g.finish();
}

fn same_thread_one<Q: Contestant>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    round: u32,
) {
    let q = Q::make();
    g.bench_with_input(BenchmarkId::new(Q::NAME, round), &round, |b, _| {
        b.iter(|| {
            assert!(q.push(std::hint::black_box(1)));
            q.pop().unwrap()
        })
    });
}

criterion_group!(benches, mpmc_1p1c, mpmc_same_thread);
criterion_main!(benches);
