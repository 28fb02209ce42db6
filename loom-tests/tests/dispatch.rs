//! loom models of the dispatcher's parking protocol: it arms the wait cell of every
//! source and its own doorbell, re-checks, and sleeps on the doorbell. The futex is
//! a Mutex + Condvar model (src/sync/fallback.rs), so a lost wake-up deadlocks the
//! model, which loom reports. `run()` returns only when a handler stops it, a
//! `Stop` arrives or every source is disconnected, so each model ends only if the
//! dispatcher was woken.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use loom_tests::bounded;
use ringkit::dispatch::{Dispatcher, RunEnd};
use ringkit::event::{Event, EventFlag};

/// Which source the producer pushes on.
#[derive(Clone, Copy)]
enum Which {
    Spsc,
    Mpmc,
    Event,
}

/// A dispatcher with an SPSC ring, an MPMC queue and an event flag, woken by one
/// push (or publish) on one of them from another thread; the handler stops it.
/// Every other source stays connected and empty, so the dispatcher must park on
/// all three and be woken by the right one. Unbounded: one wake-up, two threads.
fn parked_on_three_woken_by(which: Which) {
    loom::model(move || {
        let (mut stx, srx) = ringkit::spsc::channel::<u32>(2);
        let (mtx, mrx) = ringkit::mpmc::channel::<u32>(2);
        let flag = std::sync::Arc::new(EventFlag::new(0u32));
        let mut d = Dispatcher::new();
        let stop = d.stop_handle();
        let got = std::sync::Arc::new(AtomicUsize::new(0));
        {
            let (stop, got) = (stop.clone(), got.clone());
            d.on_spsc(srx, move |m| {
                assert_eq!((m.seq, *m.message), (0, 7));
                got.fetch_add(1, Ordering::Relaxed);
                stop.stop();
                Ok::<(), ()>(())
            });
        }
        {
            let (stop, got) = (stop.clone(), got.clone());
            d.on_mpmc(mrx, move |m| {
                assert_eq!((m.seq, *m.message), (0, 8));
                got.fetch_add(1, Ordering::Relaxed);
                stop.stop();
                Ok::<(), ()>(())
            });
        }
        {
            let (stop, got) = (stop.clone(), got.clone());
            d.on_event(flag.clone(), move |u| {
                assert_eq!((u.generation, u.value, u.skipped), (1, 9, 0));
                got.fetch_add(1, Ordering::Relaxed);
                stop.stop();
                Ok::<(), ()>(())
            });
        }
        let p = thread::spawn(move || {
            match which {
                Which::Spsc => stx.push(7).unwrap(),
                Which::Mpmc => mtx.push(8).unwrap(),
                Which::Event => {
                    flag.publish(9);
                }
            }
            (stx, mtx, flag) // keep every source connected until the end
        });
        assert_eq!(d.run(), RunEnd::Stopped);
        assert_eq!(got.load(Ordering::Relaxed), 1);
        drop(p.join().unwrap());
    });
}

#[test]
fn parked_dispatcher_woken_by_spsc_push() {
    parked_on_three_woken_by(Which::Spsc);
}

#[test]
fn parked_dispatcher_woken_by_mpmc_push() {
    parked_on_three_woken_by(Which::Mpmc);
}

#[test]
fn parked_dispatcher_woken_by_publish() {
    parked_on_three_woken_by(Which::Event);
}

/// A job queue: the submit from another thread wakes the parked dispatcher
/// (the queue's cell), which runs the job; the job stops it.
#[test]
fn parked_dispatcher_runs_a_submitted_job() {
    loom::model(|| {
        let (submit, exec) = ringkit::dispatch::jobs(2);
        let mut d = Dispatcher::new();
        d.on_jobs(exec);
        let stop = d.stop_handle();
        let ran = std::sync::Arc::new(AtomicUsize::new(0));
        let p = {
            let ran = ran.clone();
            thread::spawn(move || {
                submit
                    .submit(move || {
                        ran.fetch_add(1, Ordering::Relaxed);
                        stop.stop();
                    })
                    .unwrap();
                submit // stays connected until the end
            })
        };
        assert_eq!(d.run(), RunEnd::Stopped);
        assert_eq!(ran.load(Ordering::Relaxed), 1);
        drop(p.join().unwrap());
    });
}

/// Two sources, a push on each from two threads: both messages are handled and
/// `run` ends by disconnection (both producers drop their ends), so neither push
/// nor either disconnection may be lost, whichever of them arms or clears a parked
/// bit first. This is the case where one notifier clears the bit the dispatcher set
/// and the other notifier finds it clear: the epoch check in `park_any` saves it.
/// Four threads: bounded. Its unbounded twins are the `parked_dispatcher_woken_by_*`
/// models (one push wakes a dispatcher parked on several sources).
#[test]
fn two_pushes_on_two_sources_then_disconnect() {
    bounded(2, || {
        let (mut stx, srx) = ringkit::spsc::channel::<u32>(2);
        let (mtx, mrx) = ringkit::mpmc::channel::<u32>(2);
        let mut d = Dispatcher::new();
        let got = std::sync::Arc::new(AtomicUsize::new(0));
        {
            let got = got.clone();
            d.on_spsc(srx, move |m| {
                got.fetch_add(*m.message as usize, Ordering::Relaxed);
                Ok::<(), ()>(())
            });
        }
        {
            let got = got.clone();
            d.on_mpmc(mrx, move |m| {
                got.fetch_add(*m.message as usize, Ordering::Relaxed);
                Ok::<(), ()>(())
            });
        }
        let a = thread::spawn(move || stx.push(1).unwrap());
        let b = thread::spawn(move || mtx.push(10).unwrap());
        let d = thread::spawn(move || d.run());
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(d.join().unwrap(), RunEnd::Disconnected);
        assert_eq!(got.load(Ordering::Relaxed), 11);
    });
}

/// Two pushes on one MPMC source from two threads: the second push may find the
/// parked bit already cleared by the first one's wake-up, so only the first rings
/// the doorbell. Both messages must be handled before `run` sees the disconnection.
/// Four threads: bounded. Its unbounded twin is `parked_dispatcher_woken_by_mpmc_push`.
#[test]
fn two_pushes_on_one_source() {
    bounded(2, || {
        let (tx, rx) = ringkit::mpmc::channel::<u32>(2);
        let mut d = Dispatcher::new();
        let got = std::sync::Arc::new(AtomicUsize::new(0));
        {
            let got = got.clone();
            d.on_mpmc(rx, move |m| {
                got.fetch_add(*m.message as usize, Ordering::Relaxed);
                Ok::<(), ()>(())
            });
        }
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.push(1).unwrap());
        let b = thread::spawn(move || tx2.push(10).unwrap());
        let d = thread::spawn(move || d.run());
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(d.join().unwrap(), RunEnd::Disconnected);
        assert_eq!(got.load(Ordering::Relaxed), 11);
    });
}

/// A `Stop` from another thread wakes a dispatcher parked on a connected, empty
/// source, and what the stopping thread wrote before `stop()` is visible after
/// `run` returns. Kills a weakened [dispatch.stop.release] / [dispatch.stop.acquire].
/// (The dispatcher runs on the spawned thread, which has never read `side`.)
#[test]
fn stop_from_other_thread() {
    loom::model(|| {
        let (tx, rx) = ringkit::spsc::channel::<u32>(2);
        let mut d = Dispatcher::new();
        d.on_spsc(rx, |_| Ok::<(), ()>(()));
        let stop = d.stop_handle();
        let side = std::sync::Arc::new(AtomicUsize::new(0));
        let r = {
            let side = side.clone();
            thread::spawn(move || {
                assert_eq!(d.run(), RunEnd::Stopped);
                assert_eq!(side.load(Ordering::Relaxed), 1);
            })
        };
        side.store(1, Ordering::Relaxed);
        stop.stop();
        r.join().unwrap();
        drop(tx);
    });
}

/// A dispatcher with only a disconnecting SPSC source: the producer's drop wakes
/// it and `run` returns `Disconnected` after handling what was pushed before.
/// Two wake-ups (the push, the drop) take it past what runs unbounded;
/// `disconnect_alone_wakes_parked_dispatcher` is its unbounded twin.
#[test]
fn disconnect_wakes_parked_dispatcher() {
    bounded(3, || {
        let (mut tx, rx) = ringkit::spsc::channel::<u32>(2);
        let mut d = Dispatcher::new();
        let got = std::sync::Arc::new(AtomicUsize::new(0));
        {
            let got = got.clone();
            d.on_spsc(rx, move |m| {
                got.fetch_add(*m.message as usize, Ordering::Relaxed);
                Ok::<(), ()>(())
            });
        }
        let p = thread::spawn(move || {
            tx.push(5).unwrap();
        });
        assert_eq!(d.run(), RunEnd::Disconnected);
        assert_eq!(got.load(Ordering::Relaxed), 5);
        p.join().unwrap();
    });
}

/// The unbounded twin of `disconnect_wakes_parked_dispatcher`: the producer
/// only leaves, and its drop alone must wake the parked dispatcher, whose `run`
/// then returns `Disconnected`.
#[test]
fn disconnect_alone_wakes_parked_dispatcher() {
    loom::model(|| {
        let (tx, rx) = ringkit::spsc::channel::<u32>(2);
        let mut d = Dispatcher::new();
        d.on_spsc(rx, |_| Ok::<(), ()>(()));
        let p = thread::spawn(move || drop(tx));
        assert_eq!(d.run(), RunEnd::Disconnected);
        p.join().unwrap();
    });
}

/// `run_async`: the dispatcher waits as a task in the cell of each source and in
/// its doorbell (under `loom::future::block_on`, which parks the loom thread
/// until the waker is woken, so a lost wake-up deadlocks the model). A push on
/// one of two connected sources from another thread wakes it; the handler
/// stops it.
#[test]
fn run_async_woken_by_a_push() {
    loom::model(|| {
        let (mut stx, srx) = ringkit::spsc::channel::<u32>(2);
        let (_mtx, mrx) = ringkit::mpmc::channel::<u32>(2);
        let mut d = Dispatcher::new();
        let stop = d.stop_handle();
        let got = std::sync::Arc::new(AtomicUsize::new(0));
        {
            let (stop, got) = (stop.clone(), got.clone());
            d.on_spsc(srx, move |m| {
                assert_eq!((m.seq, *m.message), (0, 7));
                got.fetch_add(1, Ordering::Relaxed);
                stop.stop();
                Ok::<(), ()>(())
            });
        }
        d.on_mpmc(mrx, |_| -> Result<(), ()> {
            unreachable!("nothing is pushed here")
        });
        let p = thread::spawn(move || {
            stx.push(7).unwrap();
            stx // stays connected until the end
        });
        let end = loom::future::block_on(d.run_async(|_| std::future::ready(())));
        assert_eq!(end, RunEnd::Stopped);
        assert_eq!(got.load(Ordering::Relaxed), 1);
        drop(p.join().unwrap());
    });
}

/// `run_async` over one MPMC source and a push from another thread: the task's
/// receive gives up on a slot the push has claimed and not yet written, and its
/// wait in the source's cell makes that receive its attempt, so the push's
/// notify after its stamp store wakes it; the handler stops it.
#[test]
fn run_async_woken_by_an_mpmc_push() {
    loom::model(|| {
        let (tx, rx) = ringkit::mpmc::channel::<u32>(2);
        let mut d = Dispatcher::new();
        let stop = d.stop_handle();
        d.on_mpmc(rx, move |m| {
            assert_eq!((m.seq, *m.message), (0, 7));
            stop.stop();
            Ok::<(), ()>(())
        });
        let p = thread::spawn(move || {
            tx.push(7).unwrap();
            tx // stays connected until the end
        });
        let end = loom::future::block_on(d.run_async(|_| std::future::ready(())));
        assert_eq!(end, RunEnd::Stopped);
        drop(p.join().unwrap());
    });
}

/// The same with a broadcast source: the task's receive gives up on a slot
/// the publisher is writing, and the publish's notify wakes it. Bounded (the
/// publish's many stores and the dispatcher's waits make the unbounded space
/// too large); `broadcast::recv_async_woken_by_publish` is the unbounded model
/// of the same attempt in `recv_async`.
#[test]
fn run_async_woken_by_a_publish() {
    bounded(2, || {
        let (mut publisher, sub) = ringkit::broadcast::channel::<u32>(2);
        let mut d = Dispatcher::new();
        let stop = d.stop_handle();
        d.on_broadcast(sub, move |m| {
            assert_eq!((m.seq, *m.message), (0, 7));
            stop.stop();
            Ok::<(), ()>(())
        });
        let p = thread::spawn(move || {
            publisher.publish(7);
            publisher // stays connected until the end
        });
        let end = loom::future::block_on(d.run_async(|_| std::future::ready(())));
        assert_eq!(end, RunEnd::Stopped);
        drop(p.join().unwrap());
    });
}

/// The same with a job queue: the task's receive gives up on a slot the
/// submit has claimed and not yet written, and the submit's notify after its
/// stamp store wakes it; the job stops the dispatcher.
#[test]
fn run_async_runs_a_submitted_job() {
    loom::model(|| {
        let (submit, exec) = ringkit::dispatch::jobs(2);
        let mut d = Dispatcher::new();
        d.on_jobs(exec);
        let stop = d.stop_handle();
        let ran = std::sync::Arc::new(AtomicUsize::new(0));
        let p = {
            let ran = ran.clone();
            thread::spawn(move || {
                submit
                    .submit(move || {
                        ran.fetch_add(1, Ordering::Relaxed);
                        stop.stop();
                    })
                    .unwrap();
                submit // stays connected until the end
            })
        };
        let end = loom::future::block_on(d.run_async(|_| std::future::ready(())));
        assert_eq!(end, RunEnd::Stopped);
        assert_eq!(ran.load(Ordering::Relaxed), 1);
        drop(p.join().unwrap());
    });
}

/// The same with an event flag: the task's read gives up on a publish that
/// is still writing (`try_read`), and the publish's notify wakes it; the
/// handler sees the new generation and stops the dispatcher.
#[test]
fn run_async_woken_by_a_flag_publish() {
    loom::model(|| {
        let flag = std::sync::Arc::new(EventFlag::new(0u32));
        let mut d = Dispatcher::new();
        let stop = d.stop_handle();
        d.on_event(flag.clone(), move |u| {
            assert_eq!((u.generation, u.value, u.skipped), (1, 9, 0));
            stop.stop();
            Ok::<(), ()>(())
        });
        let p = thread::spawn(move || {
            flag.publish(9);
            flag
        });
        let end = loom::future::block_on(d.run_async(|_| std::future::ready(())));
        assert_eq!(end, RunEnd::Stopped);
        drop(p.join().unwrap());
    });
}

/// The same with an auto-reset `Event`: the set from another thread wakes the
/// task waiting in the event's cell; the handler consumes the set and stops the
/// dispatcher.
#[test]
fn run_async_woken_by_a_signal() {
    loom::model(|| {
        let event = std::sync::Arc::new(Event::auto_reset());
        let mut d = Dispatcher::new();
        let stop = d.stop_handle();
        d.on_signal(event.clone(), move |_| {
            stop.stop();
            Ok::<(), ()>(())
        });
        let p = thread::spawn(move || {
            event.set();
            event
        });
        let end = loom::future::block_on(d.run_async(|_| std::future::ready(())));
        assert_eq!(end, RunEnd::Stopped);
        assert!(!p.join().unwrap().is_set(), "the handler consumed the set");
    });
}

/// `run_async` waiting on a connected, empty source is woken by a `Stop` from
/// another thread (through the doorbell), and what that thread wrote before
/// `stop()` is visible after it returns.
#[test]
fn run_async_stopped_from_other_thread() {
    loom::model(|| {
        let (tx, rx) = ringkit::spsc::channel::<u32>(2);
        let mut d = Dispatcher::new();
        d.on_spsc(rx, |_| Ok::<(), ()>(()));
        let stop = d.stop_handle();
        let side = std::sync::Arc::new(AtomicUsize::new(0));
        let r = {
            let side = side.clone();
            thread::spawn(move || {
                let end = loom::future::block_on(d.run_async(|_| std::future::ready(())));
                assert_eq!(end, RunEnd::Stopped);
                assert_eq!(side.load(Ordering::Relaxed), 1);
            })
        };
        side.store(1, Ordering::Relaxed);
        stop.stop();
        r.join().unwrap();
        drop(tx);
    });
}

/// `run_async` with one source whose producer only leaves: the disconnection
/// alone wakes the waiting task, and it returns `Disconnected`.
#[test]
fn run_async_woken_by_a_disconnect() {
    loom::model(|| {
        let (tx, rx) = ringkit::spsc::channel::<u32>(2);
        let mut d = Dispatcher::new();
        d.on_spsc(rx, |_| Ok::<(), ()>(()));
        let p = thread::spawn(move || drop(tx));
        let end = loom::future::block_on(d.run_async(|_| std::future::ready(())));
        assert_eq!(end, RunEnd::Disconnected);
        p.join().unwrap();
    });
}
