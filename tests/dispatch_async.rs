//! `Dispatcher::run_async` without a runtime: the future polled by hand with a
//! waker that counts its wake-ups, so each test says which poll delivers, when
//! the future yields, what wakes it and what a dropped future leaves behind;
//! and once under `pollster` with producer threads. (tokio runs it in
//! async-tests/, the wake-up races are loom models in loom-tests/.)
#![cfg(feature = "async")]

use ringkit::dispatch::{Backoff, Dispatcher, Retry, RunEnd};
use ringkit::{mpmc, spsc};
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

#[path = "common/counting.rs"]
mod counting;

use counting::{allocs, counting, woken};

/// A dispatcher with one SPSC source whose handler adds each message to the
/// returned sum.
fn summing(capacity: usize) -> (spsc::Producer<u64>, Dispatcher, Arc<AtomicU64>) {
    let (tx, rx) = spsc::channel::<u64>(capacity);
    let sum = Arc::new(AtomicU64::new(0));
    let total = sum.clone();
    let mut d = Dispatcher::new();
    d.on_spsc(rx, move |m| {
        total.fetch_add(*m.message, Ordering::Relaxed);
        Ok::<(), ()>(())
    });
    (tx, d, sum)
}

/// A sleep that must never be called: these dispatchers have no retry delays.
fn no_timer(_: Duration) -> std::future::Ready<()> {
    panic!("sleep called without a retry delay")
}

#[test]
fn run_async_delivers_every_message_once_and_in_order_then_ends_disconnected() {
    const N: u64 = if cfg!(miri) { 30 } else { 20_000 };
    let capacity = if cfg!(miri) { 4 } else { 16 };
    let (mut stx, srx) = spsc::channel::<u64>(capacity);
    let (mtx, mrx) = mpmc::channel::<(u64, u64)>(capacity);
    let seen_spsc = Arc::new(Mutex::new(Vec::new()));
    let seen_mpmc = Arc::new(Mutex::new([Vec::new(), Vec::new()]));
    let mut d = Dispatcher::new();
    {
        let seen = seen_spsc.clone();
        d.on_spsc(srx, move |m| {
            seen.lock().unwrap().push(*m.message);
            Ok::<(), ()>(())
        });
    }
    {
        let seen = seen_mpmc.clone();
        d.on_mpmc(mrx, move |m| {
            let (producer, i) = *m.message;
            seen.lock().unwrap()[producer as usize].push(i);
            Ok::<(), ()>(())
        });
    }
    let mut producers = vec![std::thread::spawn(move || {
        for i in 0..N {
            stx.push(i).unwrap();
        }
    })];
    for p in 0..2 {
        let mtx = mtx.clone();
        producers.push(std::thread::spawn(move || {
            for i in 0..N {
                mtx.push((p, i)).unwrap();
            }
        }));
    }
    drop(mtx);
    assert_eq!(
        pollster::block_on(d.run_async(no_timer)),
        RunEnd::Disconnected
    );
    for p in producers {
        p.join().unwrap();
    }
    let all: Vec<u64> = (0..N).collect();
    assert_eq!(*seen_spsc.lock().unwrap(), all);
    let mpmc = seen_mpmc.lock().unwrap();
    assert_eq!(mpmc[0], all);
    assert_eq!(mpmc[1], all);
}

#[test]
fn a_busy_run_async_yields_to_the_executor_after_each_poll_that_delivered() {
    let (mut tx, d, sum) = summing(8);
    let mut d = d.with_batch(1);
    for i in 1..=3 {
        tx.try_push(i).unwrap();
    }
    let (count, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    let mut run = pin!(d.run_async(no_timer));
    // One message per poll (batch 1), and after each the future wakes itself
    // and returns: other tasks on the executor run in between.
    for (polls, expected) in [(1, 1), (2, 3), (3, 6)] {
        assert!(run.as_mut().poll(&mut cx).is_pending());
        assert_eq!(sum.load(Ordering::Relaxed), expected);
        assert_eq!(woken(&count), polls, "the future did not yield");
    }
    // Nothing left: the next poll starts to wait. Its first round through the
    // wait cells only yields (a task's spin), the next one arms them.
    assert!(run.as_mut().poll(&mut cx).is_pending());
    assert!(woken(&count) > 3, "the wait's first poll yields");
    let before = woken(&count);
    assert!(run.as_mut().poll(&mut cx).is_pending());
    assert_eq!(woken(&count), before, "armed, waiting: no yield");
    assert_eq!(sum.load(Ordering::Relaxed), 6);
    drop(tx);
}

#[test]
fn a_waiting_run_async_is_woken_by_a_push_then_by_the_disconnection() {
    let (mut tx, mut d, sum) = summing(4);
    let (count, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    let mut run = pin!(d.run_async(no_timer));
    assert!(run.as_mut().poll(&mut cx).is_pending()); // yields
    assert!(run.as_mut().poll(&mut cx).is_pending()); // arms
    let before = woken(&count);
    tx.try_push(5).unwrap();
    assert!(woken(&count) > before, "the push did not wake the task");
    assert!(run.as_mut().poll(&mut cx).is_pending()); // delivers, yields
    assert_eq!(sum.load(Ordering::Relaxed), 5);
    assert!(run.as_mut().poll(&mut cx).is_pending()); // waits: yields
    assert!(run.as_mut().poll(&mut cx).is_pending()); // arms
    let before = woken(&count);
    drop(tx);
    assert!(
        woken(&count) > before,
        "the disconnection did not wake the task"
    );
    assert_eq!(
        run.as_mut().poll(&mut cx),
        Poll::Ready(RunEnd::Disconnected)
    );
}

#[test]
fn a_stop_wakes_a_waiting_run_async() {
    let (tx, mut d, _) = summing(4);
    let stop = d.stop_handle();
    let (count, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    let mut run = pin!(d.run_async(no_timer));
    assert!(run.as_mut().poll(&mut cx).is_pending());
    assert!(run.as_mut().poll(&mut cx).is_pending());
    let before = woken(&count);
    stop.stop();
    assert!(woken(&count) > before, "the stop did not wake the task");
    assert_eq!(run.as_mut().poll(&mut cx), Poll::Ready(RunEnd::Stopped));
    drop(tx);
}

#[test]
fn dropping_a_waiting_run_async_loses_nothing_and_leaves_no_waker_behind() {
    let (mut tx, mut d, sum) = summing(4);
    let (count, waker) = counting();
    {
        let mut cx = Context::from_waker(&waker);
        let mut run = pin!(d.run_async(no_timer));
        assert!(run.as_mut().poll(&mut cx).is_pending());
        assert!(run.as_mut().poll(&mut cx).is_pending()); // armed, waker stored
    } // dropped while waiting
    let before = woken(&count);
    tx.try_push(7).unwrap();
    assert_eq!(woken(&count), before, "a dropped wait's waker was woken");
    // The message is still there for the next poll, sync or async.
    assert_eq!(d.poll(), 1);
    assert_eq!(sum.load(Ordering::Relaxed), 7);
    tx.try_push(8).unwrap();
    drop(tx);
    assert_eq!(
        pollster::block_on(d.run_async(no_timer)),
        RunEnd::Disconnected
    );
    assert_eq!(sum.load(Ordering::Relaxed), 15);
}

/// A timer for the tests: pending until `fire`d. Records the delays asked for.
#[derive(Clone, Default)]
struct FakeTimer {
    fired: Arc<AtomicBool>,
    asked: Arc<Mutex<Vec<Duration>>>,
}

struct FakeSleep(Arc<AtomicBool>);

impl Future for FakeSleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0.load(Ordering::Relaxed) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn a_retry_delay_is_waited_out_on_the_callers_timer() {
    let t0 = Instant::now();
    let now = Arc::new(Mutex::new(t0));
    let clock = now.clone();
    let mut d = Dispatcher::new().with_clock(move || *clock.lock().unwrap());
    let (mut tx, rx) = spsc::channel::<u8>(4);
    let attempts = Arc::new(AtomicUsize::new(0));
    {
        let attempts = attempts.clone();
        let retry = Retry::attempts(2).backoff(Backoff::fixed(Duration::from_secs(10)));
        d.on_spsc_with(rx, retry, move |m| {
            attempts.fetch_add(1, Ordering::Relaxed);
            if m.attempt == 1 {
                Err(())
            } else {
                Ok(())
            }
        });
    }
    tx.try_push(1).unwrap();
    let timer = FakeTimer::default();
    let sleep = {
        let timer = timer.clone();
        move |d: Duration| {
            timer.asked.lock().unwrap().push(d);
            FakeSleep(timer.fired.clone())
        }
    };
    let (_count, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    let mut run = pin!(d.run_async(sleep));
    assert!(run.as_mut().poll(&mut cx).is_pending()); // attempt 1 fails, yields
    assert_eq!(attempts.load(Ordering::Relaxed), 1);
    assert!(run.as_mut().poll(&mut cx).is_pending()); // the retry waits: sleeps
    assert_eq!(*timer.asked.lock().unwrap(), [Duration::from_secs(10)]);
    assert!(run.as_mut().poll(&mut cx).is_pending()); // still waiting
    assert_eq!(
        attempts.load(Ordering::Relaxed),
        1,
        "retried before the delay"
    );
    *now.lock().unwrap() = t0 + Duration::from_secs(10);
    timer.fired.store(true, Ordering::Relaxed);
    assert!(run.as_mut().poll(&mut cx).is_pending()); // attempt 2 succeeds, yields
    assert_eq!(attempts.load(Ordering::Relaxed), 2);
    assert!(tx.is_empty(), "acknowledged, so removed");
    assert_eq!(timer.asked.lock().unwrap().len(), 1);
    drop(tx);
    assert_eq!(
        run.as_mut().poll(&mut cx),
        Poll::Ready(RunEnd::Disconnected)
    );
}

#[test]
fn the_run_async_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let mut d = Dispatcher::new();
    let run = d.run_async(|d| async move {
        let _ = d;
    });
    assert_send(&run);
}

#[test]
fn after_its_first_wait_run_async_waits_and_delivers_without_allocating() {
    let (mut tx, mut d, sum) = summing(4);
    let (count, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    let mut run = pin!(d.run_async(no_timer));
    // Rounds of: wait (yield, arm), woken by a push, deliver. The first wait
    // takes the future's places in the cells; the later ones reuse them.
    let mut before = 0;
    for value in 1..=3 {
        if value == 2 {
            before = allocs();
        }
        assert!(run.as_mut().poll(&mut cx).is_pending());
        assert!(run.as_mut().poll(&mut cx).is_pending());
        let woken_before = woken(&count);
        tx.try_push(value).unwrap();
        assert!(woken(&count) > woken_before);
        assert!(run.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(allocs() - before, 0, "a steady-state wait allocated");
    assert_eq!(sum.load(Ordering::Relaxed), 6);
}
