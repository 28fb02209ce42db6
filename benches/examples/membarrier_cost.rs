//! What one `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` call costs on this
//! machine: the heavy half of the barrier pair that every arming of a wait cell
//! runs (a parking thread, an async task that leaves its waker). Measured with
//! no other thread of the process running, then with one spinning on another
//! core (which the call has to interrupt), next to a bare system call
//! (`getppid`) for scale. Linux only.
//!
//! `cargo run --release -p ringkit-benches --example membarrier_cost`

#[path = "../common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;
const PRIVATE_EXPEDITED: libc::c_int = 1 << 3;

fn membarrier(cmd: libc::c_int) -> bool {
    // SAFETY: membarrier takes two integer arguments and touches no memory of
    // ours.
    unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_int) == 0 }
}

/// Mean time per call of `f` over `n` calls.
fn per_call(n: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

fn main() {
    if !membarrier(REGISTER_PRIVATE_EXPEDITED) {
        println!(
            "membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) failed: not available here"
        );
        return;
    }
    let m = common::Machine::describe();
    println!(
        "{}, {} cores usable, load average {}",
        m.cpu, m.cores, m.load
    );
    let expedited = || assert!(membarrier(PRIVATE_EXPEDITED), "membarrier failed");
    let getppid = || {
        // SAFETY: getppid has no arguments and cannot fail.
        std::hint::black_box(unsafe { libc::getppid() });
    };
    for round in 1..=2 {
        println!("round {round}:");
        println!(
            "  getppid (a bare system call):          {:?}",
            per_call(200_000, getppid)
        );
        println!(
            "  membarrier, no other thread running:   {:?}",
            per_call(200_000, expedited)
        );
        let stop = Arc::new(AtomicBool::new(false));
        let spinner = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        };
        std::thread::sleep(Duration::from_millis(10));
        println!(
            "  membarrier, one other thread spinning: {:?}",
            per_call(20_000, expedited)
        );
        stop.store(true, Ordering::Relaxed);
        spinner.join().unwrap();
    }
}
