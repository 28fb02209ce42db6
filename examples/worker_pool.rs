//! A worker pool on MPMC channels: a client submits jobs on one channel, several
//! workers take them as they are free and send results back on another, and the
//! whole pool shuts down by disconnection, with no stop message: when the client
//! drops its sender the workers drain the queue and end, and when the last worker
//! drops its result sender the collector's loop ends.
//!
//! `cargo run --example worker_pool`

use ringkit::mpmc;
use std::thread;

const WORKERS: usize = 4;
const JOBS: u64 = 2_000;

struct Job {
    id: u64,
    n: u64,
}

struct Done {
    id: u64,
    worker: usize,
    steps: u32,
}

/// The work: Collatz steps from `n` down to 1.
fn collatz_steps(mut n: u64) -> u32 {
    let mut steps = 0;
    while n != 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    steps
}

fn main() {
    // Small queues: a fast client waits for the workers (backpressure).
    let (job_tx, job_rx) = mpmc::channel::<Job>(16);
    let (done_tx, done_rx) = mpmc::channel::<Done>(16);

    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (jobs, done) = (job_rx.clone(), done_tx.clone());
            thread::spawn(move || {
                let mut handled = 0;
                // Blocks while the queue is empty; ends once the client is gone and
                // every job has been taken.
                for job in &jobs {
                    let steps = collatz_steps(job.n);
                    done.push(Done {
                        id: job.id,
                        worker,
                        steps,
                    })
                    .unwrap();
                    handled += 1;
                }
                handled
            })
        })
        .collect();
    // Only the workers hold these now, so disconnection follows their lifetimes.
    drop((job_rx, done_tx));

    // The client runs on its own thread: the main thread must be free to collect,
    // or a full result queue would stall the workers and then the client.
    let client = thread::spawn(move || {
        for id in 0..JOBS {
            job_tx.push(Job { id, n: id + 1 }).unwrap(); // blocks while full
        }
    }); // dropping `job_tx` is the shutdown signal

    let mut steps = vec![None; JOBS as usize];
    let mut per_worker = [0u64; WORKERS];
    for d in &done_rx {
        assert!(
            steps[d.id as usize].replace(d.steps).is_none(),
            "job {} twice",
            d.id
        );
        per_worker[d.worker] += 1;
    }
    client.join().unwrap();
    let handled: Vec<u64> = workers.into_iter().map(|w| w.join().unwrap()).collect();

    println!("jobs per worker: {handled:?}");
    // Every job came back exactly once, with the right answer, and the workers'
    // own counts agree with what the collector saw.
    for (id, s) in steps.iter().enumerate() {
        assert_eq!(*s, Some(collatz_steps(id as u64 + 1)), "job {id}");
    }
    assert_eq!(handled, per_worker);
    assert_eq!(handled.iter().sum::<u64>(), JOBS);
}
