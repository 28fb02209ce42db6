//! Config reload on an `EventFlag`: a reloader publishes new versions of a plain
//! config struct; a worker picks up the newest one before each batch without ever
//! waiting (`try_read`), and a watcher sleeps until a newer version is out
//! (`wait_newer`). Nobody waits on anybody: a busy reader skips versions, it never
//! holds up the reloader, and it never sees a half-written config.
//!
//! `cargo run --example config_reload`

use ringkit::event::EventFlag;
use ringkit::seqlock::Plain;
use std::thread;
use std::time::Duration;

const RELOADS: u64 = 50;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Config {
    version: u64,
    max_batch: u32,
    timeout_ms: u32,
    sample_rate: f64,
}

// SAFETY: `repr(C)` with fields of 8 + 4 + 4 + 8 bytes, so no padding (checked
// below); integers and `f64` accept every bit pattern; no pointers, no interior
// mutability.
unsafe impl Plain for Config {}
const _: () = assert!(std::mem::size_of::<Config>() == 24);

impl Config {
    /// Version `v`: every field depends on `v`, so a mix of two versions shows.
    fn version(v: u64) -> Self {
        Config {
            version: v,
            max_batch: 16 + v as u32,
            timeout_ms: 1_000 - v as u32,
            sample_rate: 0.5 + v as f64 / 1_000.0,
        }
    }
}

fn main() {
    let config = EventFlag::new(Config::version(0)); // generation 0
    thread::scope(|s| {
        let worker = s.spawn(|| {
            let (mut generation, mut current) = config.read();
            let mut batches = 0u64;
            while generation < RELOADS {
                // Before each batch: the newest config, or, if a reload is being
                // written right now, the one it already has (try_read never waits).
                if let Some((g, c)) = config.try_read() {
                    assert!(g >= generation, "versions never go back");
                    (generation, current) = (g, c);
                }
                assert_eq!(current, Config::version(current.version)); // never torn
                assert_eq!(current.version, generation);
                batches += 1; // ... process up to `current.max_batch` items ...
            }
            (batches, current)
        });
        let watcher = s.spawn(|| {
            let (mut seen, mut wakeups) = (0, 0);
            while seen < RELOADS {
                // Sleeps until a version newer than `seen` is out; may skip some.
                let (g, c) = config.wait_newer(seen);
                assert!(g > seen);
                assert_eq!(c, Config::version(g));
                (seen, wakeups) = (g, wakeups + 1);
            }
            wakeups
        });
        for v in 1..=RELOADS {
            // The generation is the version: each publish adds exactly one.
            assert_eq!(config.publish(Config::version(v)), v);
            // Time between reloads: pacing only, so the readers have something to
            // do between versions; every assertion holds without it.
            thread::sleep(Duration::from_micros(500));
        }
        let (batches, last) = worker.join().unwrap();
        let wakeups = watcher.join().unwrap();
        println!("worker: {batches} batches; watcher: {wakeups} wake-ups for {RELOADS} reloads");
        // Both readers ended on the final config; the watcher woke at most once
        // per reload (it skips the ones published while it was busy).
        assert_eq!(last, Config::version(RELOADS));
        assert!((1..=RELOADS).contains(&wakeups));
    });
    assert_eq!(config.read(), (RELOADS, Config::version(RELOADS)));
}
