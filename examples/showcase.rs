//! ringkit's showcase: moves real data through the rings between two pinned
//! threads and prints what it measured, in a table a newcomer reads in half a
//! minute. Run it with `cargo run --release --example showcase`.
//!
//! Numbers on a shared machine drift from run to run; each line is the median of
//! several short runs, with the min and max beside it.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const ITEMS: u64 = 2_000_000;
const ROUND_TRIPS: u64 = 20_000;
const RUNS: usize = 7;

fn pin_to(core: usize) {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes within it;
    // sched_setaffinity(0, ..) only changes this thread's affinity. Failure (fewer
    // cores than asked) is harmless: the thread stays unpinned.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        libc::CPU_SET(core % cores, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Median, min and max of `f` run `RUNS` times.
fn stats(mut f: impl FnMut() -> f64) -> (f64, f64, f64) {
    let mut v: Vec<f64> = (0..RUNS).map(|_| f()).collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[RUNS / 2], v[0], v[RUNS - 1])
}

/// Million items a second, one push and one pop per item, spinning on full/empty.
fn spsc_per_item() -> f64 {
    let (mut tx, mut rx) = ringkit::spsc::channel::<u64>(1024);
    let start = Instant::now();
    let producer = thread::spawn(move || {
        pin_to(1);
        for i in 0..ITEMS {
            let mut v = i;
            while let Err(e) = tx.try_push(v) {
                v = e.into_inner();
                std::hint::spin_loop();
            }
        }
    });
    pin_to(0);
    let mut sum = 0u64;
    let mut got = 0;
    while got < ITEMS {
        if let Ok(v) = rx.try_pop() {
            sum = sum.wrapping_add(v);
            got += 1;
        } else {
            std::hint::spin_loop();
        }
    }
    producer.join().unwrap();
    assert_eq!(sum, ITEMS * (ITEMS - 1) / 2);
    ITEMS as f64 / start.elapsed().as_secs_f64() / 1e6
}

/// Million items a second, moved in chunks of up to 64 on both sides.
fn spsc_chunked() -> f64 {
    let (mut tx, mut rx) = ringkit::spsc::channel::<u64>(1024);
    let start = Instant::now();
    let producer = thread::spawn(move || {
        pin_to(1);
        let mut next = 0u64;
        while next < ITEMS {
            let n = (ITEMS - next).min(64) as usize;
            if let Ok(chunk) = tx.write_chunk_uninit(n) {
                next += chunk.fill_from_iter(next..next + n as u64) as u64;
            } else {
                std::hint::spin_loop();
            }
        }
    });
    pin_to(0);
    let mut sum = 0u64;
    let mut got = 0u64;
    while got < ITEMS {
        let n = rx.len().min(64);
        if n == 0 {
            std::hint::spin_loop();
            continue;
        }
        let chunk = rx.read_chunk(n).unwrap();
        let (a, b) = chunk.as_slices();
        sum = a.iter().chain(b).fold(sum, |s, &v| s.wrapping_add(v));
        got += n as u64;
        chunk.commit_all();
    }
    producer.join().unwrap();
    assert_eq!(sum, ITEMS * (ITEMS - 1) / 2);
    ITEMS as f64 / start.elapsed().as_secs_f64() / 1e6
}

/// Nanoseconds per round trip: a ping over one ring, a pong back over another.
fn spsc_round_trip() -> f64 {
    let (mut ping_tx, mut ping_rx) = ringkit::spsc::channel::<u64>(1024);
    let (mut pong_tx, mut pong_rx) = ringkit::spsc::channel::<u64>(1024);
    let echo = thread::spawn(move || {
        pin_to(1);
        for _ in 0..ROUND_TRIPS {
            let v = loop {
                if let Ok(v) = ping_rx.try_pop() {
                    break v;
                }
                std::hint::spin_loop();
            };
            while pong_tx.try_push(v).is_err() {}
        }
    });
    pin_to(0);
    let start = Instant::now();
    for i in 0..ROUND_TRIPS {
        while ping_tx.try_push(i).is_err() {}
        loop {
            if let Ok(v) = pong_rx.try_pop() {
                black_box(v);
                break;
            }
            std::hint::spin_loop();
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / ROUND_TRIPS as f64;
    echo.join().unwrap();
    ns
}

/// The physical floor: one AtomicU64 bounced between the two threads.
fn atomic_round_trip() -> f64 {
    let cell = Arc::new(AtomicU64::new(0));
    let c2 = cell.clone();
    let echo = thread::spawn(move || {
        pin_to(1);
        for i in 0..ROUND_TRIPS {
            while c2.load(Ordering::Acquire) != 2 * i + 1 {
                std::hint::spin_loop();
            }
            c2.store(2 * i + 2, Ordering::Release);
        }
    });
    pin_to(0);
    let start = Instant::now();
    for i in 0..ROUND_TRIPS {
        cell.store(2 * i + 1, Ordering::Release);
        while cell.load(Ordering::Acquire) != 2 * i + 2 {
            std::hint::spin_loop();
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / ROUND_TRIPS as f64;
    echo.join().unwrap();
    ns
}

/// Microseconds from a push to a consumer parked in a blocking `pop` waking up.
fn spsc_wake_up() -> f64 {
    const WAKES: u32 = 200;
    let (mut tx, mut rx) = ringkit::spsc::channel::<Instant>(4);
    let waiter = thread::spawn(move || {
        pin_to(1);
        let mut total = Duration::ZERO;
        while let Ok(sent) = rx.pop() {
            total += sent.elapsed();
        }
        total
    });
    pin_to(0);
    for _ in 0..WAKES {
        // Give the consumer time to go past its spin phase and park.
        thread::sleep(Duration::from_micros(300));
        tx.push(Instant::now()).unwrap();
    }
    drop(tx);
    waiter.join().unwrap().as_secs_f64() * 1e6 / WAKES as f64
}

fn main() {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    println!("ringkit showcase: u64 items, capacity 1024, producer and consumer pinned to different cores");
    println!(
        "machine: {} logical cores ({}); each line is the median of {RUNS} runs [min..max].",
        cores,
        std::env::consts::ARCH
    );
    println!("Numbers on a shared machine drift from run to run; compare ratios, not absolutes.\n");

    let rows: Vec<(&str, &str, (f64, f64, f64))> = vec![
        (
            "SPSC per-item throughput",
            "M items/s",
            stats(spsc_per_item),
        ),
        (
            "SPSC chunked (64) throughput",
            "M items/s",
            stats(spsc_chunked),
        ),
        ("SPSC round trip (ping-pong)", "ns", stats(spsc_round_trip)),
        (
            "bare AtomicU64 round trip (floor)",
            "ns",
            stats(atomic_round_trip),
        ),
        ("SPSC push-to-parked-pop wake-up", "us", stats(spsc_wake_up)),
    ];
    println!(
        "{:<36} {:>12} {:>22}  unit",
        "workload", "median", "[min..max]"
    );
    for (name, unit, (med, lo, hi)) in &rows {
        println!(
            "{name:<36} {med:>12.1} {:>22}  {unit}",
            format!("[{lo:.1}..{hi:.1}]")
        );
    }
    let rt = rows[2].2 .0 / rows[3].2 .0;
    println!("\nSPSC round trip / bare-atomic floor: {rt:.2}x");
}
