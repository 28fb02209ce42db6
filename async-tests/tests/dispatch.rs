//! `Dispatcher::run_async` on tokio's runtimes, with tokio's timer for retry
//! delays, and async waits bounded by tokio's `timeout`. Every test checks what
//! was handled (each message once, in order per producer), never how fast.

use ringkit::dispatch::{Backoff, Dispatcher, Retry, RunEnd};
use ringkit::{mpmc, spsc, PopError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const N: u64 = 5_000;

/// The dispatcher runs in a task on one thread with the producer tasks that
/// feed it, so every wait of the dispatcher is woken by a task. Every 1000th
/// message fails its first attempt and is retried after 1 ms on tokio's timer.
#[tokio::test(flavor = "current_thread")]
async fn run_async_in_a_task_beside_its_producers_with_retry_delays() {
    let (mut stx, srx) = spsc::channel::<u64>(16);
    let (mtx, mrx) = mpmc::channel::<u64>(16);
    let seen = Arc::new(Mutex::new((Vec::new(), Vec::new(), 0u32)));
    let mut d = Dispatcher::new();
    let retry = || Retry::attempts(2).backoff(Backoff::fixed(Duration::from_millis(1)));
    {
        let seen = seen.clone();
        d.on_spsc_with(srx, retry(), move |m| {
            let mut seen = seen.lock().unwrap();
            if *m.message % 1000 == 0 && m.attempt == 1 {
                seen.2 += 1;
                return Err(());
            }
            seen.0.push(*m.message);
            Ok(())
        });
    }
    {
        let seen = seen.clone();
        d.on_mpmc_with(mrx, retry(), move |m| {
            let mut seen = seen.lock().unwrap();
            if *m.message % 1000 == 0 && m.attempt == 1 {
                seen.2 += 1;
                return Err(());
            }
            seen.1.push(*m.message);
            Ok(())
        });
    }
    let producers = [
        tokio::spawn(async move {
            for i in 0..N {
                stx.push_async(i).await.unwrap();
            }
        }),
        tokio::spawn(async move {
            for i in 0..N {
                mtx.push_async(i).await.unwrap();
            }
        }),
    ];
    assert_eq!(d.run_async(tokio::time::sleep).await, RunEnd::Disconnected);
    for p in producers {
        p.await.unwrap();
    }
    let seen = seen.lock().unwrap();
    let all: Vec<u64> = (0..N).collect();
    assert_eq!(seen.0, all);
    assert_eq!(seen.1, all);
    assert_eq!(
        seen.2,
        2 * (N as u32).div_ceil(1000),
        "failed first attempts"
    );
}

/// `run_async` spawned on a multi-thread runtime (so its future is `Send`),
/// fed by threads and tasks, stopped by a `Stop` from another task once every
/// message was handled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_async_spawned_on_a_multi_thread_runtime_and_stopped() {
    let (mtx, mrx) = mpmc::channel::<(u64, u64)>(16);
    let handled = Arc::new(Mutex::new([Vec::new(), Vec::new()]));
    let mut d = Dispatcher::new();
    let stop = d.stop_handle();
    {
        let (handled, stop) = (handled.clone(), stop.clone());
        d.on_mpmc(mrx, move |m| {
            let (producer, i) = *m.message;
            let mut handled = handled.lock().unwrap();
            handled[producer as usize].push(i);
            if handled[0].len() + handled[1].len() == 2 * N as usize {
                stop.stop();
            }
            Ok::<(), ()>(())
        });
    }
    let dispatcher = tokio::spawn(async move { d.run_async(tokio::time::sleep).await });
    let thread = {
        let mtx = mtx.clone();
        std::thread::spawn(move || {
            for i in 0..N {
                mtx.push((0, i)).unwrap();
            }
        })
    };
    let task = tokio::spawn(async move {
        for i in 0..N {
            mtx.push_async((1, i)).await.unwrap();
        }
        mtx // kept: the stop, not a disconnection, ends the run
    });
    assert_eq!(dispatcher.await.unwrap(), RunEnd::Stopped);
    thread.join().unwrap();
    drop(task.await.unwrap());
    let handled = handled.lock().unwrap();
    let all: Vec<u64> = (0..N).collect();
    assert_eq!(handled[0], all);
    assert_eq!(handled[1], all);
}

/// An async wait with a time limit is the runtime's `timeout` around the
/// `*_async` future: when it expires, the future is dropped having taken
/// nothing (they are cancellation safe), so nothing is lost.
#[tokio::test(flavor = "current_thread")]
async fn a_pop_async_under_a_timeout_that_expires_loses_nothing() {
    let (mut tx, mut rx) = spsc::channel::<u64>(2);
    let waited = tokio::time::timeout(Duration::from_millis(1), rx.pop_async()).await;
    assert!(waited.is_err(), "nothing was pushed, so the wait timed out");
    tx.try_push(9).unwrap();
    drop(tx);
    let got = tokio::time::timeout(Duration::from_secs(60), rx.pop_async()).await;
    assert_eq!(got, Ok(Ok(9)));
    assert_eq!(rx.pop_async().await, Err(PopError::Disconnected));
}
