//! `Dispatcher::run_async` under a hand-rolled executor: an SPSC and an MPMC
//! source, pushes on either, handlers that fail when told to (three attempts,
//! then a dead letter), the `run_async` future polled, dropped and made again
//! at random, a `Stop`, disconnections. One thread, so the outcome is checked
//! exactly against a model:
//!
//! * every message pushed is handled or dead-lettered exactly once, in push
//!   order per source, by the end (the rest is drained with `poll`);
//! * a poll of the future while a message waits makes a handler call;
//! * no lost wake-up: after every step, if the future's last poll returned
//!   `Pending` and a message waits or a stop was asked for, its waker has been
//!   woken since that poll.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::dispatch::{Dispatcher, Retry, RunEnd};
use ringkit::{mpmc, spsc};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

#[derive(Arbitrary, Debug)]
enum Op {
    PushSpsc,
    PushMpmc,
    /// Poll the future (making a new one if there is none).
    Poll,
    /// Drop the future.
    DropRun,
    /// The next handler call fails.
    Fail,
    Stop,
    DisconnectSpsc,
    DisconnectMpmc,
}

#[derive(Arbitrary, Debug)]
struct Input {
    capacity: u8,
    batch: u8,
    ops: Vec<Op>,
}

#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// What a source's handler and dead-letter callback saw: (value, handled).
type Log = Arc<Mutex<Vec<(u64, bool)>>>;

fuzz_target!(|input: Input| {
    let capacity = usize::from(input.capacity % 4) + 1;
    let (stx, srx) = spsc::channel::<u64>(capacity);
    let (mtx, mrx) = mpmc::channel::<u64>(capacity);
    let (mut stx, mut mtx) = (Some(stx), Some(mtx));
    let fail = Arc::new(AtomicU32::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let logs: [Log; 2] = Default::default();
    let mut d = Dispatcher::new().with_batch(usize::from(input.batch % 4) + 1);
    let handler = |log: &Log| {
        let (log, fail, calls) = (log.clone(), fail.clone(), calls.clone());
        move |value: u64| {
            calls.fetch_add(1, Ordering::Relaxed);
            if fail.load(Ordering::Relaxed) > 0 {
                fail.fetch_sub(1, Ordering::Relaxed);
                return Err(());
            }
            log.lock().unwrap().push((value, true));
            Ok(())
        }
    };
    let retry = |log: &Log| {
        let log = log.clone();
        Retry::attempts(3)
            .dead_letter(move |letter| log.lock().unwrap().push((letter.message, false)))
    };
    {
        let h = handler(&logs[0]);
        d.on_spsc_with(srx, retry(&logs[0]), move |m| h(*m.message));
        let h = handler(&logs[1]);
        d.on_mpmc_with(mrx, retry(&logs[1]), move |m| h(*m.message));
    }
    let stop = d.stop_handle();
    // The future borrows the dispatcher for as long as it lives; through the
    // cell a dropped future's borrow ends, and a new one can be made.
    let d = RefCell::new(d);
    // Pushed and not yet handled or dead-lettered, per source.
    let mut models: [VecDeque<u64>; 2] = Default::default();
    let mut pushed: [Vec<u64>; 2] = Default::default();
    let mut next = 0u64;
    let count = Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    let mut run: Option<Pin<Box<dyn Future<Output = RunEnd> + '_>>> = None;
    // The borrow is held across the await on purpose: it is the future's
    // `&mut Dispatcher`, and nothing else borrows the cell while it lives.
    #[allow(clippy::await_holding_refcell_ref)]
    let make_run = || -> Pin<Box<dyn Future<Output = RunEnd> + '_>> {
        let d = &d;
        Box::pin(async move { d.borrow_mut().run_async(|_| std::future::ready(())).await })
    };
    // The waker's count when the last poll returned `Pending`.
    let mut pending_at: Option<usize> = None;
    let mut ended = false;

    // Moves what the logs say was resolved out of the models, checking order.
    let settle = |models: &mut [VecDeque<u64>; 2], seen: &mut [usize; 2]| {
        for (i, log) in logs.iter().enumerate() {
            let log = log.lock().unwrap();
            for &(value, _) in &log[seen[i]..] {
                assert_eq!(
                    models[i].pop_front(),
                    Some(value),
                    "source {i}: out of order or twice"
                );
            }
            seen[i] = log.len();
        }
    };
    let mut seen = [0usize; 2];

    for op in input.ops.iter().take(256) {
        match op {
            Op::PushSpsc => {
                if let Some(tx) = stx.as_mut() {
                    if tx.try_push(next).is_ok() {
                        models[0].push_back(next);
                        pushed[0].push(next);
                    }
                    next += 1;
                }
            }
            Op::PushMpmc => {
                if let Some(tx) = mtx.as_ref() {
                    if tx.try_push(next).is_ok() {
                        models[1].push_back(next);
                        pushed[1].push(next);
                    }
                    next += 1;
                }
            }
            Op::Poll => {
                if ended {
                    continue;
                }
                let waiting = !models[0].is_empty() || !models[1].is_empty();
                let before = calls.load(Ordering::Relaxed);
                let at = count.0.load(Ordering::Relaxed);
                let future = run.get_or_insert_with(make_run);
                match future.as_mut().poll(&mut cx) {
                    Poll::Ready(end) => {
                        assert!(
                            end == RunEnd::Stopped || (stx.is_none() && mtx.is_none()),
                            "{end:?} with a source connected and no stop"
                        );
                        run = None;
                        pending_at = None;
                        ended = true;
                    }
                    Poll::Pending => pending_at = Some(at),
                }
                if waiting && !stop.is_stopped() {
                    assert!(
                        calls.load(Ordering::Relaxed) > before,
                        "a poll with a message waiting called no handler"
                    );
                }
            }
            Op::DropRun => {
                run = None;
                pending_at = None;
            }
            Op::Fail => {
                fail.fetch_add(1, Ordering::Relaxed);
            }
            Op::Stop => stop.stop(),
            Op::DisconnectSpsc => stx = None,
            Op::DisconnectMpmc => mtx = None,
        }
        settle(&mut models, &mut seen);
        let condition = stop.is_stopped() || !models[0].is_empty() || !models[1].is_empty();
        if let (Some(at), true) = (pending_at, condition) {
            assert!(
                count.0.load(Ordering::Relaxed) > at,
                "a waiting run_async was not woken"
            );
        }
    }
    drop(run);
    // Whatever is left is handled or dead-lettered by further polls.
    let mut d = d.into_inner();
    for _ in 0..1000 {
        if d.poll() == 0 {
            break;
        }
    }
    settle(&mut models, &mut seen);
    assert!(
        models.iter().all(VecDeque::is_empty),
        "left unresolved: {models:?}"
    );
    for (i, log) in logs.iter().enumerate() {
        let values: Vec<u64> = log.lock().unwrap().iter().map(|&(v, _)| v).collect();
        assert_eq!(
            values, pushed[i],
            "source {i}: every message once, in order"
        );
    }
});
