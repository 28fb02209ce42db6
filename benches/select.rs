//! Select over 2 and 8 channels: ringkit's `select::Selector` over
//! `mpmc::channel` receivers against crossbeam-channel's `Select` over
//! `bounded` receivers (capacity 1024, u64 items), in the same run:
//! * same thread: push one item into every channel, then select and receive
//!   them all (the cost of a select that finds a source ready: no wake-ups);
//! * producer thread: one producer pushes round-robin into the channels
//!   (blocking pushes), one consumer selects (blocking) and receives, pinned
//!   to different cores; the consumer parks whenever it catches up.
//!
//! ringkit returns an index and the consumer pops with `try_pop`; crossbeam's
//! `select` returns an operation that the consumer completes with `recv`. Both
//! are the idiomatic single-receive loop of each crate. Each side's selector
//! is built once per repetition and reused.
//!
//! Two passes, as in the other benches: criterion groups (`select_same_thread`,
//! `select_producer_thread`), then the comparison: repetitions alternated,
//! medians with min/max and the ratio to crossbeam printed and appended to
//! `target/ringkit-bench/results.jsonl`.
//!
//! Knobs: `RINGKIT_BENCH_ONLY=criterion|compare`, `RINGKIT_BENCH_REPS`
//! (default 21). `cargo bench -p ringkit-benches --bench select -- --test` runs
//! everything once, tiny, recording nothing.

mod common;

use common::{alternate, pin_to, record, Contestant, Kind, MAIN_CORE, OTHER_CORE};
use criterion::{Criterion, Throughput};
use ringkit::select::{Selector, Source};
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const CAPACITY: usize = 1024;
/// Items per criterion iteration.
const ITEMS_PER_ITER: u64 = 1024;

const SAME_THREAD_2: &str = "select over 2 channels, same thread";
const SAME_THREAD_8: &str = "select over 8 channels, same thread";
const PRODUCER_2: &str = "select over 2 channels, producer thread";
const PRODUCER_8: &str = "select over 8 channels, producer thread";

/// `items` items (rounded down to a multiple of `k`): `k` pushes, then `k`
/// selects and receives, over and over; ringkit.
fn same_thread_ringkit(k: usize, items: u64) -> Duration {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..k)
        .map(|_| ringkit::mpmc::channel::<u64>(CAPACITY))
        .unzip();
    let sources: Vec<&dyn Source> = rxs.iter().map(|r| r as &dyn Source).collect();
    let mut selector = Selector::new();
    let rounds = items / k as u64;
    let mut sum = 0;
    let start = Instant::now();
    for r in 0..rounds {
        for tx in &txs {
            tx.try_push(r).unwrap();
        }
        for _ in 0..k {
            let i = selector.select(&sources);
            sum += rxs[i].try_pop().unwrap();
        }
    }
    let took = start.elapsed();
    black_box(sum);
    took
}

/// The same with crossbeam-channel.
fn same_thread_crossbeam(k: usize, items: u64) -> Duration {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..k)
        .map(|_| crossbeam_channel::bounded::<u64>(CAPACITY))
        .unzip();
    let mut select = crossbeam_channel::Select::new();
    for rx in &rxs {
        select.recv(rx);
    }
    let rounds = items / k as u64;
    let mut sum = 0;
    let start = Instant::now();
    for r in 0..rounds {
        for tx in &txs {
            tx.try_send(r).unwrap();
        }
        for _ in 0..k {
            let op = select.select();
            let i = op.index();
            sum += op.recv(&rxs[i]).unwrap();
        }
    }
    let took = start.elapsed();
    black_box(sum);
    took
}

/// One producer thread pushes `items` items round-robin into `k` channels; the
/// calling thread selects and receives them all; ringkit.
fn producer_ringkit(k: usize, items: u64) -> Duration {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..k)
        .map(|_| ringkit::mpmc::channel::<u64>(CAPACITY))
        .unzip();
    let ready = Arc::new(Barrier::new(2));
    let r2 = ready.clone();
    let producer = std::thread::spawn(move || {
        pin_to(OTHER_CORE);
        r2.wait();
        for i in 0..items {
            txs[(i % k as u64) as usize].push(i).unwrap();
        }
        txs // connected until the consumer is done
    });
    pin_to(MAIN_CORE);
    let sources: Vec<&dyn Source> = rxs.iter().map(|r| r as &dyn Source).collect();
    let mut selector = Selector::new();
    let mut sum = 0;
    ready.wait();
    let start = Instant::now();
    for _ in 0..items {
        let i = selector.select(&sources);
        sum += rxs[i].try_pop().unwrap();
    }
    let took = start.elapsed();
    drop(producer.join().unwrap());
    assert_eq!(sum, items * items.saturating_sub(1) / 2);
    took
}

/// The same with crossbeam-channel.
fn producer_crossbeam(k: usize, items: u64) -> Duration {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..k)
        .map(|_| crossbeam_channel::bounded::<u64>(CAPACITY))
        .unzip();
    let ready = Arc::new(Barrier::new(2));
    let r2 = ready.clone();
    let producer = std::thread::spawn(move || {
        pin_to(OTHER_CORE);
        r2.wait();
        for i in 0..items {
            txs[(i % k as u64) as usize].send(i).unwrap();
        }
        txs
    });
    pin_to(MAIN_CORE);
    let mut select = crossbeam_channel::Select::new();
    for rx in &rxs {
        select.recv(rx);
    }
    let mut sum = 0;
    ready.wait();
    let start = Instant::now();
    for _ in 0..items {
        let op = select.select();
        let i = op.index();
        sum += op.recv(&rxs[i]).unwrap();
    }
    let took = start.elapsed();
    drop(producer.join().unwrap());
    assert_eq!(sum, items * items.saturating_sub(1) / 2);
    took
}

fn mips(items: u64, took: Duration) -> f64 {
    items as f64 / took.as_secs_f64() / 1e6
}

fn criterion_pass(c: &mut Criterion) {
    let mut g = c.benchmark_group("select_same_thread");
    g.throughput(Throughput::Elements(ITEMS_PER_ITER));
    for k in [2, 8] {
        g.bench_function(format!("ringkit Selector, {k} channels"), |b| {
            b.iter_custom(|iters| same_thread_ringkit(k, iters * ITEMS_PER_ITER))
        });
        g.bench_function(format!("crossbeam-channel Select, {k} channels"), |b| {
            b.iter_custom(|iters| same_thread_crossbeam(k, iters * ITEMS_PER_ITER))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("select_producer_thread");
    g.throughput(Throughput::Elements(ITEMS_PER_ITER));
    for k in [2, 8] {
        g.bench_function(format!("ringkit Selector, {k} channels"), |b| {
            b.iter_custom(|iters| producer_ringkit(k, iters * ITEMS_PER_ITER))
        });
        g.bench_function(format!("crossbeam-channel Select, {k} channels"), |b| {
            b.iter_custom(|iters| producer_crossbeam(k, iters * ITEMS_PER_ITER))
        });
    }
    g.finish();
}

fn compare(
    workload: &'static str,
    reps: usize,
    items: u64,
    ringkit: fn(usize, u64) -> Duration,
    crossbeam: fn(usize, u64) -> Duration,
    k: usize,
) -> common::Outcome {
    let mut cs = [
        Contestant::new("ringkit Selector", Kind::Ringkit, || {
            mips(items, ringkit(k, items))
        }),
        Contestant::new("crossbeam-channel Select", Kind::Peer, || {
            mips(items, crossbeam(k, items))
        }),
    ];
    alternate(workload, "M items/s", true, reps, &mut cs)
}

fn main() {
    let mode = common::BenchMode::from_env();
    let test_mode = mode.test;

    if mode.criterion() {
        common::run_criterion(criterion_pass);
    }

    if mode.compare() {
        let (reps, same, threaded) = if test_mode {
            (1, 8_000, 8_000)
        } else {
            (
                common::env_usize("RINGKIT_BENCH_REPS", 21),
                2_000_000,
                400_000,
            )
        };
        let m = common::Machine::describe();
        println!(
            "\ncomparison: {} cores, {}, load average {}",
            m.cores, m.cpu, m.load
        );
        for o in [
            compare(
                SAME_THREAD_2,
                reps,
                same,
                same_thread_ringkit,
                same_thread_crossbeam,
                2,
            ),
            compare(
                SAME_THREAD_8,
                reps,
                same,
                same_thread_ringkit,
                same_thread_crossbeam,
                8,
            ),
            compare(
                PRODUCER_2,
                reps,
                threaded,
                producer_ringkit,
                producer_crossbeam,
                2,
            ),
            compare(
                PRODUCER_8,
                reps,
                threaded,
                producer_ringkit,
                producer_crossbeam,
                8,
            ),
        ] {
            o.print();
            if !test_mode {
                record("bench", &o);
            }
        }
    }
}
