//! Event-flag workload 5 of issue 7: reading a `[u64; 4]` from ringkit's
//! `EventFlag` against crossbeam-utils' `AtomicCell`, `std::sync::RwLock` and
//! `std::sync::Mutex`, with no writer and with a writer on the other core
//! publishing non-stop; the writer's own publish rate while a reader on the
//! other core reads non-stop; and publish-to-waiter wake-up latency against std
//! `Condvar` and `thread::park`.
//!
//! Two passes, as in `spsc.rs`: criterion groups (`event_read_alone`,
//! `event_read_under_writer`), then the alternated comparison, appended to
//! `target/ringkit-bench/results.jsonl`. Same knobs: `RINGKIT_BENCH_ONLY`,
//! `RINGKIT_BENCH_REPS`; `-- --test` runs everything once, tiny, recording nothing.

mod common;

use common::event::{self as w, Cell4, CondvarWake, ParkWake, Payload};
use common::{alternate, median, record, Contestant, Kind};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use crossbeam_utils::atomic::AtomicCell;
use ringkit::event::EventFlag;
use std::hint::black_box;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

fn alone_bench<C: Cell4>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    common::pin_to(common::MAIN_CORE);
    let cell = C::make([3; 4]);
    g.bench_function(name, |b| b.iter(|| black_box(&cell).load()));
}

fn under_writer_bench<C: Cell4>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            // A short window per sample; reported as time per read.
            let window = Duration::from_millis(2);
            let mreads_per_s = w::read_under_writer::<C>(window);
            Duration::from_secs_f64(iters as f64 / (mreads_per_s * 1e6))
        })
    });
}

fn criterion_pass(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_read_alone");
    g.throughput(Throughput::Elements(1));
    alone_bench::<EventFlag<Payload>>(&mut g, "ringkit EventFlag");
    alone_bench::<AtomicCell<Payload>>(&mut g, "AtomicCell");
    alone_bench::<RwLock<Payload>>(&mut g, "RwLock");
    alone_bench::<Mutex<Payload>>(&mut g, "Mutex");
    g.finish();

    let mut g = c.benchmark_group("event_read_under_writer");
    g.throughput(Throughput::Elements(1));
    under_writer_bench::<EventFlag<Payload>>(&mut g, "ringkit EventFlag");
    under_writer_bench::<AtomicCell<Payload>>(&mut g, "AtomicCell");
    under_writer_bench::<RwLock<Payload>>(&mut g, "RwLock");
    under_writer_bench::<Mutex<Payload>>(&mut g, "Mutex");
    g.finish();
}

pub struct Sizes {
    pub reps: usize,
    pub reads: u64,
    pub window: Duration,
    pub wakes: u64,
    pub gap: Duration,
}

fn compare_read_alone(s: &Sizes) -> common::Outcome {
    let n = s.reads;
    let mut cs = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            w::read_alone::<EventFlag<Payload>>(n)
        }),
        Contestant::new("AtomicCell", Kind::Peer, || {
            w::read_alone::<AtomicCell<Payload>>(n)
        }),
        Contestant::new("RwLock", Kind::Peer, || w::read_alone::<RwLock<Payload>>(n)),
        Contestant::new("Mutex", Kind::Peer, || w::read_alone::<Mutex<Payload>>(n)),
    ];
    alternate(
        "event flag read, no writer",
        "ns/read",
        false,
        s.reps,
        &mut cs,
    )
}

fn compare_read_under_writer(s: &Sizes) -> common::Outcome {
    let t = s.window;
    let mut cs = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            w::read_under_writer::<EventFlag<Payload>>(t)
        }),
        Contestant::new("AtomicCell", Kind::Peer, || {
            w::read_under_writer::<AtomicCell<Payload>>(t)
        }),
        Contestant::new("RwLock", Kind::Peer, || {
            w::read_under_writer::<RwLock<Payload>>(t)
        }),
        Contestant::new("Mutex", Kind::Peer, || {
            w::read_under_writer::<Mutex<Payload>>(t)
        }),
    ];
    alternate(
        "event flag read, writer publishing non-stop",
        "M reads/s",
        true,
        s.reps,
        &mut cs,
    )
}

fn compare_write_under_reader(s: &Sizes) -> common::Outcome {
    let t = s.window;
    let mut cs = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            w::write_under_reader::<EventFlag<Payload>>(t)
        }),
        Contestant::new("AtomicCell", Kind::Peer, || {
            w::write_under_reader::<AtomicCell<Payload>>(t)
        }),
        Contestant::new("RwLock", Kind::Peer, || {
            w::write_under_reader::<RwLock<Payload>>(t)
        }),
        Contestant::new("Mutex", Kind::Peer, || {
            w::write_under_reader::<Mutex<Payload>>(t)
        }),
    ];
    alternate(
        "event flag publish, reader reading non-stop",
        "M publishes/s",
        true,
        s.reps,
        &mut cs,
    )
}

fn compare_wake_up(s: &Sizes) -> common::Outcome {
    let (n, gap) = (s.wakes, s.gap);
    // One repetition: the median wake-up of `n` publishes.
    let mut cs = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            median(&w::wake_latency::<EventFlag<u64>>(n, gap))
        }),
        Contestant::new("std Condvar", Kind::Peer, || {
            median(&w::wake_latency::<CondvarWake>(n, gap))
        }),
        Contestant::new("thread::park", Kind::Peer, || {
            median(&w::wake_latency::<ParkWake>(n, gap))
        }),
    ];
    alternate(
        "publish-to-waiter wake-up p50",
        "us",
        false,
        s.reps,
        &mut cs,
    )
}

fn main() {
    let mode = common::BenchMode::from_env();
    let test_mode = mode.test;

    if mode.criterion() {
        common::run_criterion(criterion_pass);
    }

    if mode.compare() {
        let sizes = if test_mode {
            Sizes {
                reps: 1,
                reads: 1_000,
                window: Duration::from_millis(1),
                wakes: 3,
                gap: Duration::from_micros(300),
            }
        } else {
            Sizes {
                reps: common::env_usize("RINGKIT_BENCH_REPS", 31),
                reads: 2_000_000,
                window: Duration::from_millis(20),
                wakes: 50,
                gap: Duration::from_micros(300),
            }
        };
        let m = common::Machine::describe();
        println!(
            "\ncomparison: {} cores, {}, load average {}",
            m.cores, m.cpu, m.load
        );
        let start = Instant::now();
        for o in [
            compare_read_alone(&sizes),
            compare_read_under_writer(&sizes),
            compare_write_under_reader(&sizes),
            compare_wake_up(&sizes),
        ] {
            o.print();
            if let Some((s, met)) = common::target_for(o.workload).and_then(|t| o.check(&t)) {
                println!(
                    "  target: speedup {s:.2}x over its reference -> {}",
                    if met { "met" } else { "missed" }
                );
            }
            if !test_mode {
                record("bench", &o);
            }
        }
        println!("\ncomparison took {:.1} s", start.elapsed().as_secs_f64());
    }
}
