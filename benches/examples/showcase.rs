//! ringkit's showcase: ringkit side by side with the crates latency-critical code
//! uses today, measured in the same run on this machine, in one table.
//! Run it with `cargo run --release -p ringkit-benches --example showcase` (about
//! half a minute).
//!
//! It runs short versions of the benches' workloads (the bench files next to
//! `examples/`): contestants alternate within each workload, each number is a
//! median of short repetitions.
//! Every loop is bounded, so a busy machine makes it slower and noisier, never
//! stuck. Results are also appended to `target/ringkit-bench/results.jsonl`.

#[path = "../common/mod.rs"]
mod common;

use common::event::{self as ev, CondvarWake, ParkWake, Payload};
use common::mpmc::{self as mp, CbChannel, Kanal, StdSync};
use common::spsc::{self as sp, ArrayQueue, Nexus, Ringbuf, Ringkit, RingkitStamped, Rtrb};
use common::{alternate, median, Contestant, Kind, Outcome, Versus};
use crossbeam_utils::atomic::AtomicCell;
use ringkit::event::EventFlag;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

const REPS: usize = 15;

fn spsc_outcomes() -> Vec<Outcome> {
    let n = 300_000;
    let mut per_item = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            sp::mips(n, sp::per_item::<Ringkit>(n))
        }),
        Contestant::new("ringkit stamped", Kind::Ringkit, || {
            sp::mips(n, sp::per_item::<RingkitStamped>(n))
        }),
        Contestant::new("rtrb", Kind::Peer, || sp::mips(n, sp::per_item::<Rtrb>(n))),
        Contestant::new("ringbuf", Kind::Peer, || {
            sp::mips(n, sp::per_item::<Ringbuf>(n))
        }),
        Contestant::new("nexus-queue", Kind::Peer, || {
            sp::mips(n, sp::per_item::<Nexus>(n))
        }),
        Contestant::new("crossbeam ArrayQueue", Kind::Peer, || {
            sp::mips(n, sp::per_item::<ArrayQueue>(n))
        }),
    ];
    let per_item = alternate(
        "SPSC per-item throughput",
        "M items/s",
        true,
        REPS,
        &mut per_item,
    );

    let n = 1_000_000;
    let mut chunked = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            sp::mips(n, sp::chunked::<Ringkit>(n))
        }),
        Contestant::new("rtrb", Kind::Peer, || sp::mips(n, sp::chunked::<Rtrb>(n))),
        Contestant::new("ringbuf", Kind::Peer, || {
            sp::mips(n, sp::chunked::<Ringbuf>(n))
        }),
    ];
    let chunked = alternate(
        "SPSC batched (64) throughput",
        "M items/s",
        true,
        REPS,
        &mut chunked,
    );

    let (b, p) = (20, 500);
    let mut rt = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            median(&sp::round_trip::<Ringkit>(b, p))
        }),
        Contestant::new("ringkit stamped", Kind::Ringkit, || {
            median(&sp::round_trip::<RingkitStamped>(b, p))
        }),
        Contestant::new("rtrb", Kind::Peer, || median(&sp::round_trip::<Rtrb>(b, p))),
        Contestant::new("ringbuf", Kind::Peer, || {
            median(&sp::round_trip::<Ringbuf>(b, p))
        }),
        Contestant::new("nexus-queue", Kind::Peer, || {
            median(&sp::round_trip::<Nexus>(b, p))
        }),
        Contestant::new("crossbeam ArrayQueue", Kind::Peer, || {
            median(&sp::round_trip::<ArrayQueue>(b, p))
        }),
        Contestant::new("floor: bare AtomicU64", Kind::Floor, || {
            median(&sp::atomic_round_trip(b, p))
        }),
    ];
    let rt = alternate("SPSC round trip p50", "ns", false, REPS, &mut rt);
    vec![per_item, chunked, rt]
}

/// Issue 7 workload 4: 1P1C try-and-spin (ringkit `mpmc::Queue` and the channel's
/// try operations), 1P1C and 2P2C with the blocking operations (ringkit
/// `mpmc::channel`; ArrayQueue spins then yields, having no blocking operations),
/// 2P2C oversubscribed on a 2-core machine.
fn mpmc_outcomes() -> Vec<Outcome> {
    let n = 200_000;
    let mut one = [
        Contestant::new("ringkit Queue", Kind::Ringkit, || {
            mp::mips(n, mp::one_to_one::<mp::Ringkit>(n))
        }),
        Contestant::new("ringkit channel", Kind::Ringkit, || {
            mp::mips(n, mp::one_to_one::<mp::RingkitChannel>(n))
        }),
        Contestant::new("crossbeam ArrayQueue", Kind::Peer, || {
            mp::mips(n, mp::one_to_one::<mp::ArrayQueue>(n))
        }),
        Contestant::new("crossbeam-channel", Kind::Peer, || {
            mp::mips(n, mp::one_to_one::<CbChannel>(n))
        }),
        Contestant::new("kanal", Kind::Peer, || {
            mp::mips(n, mp::one_to_one::<Kanal>(n))
        }),
        Contestant::new("std sync_channel", Kind::Peer, || {
            mp::mips(n, mp::one_to_one::<StdSync>(n))
        }),
    ];
    let one = alternate(common::MPMC_1P1C, "M items/s", true, REPS, &mut one);

    let mut one_blocking = mp::blocking_contestants::<mp::OneToOneBlocking>(n);
    let one_blocking = alternate(
        common::MPMC_1P1C_BLOCKING,
        "M items/s",
        true,
        REPS,
        &mut one_blocking,
    );

    let n = 100_000;
    let mut two = mp::blocking_contestants::<mp::TwoToTwoBlocking>(n);
    let two = alternate(
        common::MPMC_2P2C_BLOCKING,
        "M items/s",
        true,
        REPS,
        &mut two,
    );
    vec![one, one_blocking, two]
}

fn event_outcomes() -> Vec<Outcome> {
    let n = 1_000_000;
    let mut alone = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            ev::read_alone::<EventFlag<Payload>>(n)
        }),
        Contestant::new("AtomicCell", Kind::Peer, || {
            ev::read_alone::<AtomicCell<Payload>>(n)
        }),
        Contestant::new("RwLock", Kind::Peer, || {
            ev::read_alone::<RwLock<Payload>>(n)
        }),
        Contestant::new("Mutex", Kind::Peer, || ev::read_alone::<Mutex<Payload>>(n)),
    ];
    let alone = alternate(
        "event flag read, no writer",
        "ns/read",
        false,
        REPS,
        &mut alone,
    );

    let t = Duration::from_millis(10);
    let mut busy = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            ev::read_under_writer::<EventFlag<Payload>>(t)
        }),
        Contestant::new("AtomicCell", Kind::Peer, || {
            ev::read_under_writer::<AtomicCell<Payload>>(t)
        }),
        Contestant::new("RwLock", Kind::Peer, || {
            ev::read_under_writer::<RwLock<Payload>>(t)
        }),
        Contestant::new("Mutex", Kind::Peer, || {
            ev::read_under_writer::<Mutex<Payload>>(t)
        }),
    ];
    let busy = alternate(
        "event flag read, writer publishing non-stop",
        "M reads/s",
        true,
        REPS,
        &mut busy,
    );

    let (w, gap) = (30, Duration::from_micros(300));
    let mut wake = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            median(&ev::wake_latency::<EventFlag<u64>>(w, gap))
        }),
        Contestant::new("std Condvar", Kind::Peer, || {
            median(&ev::wake_latency::<CondvarWake>(w, gap))
        }),
        Contestant::new("thread::park", Kind::Peer, || {
            median(&ev::wake_latency::<ParkWake>(w, gap))
        }),
    ];
    let wake = alternate(
        "publish-to-waiter wake-up p50",
        "us",
        false,
        REPS,
        &mut wake,
    );
    vec![alone, busy, wake]
}

fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn print_row(o: &Outcome) {
    let (Some(rk), Some(bp)) = (o.ringkit(), o.best_peer()) else {
        return;
    };
    let floor = o.floor().map_or_else(|| "-".to_string(), |f| fmt(f.median));
    let (target, verdict) = match common::target_for(o.workload) {
        Some(t) => {
            let reached = match (o.check(&t), &t.versus) {
                (Some((_, met)), Versus::Floor) => {
                    format!(
                        "{:.2}x floor, {}",
                        rk.median / o.floor().unwrap().median,
                        yes(met)
                    )
                }
                (Some((s, met)), Versus::Peer(name)) if *name != bp.name => {
                    format!("{s:.2}x {name}, {}", yes(met))
                }
                (Some((_, met)), _) => yes(met).to_string(),
                (None, _) => "-".to_string(),
            };
            (t.text, reached)
        }
        None => ("-", "-".to_string()),
    };
    // A workload with several ringkit contestants shows the fastest, named.
    let several = o.rows.iter().filter(|r| r.kind == Kind::Ringkit).count() > 1;
    let workload = if several {
        format!("{} [{}]", o.workload, rk.name)
    } else {
        o.workload.to_string()
    };
    println!(
        "{:<44} {:>10} {:>9} {:>13}  {:<21} {:>9} {:>7} {:>7}  {:<31} {}",
        workload,
        o.unit,
        fmt(rk.median),
        format!("{}..{}", fmt(rk.min), fmt(rk.max)),
        bp.name,
        fmt(bp.median),
        format!("{:.2}x", o.speedup(rk, bp)),
        floor,
        target,
        verdict
    );
}

fn yes(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "missed"
    }
}

fn main() {
    let started = Instant::now();
    let m = common::Machine::describe();
    println!("ringkit showcase: ringkit and its peers, measured in this run on this machine");
    println!(
        "machine: {} logical cores usable, {} ({}), load average {}",
        m.cores,
        m.cpu,
        std::env::consts::ARCH,
        m.load
    );
    println!(
        "method: u64 items, capacity 1024, the two threads pinned to different cores\n        \
         (MPMC 2P2C: one producer and one consumer pinned to each core);\n        \
         contestants alternate, each value is the median of {REPS} short repetitions.\n        \
         Numbers vary from run to run (and a lot on a busy machine): compare the ratios.\n"
    );
    if m.cores < 2 {
        println!("NOTE: fewer than 2 cores: both threads share one core; cross-core numbers are meaningless.\n");
    }

    let mut outcomes = spsc_outcomes();
    outcomes.extend(mpmc_outcomes());
    outcomes.extend(event_outcomes());

    println!(
        "{:<44} {:>10} {:>9} {:>13}  {:<21} {:>9} {:>7} {:>7}  {:<31} reached",
        "workload",
        "unit",
        "ringkit",
        "[min..max]",
        "best peer",
        "peer",
        "speedup",
        "floor",
        "target",
    );
    for o in &outcomes {
        print_row(o);
        common::record("showcase", o);
    }
    println!(
        "\nspeedup = how many times faster ringkit is than the best peer (above 1: ringkit wins;\n\
         for ns and us the inverse ratio). Where ringkit has two contestants (the SPSC index\n\
         ring and spsc::stamped; mpmc::Queue and the channel), the row shows the faster,\n\
         named in brackets.\n\
         MPMC 2P2C runs 4 threads: oversubscribed on a 2-core machine. In the blocking rows\n\
         ArrayQueue, having no blocking operations, spins then yields.\n\
         All contestants: cargo bench -p ringkit-benches --benches; details in\n\
         docs/benchmarks.md. Took {:.0} s.",
        started.elapsed().as_secs_f64()
    );
}
