//! Integration tests of the dispatcher: handlers over every source kind, fairness,
//! acknowledgement (redelivery with the same sequence number, dead letters),
//! exactly-once handling under random failures and panics, exact drop counts,
//! ownership under panicking handlers, dead-letter callbacks, jobs and message
//! `Drop`s over every source kind, parking while idle, stopping, and the job
//! queue.

// Blocking and timeouts throughout: the std feature (tests/nostd.rs covers the rest).
#![cfg(feature = "std")]

mod common;

use common::{quiet_injected_panics, Counted, DropTable, Tracked, INJECTED};
use ringkit::dispatch::{self, DeadLetter, Dispatcher, EventUpdate, Failure, Retry, RunEnd};
use ringkit::event::EventFlag;
use ringkit::{mpmc, spsc, PushError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

type Log = Arc<Mutex<Vec<(&'static str, u64, u32, u64)>>>;
/// (seq, attempts, message id, the failure was the expected kind)
type DeadLog = Arc<Mutex<Vec<(u64, u32, u64, bool)>>>;

#[test]
fn handlers_over_all_source_kinds() {
    let (mut stx, srx) = spsc::channel::<u64>(8);
    let (mtx, mrx) = mpmc::channel::<u64>(8);
    let flag = Arc::new(EventFlag::new(0u32));
    let (submit, exec) = dispatch::jobs(8);
    let log: Log = Arc::default();
    let mut d = Dispatcher::new();
    let l = log.clone();
    d.on_spsc(srx, move |m| {
        l.lock()
            .unwrap()
            .push(("spsc", m.seq, m.attempt, *m.message));
        Ok::<_, ()>(())
    });
    let l = log.clone();
    d.on_mpmc(mrx, move |m| {
        l.lock()
            .unwrap()
            .push(("mpmc", m.seq, m.attempt, *m.message));
        Ok::<_, ()>(())
    });
    let l = log.clone();
    d.on_event(flag.clone(), move |u: EventUpdate<u32>| {
        l.lock().unwrap().push((
            "event",
            u.generation,
            u.attempt,
            u.value as u64 * 100 + u.skipped,
        ));
        Ok::<_, ()>(())
    });
    d.on_jobs(exec);
    assert_eq!(d.poll(), 0);

    stx.try_push(10).unwrap();
    stx.try_push(11).unwrap();
    mtx.try_push(20).unwrap();
    flag.publish(1);
    flag.publish(2); // the handler sees generation 2, having skipped 1
    let l = log.clone();
    submit
        .try_submit(move || l.lock().unwrap().push(("job", 0, 1, 30)))
        .unwrap();
    assert_eq!(d.poll(), 5);
    assert_eq!(
        *log.lock().unwrap(),
        [
            ("spsc", 0, 1, 10),
            ("spsc", 1, 1, 11),
            ("mpmc", 0, 1, 20),
            ("event", 2, 1, 201),
            ("job", 0, 1, 30)
        ]
    );
    assert_eq!(d.poll(), 0);
    flag.publish(3);
    assert_eq!(d.poll(), 1);
    assert_eq!(log.lock().unwrap().last(), Some(&("event", 3, 1, 300)));
}

#[test]
fn fairness_busy_source_does_not_starve_quiet_one() {
    let (mut busy_tx, busy_rx) = spsc::channel::<u64>(1024);
    let (quiet_tx, quiet_rx) = mpmc::channel::<u64>(4);
    for i in 0..1000 {
        busy_tx.try_push(i).unwrap();
    }
    let busy = Arc::new(AtomicUsize::new(0));
    let quiet = Arc::new(AtomicUsize::new(0));
    let mut d = Dispatcher::new().with_batch(8);
    let b = busy.clone();
    d.on_spsc(busy_rx, move |_| {
        b.fetch_add(1, Ordering::Relaxed);
        Ok::<_, ()>(())
    });
    let q = quiet.clone();
    d.on_mpmc(quiet_rx, move |_| {
        q.fetch_add(1, Ordering::Relaxed);
        Ok::<_, ()>(())
    });
    quiet_tx.try_push(1).unwrap();
    assert_eq!(d.poll(), 9);
    assert_eq!(busy.load(Ordering::Relaxed), 8);
    assert_eq!(quiet.load(Ordering::Relaxed), 1);
    for round in 0..5 {
        quiet_tx.try_push(round).unwrap();
        d.poll();
        assert_eq!(quiet.load(Ordering::Relaxed), 2 + round as usize);
    }
    assert_eq!(busy.load(Ordering::Relaxed), 48);
}

/// Message 2 always fails (an error, then a panic, then an error): it is
/// redelivered with the same sequence number and attempts 1, 2, 3, then
/// dead-lettered; the SPSC ring keeps order, so 3 and 4 come after it.
#[test]
fn spsc_failing_message_is_redelivered_then_dead_lettered() {
    quiet_injected_panics();
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, rx) = spsc::channel::<Counted>(8);
    for id in 0..5 {
        tx.try_push(Counted::new(id, &drops)).unwrap();
    }
    let log: Log = Arc::default();
    let dead: DeadLog = Arc::default();
    let mut d = Dispatcher::new();
    let l = log.clone();
    let dl = dead.clone();
    d.on_spsc_with(
        rx,
        Retry::attempts(3).dead_letter(move |letter: DeadLetter<Counted, &'static str>| {
            let was_error = matches!(letter.failure, Failure::Error("nope"));
            dl.lock()
                .unwrap()
                .push((letter.seq, letter.attempts, letter.message.id, was_error));
        }),
        move |m| {
            l.lock()
                .unwrap()
                .push(("spsc", m.seq, m.attempt, m.message.id));
            if m.message.id == 2 {
                if m.attempt == 2 {
                    std::panic::panic_any(INJECTED);
                }
                return Err("nope");
            }
            Ok(())
        },
    );
    assert_eq!(d.poll(), 3); // 0, 1 acked, 2 failed
    assert_eq!(drops.load(Ordering::Relaxed), 2);
    assert_eq!(d.poll(), 1); // 2 again: a panic, caught
    assert_eq!(d.poll(), 1); // 2 a third time: dead-lettered (a failure ends the batch)
    assert_eq!(d.poll(), 2); // 3, 4
    assert_eq!(d.poll(), 0);
    assert_eq!(
        *log.lock().unwrap(),
        [
            ("spsc", 0, 1, 0),
            ("spsc", 1, 1, 1),
            ("spsc", 2, 1, 2),
            ("spsc", 2, 2, 2),
            ("spsc", 2, 3, 2),
            ("spsc", 3, 1, 3),
            ("spsc", 4, 1, 4),
        ]
    );
    assert_eq!(*dead.lock().unwrap(), [(2, 3, 2, true)]);
    assert_eq!(drops.load(Ordering::Relaxed), 5);
    drop(d);
    drop(tx);
    assert_eq!(drops.load(Ordering::Relaxed), 5);
}

#[test]
fn mpmc_failing_message_is_redelivered_then_dead_lettered() {
    quiet_injected_panics();
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpmc::channel::<Counted>(8);
    for id in 0..3 {
        tx.try_push(Counted::new(id, &drops)).unwrap();
    }
    let log: Log = Arc::default();
    let dead: DeadLog = Arc::default();
    let mut d = Dispatcher::new();
    let l = log.clone();
    let dl = dead.clone();
    d.on_mpmc_with(
        rx,
        Retry::attempts(2).dead_letter(move |letter: DeadLetter<Counted, ()>| {
            let was_panic = matches!(letter.failure, Failure::Panic(_));
            dl.lock()
                .unwrap()
                .push((letter.seq, letter.attempts, letter.message.id, was_panic));
        }),
        move |m| {
            l.lock()
                .unwrap()
                .push(("mpmc", m.seq, m.attempt, m.message.id));
            match (m.message.id, m.attempt) {
                (1, 1) => Err(()),
                (1, _) => std::panic::panic_any(INJECTED),
                _ => Ok(()),
            }
        },
    );
    assert_eq!(d.poll(), 2); // 0 acked, 1 failed and kept pending
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(d.poll(), 1); // 1 panics on attempt 2: dead letter
    assert_eq!(d.poll(), 1); // 2
    assert_eq!(
        *log.lock().unwrap(),
        [
            ("mpmc", 0, 1, 0),
            ("mpmc", 1, 1, 1),
            ("mpmc", 1, 2, 1),
            ("mpmc", 2, 1, 2),
        ]
    );
    assert_eq!(*dead.lock().unwrap(), [(1, 2, 1, true)]);
    assert_eq!(drops.load(Ordering::Relaxed), 3);
}

/// A message pending in the dispatcher and messages left in a ring are each
/// dropped exactly once, when the dispatcher goes.
#[test]
fn drop_counts_exact_with_pending_and_unread_messages() {
    let drops = Arc::new(AtomicUsize::new(0));
    let counted = |id| Counted::new(id, &drops);
    let (mut stx, srx) = spsc::channel::<Counted>(8);
    let (mtx, mrx) = mpmc::channel::<Counted>(8);
    for id in 0..4 {
        stx.try_push(counted(id)).unwrap();
        mtx.try_push(counted(10 + id)).unwrap();
    }
    let mut d = Dispatcher::new().with_batch(2);
    d.on_spsc_with(srx, Retry::attempts(100), |m| {
        if m.message.id == 1 {
            Err(())
        } else {
            Ok(())
        }
    });
    d.on_mpmc_with(mrx, Retry::attempts(100), |m| {
        if m.message.id == 11 {
            Err(())
        } else {
            Ok(())
        }
    });
    assert_eq!(d.poll(), 4); // spsc: 0 ok, 1 fails; mpmc: 10 ok, 11 fails (pending)
    assert_eq!(drops.load(Ordering::Relaxed), 2);
    // Drops the pending 11 and the two receiving ends, which drop what nobody
    // can receive any more: 1, 2, 3 from the ring, 12, 13 from the queue.
    drop(d);
    assert_eq!(drops.load(Ordering::Relaxed), 8);
    drop(stx);
    drop(mtx);
    assert_eq!(drops.load(Ordering::Relaxed), 8);
}

#[test]
fn event_updates_skip_and_retry() {
    let flag = Arc::new(EventFlag::new(0u64));
    flag.publish(1); // before registration: not delivered
    let seen: Arc<Mutex<Vec<EventUpdate<u64>>>> = Arc::default();
    let dead: Arc<Mutex<Vec<u64>>> = Arc::default();
    let mut d = Dispatcher::new();
    let s = seen.clone();
    let dl = dead.clone();
    d.on_event_with(
        flag.clone(),
        Retry::attempts(2)
            .dead_letter(move |l: DeadLetter<EventUpdate<u64>, ()>| dl.lock().unwrap().push(l.seq)),
        move |u| {
            s.lock().unwrap().push(u);
            if u.value == 4 {
                Err(())
            } else {
                Ok(())
            }
        },
    );
    assert_eq!(d.poll(), 0);
    for v in 2..=4 {
        flag.publish(v);
    }
    assert_eq!(d.poll(), 1); // generation 4, skipped 2 and 3, fails
    assert_eq!(d.poll(), 1); // retried: fails again, dead-lettered
    assert_eq!(d.poll(), 0);
    flag.publish(5);
    assert_eq!(d.poll(), 1);
    let update = |generation, skipped, attempt| EventUpdate {
        generation,
        value: generation,
        skipped,
        attempt,
    };
    assert_eq!(
        *seen.lock().unwrap(),
        [update(4, 2, 1), update(4, 2, 2), update(5, 0, 1)]
    );
    assert_eq!(*dead.lock().unwrap(), [4]);
}

/// A deterministic pseudo-random verdict for (message, attempt): 0 ok, 1 error,
/// 2 panic. About a third of the attempts fail.
fn verdict(key: u64, attempt: u32) -> u8 {
    let mut x = key
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(attempt as u64)
        ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    match x % 6 {
        0 => 1,
        1 => 2,
        _ => 0,
    }
}

/// Three producers (one SPSC, two on one MPMC queue) against a dispatcher whose
/// handlers fail or panic at random: every message is either acknowledged once or
/// dead-lettered once, never both, never twice, with the outcome the verdicts
/// predict; every message is dropped exactly once.
#[test]
fn stress_random_failures_exactly_once() {
    quiet_injected_panics();
    const ATTEMPTS: u32 = 3;
    let per = if cfg!(miri) { 30 } else { 20_000 };
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut stx, srx) = spsc::channel::<Counted>(if cfg!(miri) { 4 } else { 64 });
    let (mtx, mrx) = mpmc::channel::<Counted>(if cfg!(miri) { 4 } else { 64 });
    // id -> (acks, dead letters); SPSC ids are i, MPMC ids are (1 + p) << 32 | i.
    type Outcomes = Arc<Mutex<HashMap<u64, (u32, u32)>>>;
    let outcomes: Outcomes = Arc::default();
    let mut d = Dispatcher::new().with_batch(16);
    let o = outcomes.clone();
    let mut next_seq = 0;
    d.on_spsc_with(
        srx,
        Retry::attempts(ATTEMPTS).dead_letter(move |l: DeadLetter<Counted, ()>| {
            o.lock().unwrap().entry(l.message.id).or_default().1 += 1;
        }),
        {
            let o = outcomes.clone();
            move |m| {
                // SPSC: in order, and the sequence number is the id.
                assert_eq!(m.seq, m.message.id);
                assert!(m.seq == next_seq || (m.seq == next_seq - 1 && m.attempt > 1));
                next_seq = m.seq + 1;
                match verdict(m.message.id, m.attempt) {
                    0 => {
                        o.lock().unwrap().entry(m.message.id).or_default().0 += 1;
                        Ok(())
                    }
                    1 => Err(()),
                    _ => std::panic::panic_any(INJECTED),
                }
            }
        },
    );
    let o = outcomes.clone();
    let mut seqs = HashMap::new();
    d.on_mpmc_with(
        mrx,
        Retry::attempts(ATTEMPTS).dead_letter(move |l: DeadLetter<Counted, ()>| {
            o.lock().unwrap().entry(l.message.id).or_default().1 += 1;
        }),
        {
            let o = outcomes.clone();
            move |m| {
                // A redelivery keeps the sequence number.
                let seq = *seqs.entry(m.message.id).or_insert(m.seq);
                assert_eq!(seq, m.seq);
                match verdict(m.message.id, m.attempt) {
                    0 => {
                        o.lock().unwrap().entry(m.message.id).or_default().0 += 1;
                        Ok(())
                    }
                    1 => Err(()),
                    _ => std::panic::panic_any(INJECTED),
                }
            }
        },
    );
    let dispatcher = thread::spawn(move || d.run());
    let mut producers = Vec::new();
    {
        let drops = drops.clone();
        producers.push(thread::spawn(move || {
            for id in 0..per {
                let drops = drops.clone();
                stx.push(Counted { id, drops }).unwrap();
            }
        }));
    }
    for p in 0..2u64 {
        let (mtx, drops) = (mtx.clone(), drops.clone());
        producers.push(thread::spawn(move || {
            for i in 0..per {
                let drops = drops.clone();
                let id = (1 + p) << 32 | i;
                mtx.push(Counted { id, drops }).unwrap();
            }
        }));
    }
    drop(mtx);
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(dispatcher.join().unwrap(), RunEnd::Disconnected);

    let outcomes = outcomes.lock().unwrap();
    let ids = (0..per).chain((0..2u64).flat_map(|p| (0..per).map(move |i| (1 + p) << 32 | i)));
    let mut dead = 0;
    for id in ids {
        let expect_dead = (1..=ATTEMPTS).all(|a| verdict(id, a) != 0);
        let got = outcomes.get(&id).copied().unwrap_or_default();
        assert_eq!(got, if expect_dead { (0, 1) } else { (1, 0) }, "id {id:#x}");
        dead += usize::from(expect_dead);
    }
    assert_eq!(outcomes.len(), 3 * per as usize);
    assert!(
        cfg!(miri) || dead > 0,
        "the verdicts should dead-letter some"
    );
    assert_eq!(drops.load(Ordering::Relaxed), 3 * per as usize);
}

/// CPU time this thread has used, from getrusage(RUSAGE_THREAD).
#[cfg(all(target_os = "linux", not(miri)))]
fn thread_cpu_time() -> Duration {
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_THREAD with a valid pointer to a rusage we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    assert_eq!(rc, 0);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// `run` parks while every source is empty: the dispatcher thread's own CPU time
/// across an idle period (measured by a handler before and after it) stays far
/// below the period. A busy-polling dispatcher would use about all of it.
#[cfg(all(target_os = "linux", not(miri)))]
#[test]
fn run_parks_while_idle() {
    const IDLE: Duration = Duration::from_millis(300);
    let (mut stx, srx) = spsc::channel::<u8>(4);
    let (mtx, mrx) = mpmc::channel::<u8>(4);
    let flag = Arc::new(EventFlag::new(0u8));
    let cpu: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let mut d = Dispatcher::new();
    let c = cpu.clone();
    d.on_spsc(srx, move |_| {
        c.lock().unwrap().push(thread_cpu_time());
        Ok::<_, ()>(())
    });
    d.on_mpmc(mrx, |_| Ok::<_, ()>(()));
    d.on_event(flag.clone(), |_| Ok::<_, ()>(()));
    let stop = d.stop_handle();
    let dispatcher = thread::spawn(move || d.run());
    stx.push(1).unwrap();
    while cpu.lock().unwrap().is_empty() {
        thread::sleep(Duration::from_millis(1));
    }
    thread::sleep(IDLE); // every source connected and empty
    stx.push(2).unwrap();
    while cpu.lock().unwrap().len() < 2 {
        thread::sleep(Duration::from_millis(1));
    }
    stop.stop();
    assert_eq!(dispatcher.join().unwrap(), RunEnd::Stopped);
    let cpu = cpu.lock().unwrap();
    let used = cpu[1] - cpu[0];
    assert!(
        used < IDLE / 10,
        "the idle dispatcher used {used:?} of CPU in {IDLE:?}"
    );
    drop((mtx, flag));
}

#[test]
fn stop_from_another_thread_ends_run() {
    let (_tx, rx) = mpmc::channel::<u8>(4);
    let mut d = Dispatcher::new();
    d.on_mpmc(rx, |_| Ok::<_, ()>(()));
    let stop = d.stop_handle();
    let dispatcher = thread::spawn(move || (d.run(), d.run()));
    thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 20 }));
    let other = stop.clone();
    thread::spawn(move || other.stop()).join().unwrap();
    // Stopping is sticky: the second run returns at once too.
    assert_eq!(
        dispatcher.join().unwrap(),
        (RunEnd::Stopped, RunEnd::Stopped)
    );
    assert!(stop.is_stopped());
}

#[test]
fn disconnection_of_every_queue_ends_run_but_event_flags_do_not_count() {
    let (mut stx, srx) = spsc::channel::<u64>(4);
    let (mtx, mrx) = mpmc::channel::<u64>(4);
    let flag = Arc::new(EventFlag::new(0u8));
    let (submit, exec) = dispatch::jobs(4);
    let sum = Arc::new(AtomicUsize::new(0));
    let mut d = Dispatcher::new();
    let s = sum.clone();
    d.on_spsc(srx, move |m| {
        s.fetch_add(*m.message as usize, Ordering::Relaxed);
        Ok::<_, ()>(())
    });
    let s = sum.clone();
    d.on_mpmc(mrx, move |m| {
        s.fetch_add(*m.message as usize, Ordering::Relaxed);
        Ok::<_, ()>(())
    });
    d.on_event(flag.clone(), |_| Ok::<_, ()>(()));
    d.on_jobs(exec);
    let dispatcher = thread::spawn(move || d.run());
    let s = sum.clone();
    let producer = thread::spawn(move || {
        stx.push(1).unwrap();
        mtx.push(10).unwrap();
        flag.publish(1);
        submit
            .submit(move || {
                s.fetch_add(100, Ordering::Relaxed);
            })
            .unwrap();
        // Every handle dropped here; the flag lives on in the dispatcher.
    });
    producer.join().unwrap();
    assert_eq!(dispatcher.join().unwrap(), RunEnd::Disconnected);
    assert_eq!(sum.load(Ordering::Relaxed), 111);
}

#[test]
fn jobs_run_on_the_executor_thread_and_panics_do_not_poison() {
    quiet_injected_panics();
    let (submit, exec) = dispatch::jobs(4);
    let ran = Arc::new(AtomicUsize::new(0));
    let mut d = Dispatcher::new();
    d.on_jobs(exec);
    let dispatcher = thread::spawn(move || {
        let me = thread::current().id();
        (d.run(), me)
    });
    let n = if cfg!(miri) { 10 } else { 1000 };
    let ids: Arc<Mutex<Vec<thread::ThreadId>>> = Arc::default();
    let submitters: Vec<_> = (0..2)
        .map(|_| {
            let (submit, ran, ids) = (submit.clone(), ran.clone(), ids.clone());
            thread::spawn(move || {
                for i in 0..n {
                    let (ran, ids) = (ran.clone(), ids.clone());
                    submit
                        .submit(move || {
                            ids.lock().unwrap().push(thread::current().id());
                            ran.fetch_add(1, Ordering::Relaxed);
                            if i % 7 == 0 {
                                std::panic::panic_any(INJECTED);
                            }
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    drop(submit);
    for s in submitters {
        s.join().unwrap();
    }
    let (end, executor) = dispatcher.join().unwrap();
    assert_eq!(end, RunEnd::Disconnected);
    assert_eq!(ran.load(Ordering::Relaxed), 2 * n);
    assert!(ids.lock().unwrap().iter().all(|&id| id == executor));
}

#[test]
fn jobs_either_side_may_go_first() {
    // The executor goes first: a submit hands the job back; queued jobs are
    // dropped unrun with the queue.
    let (submit, exec) = dispatch::jobs(4);
    let token = Arc::new(());
    let t = token.clone();
    submit.try_submit(move || drop(t)).unwrap();
    assert_eq!(Arc::strong_count(&token), 2);
    drop(exec);
    assert!(submit.is_disconnected());
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    match submit.try_submit(move || {
        r.fetch_add(1, Ordering::Relaxed);
    }) {
        Err(PushError::Disconnected(job)) => job.run(), // run it ourselves
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert_eq!(ran.load(Ordering::Relaxed), 1);
    drop(submit);
    assert_eq!(Arc::strong_count(&token), 1, "the queued job was dropped");

    // The submitters go first: `run_pending` and `run` still run what is queued.
    let (submit, mut exec2) = dispatch::jobs(4);
    for _ in 0..3 {
        let r = ran.clone();
        submit
            .try_submit(move || {
                r.fetch_add(1, Ordering::Relaxed);
            })
            .unwrap();
    }
    assert_eq!(exec2.run_pending(), 3);
    let r = ran.clone();
    submit
        .try_submit(move || {
            r.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    drop(submit);
    assert!(exec2.is_disconnected());
    exec2.run(); // runs the last job, returns: every submitter is gone
    assert_eq!(ran.load(Ordering::Relaxed), 5);
    assert_eq!(exec2.run_pending(), 0);
}

// Ownership and panic contracts: a panicking handler, a panicking message `Drop`
// among acknowledged and unacknowledged messages, a panicking dead-letter
// callback, then more use and the drop of everything, with exact per-message drop
// counts. The messages own a `String`, so under miri a double drop is a double
// free.

/// Deliveries seen by a handler: (seq, attempt, message id).
type Deliveries = Arc<Mutex<Vec<(u64, u32, u64)>>>;
/// Dead letters: (seq, attempts, message id, the last failure was a panic).
type DeadLetters = Arc<Mutex<Vec<(u64, u32, u64, bool)>>>;

/// Polls once; fails the test if the poll unwinds.
#[track_caller]
fn poll_no_unwind(d: &mut Dispatcher) -> usize {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| d.poll())) {
        Ok(n) => n,
        Err(_) => panic!("a panic in user code unwound out of Dispatcher::poll"),
    }
}

/// Acknowledged messages are removed, each exactly once, when one of them panics
/// in `Drop` as the dispatcher drops it: none is delivered again, and the
/// failed message behind them keeps its attempt count.
#[test]
fn spsc_acknowledged_messages_are_removed_once_when_a_drop_panics() {
    quiet_injected_panics();
    let drops = DropTable::default();
    let (mut tx, rx) = spsc::channel::<Tracked>(8);
    for id in 0..5 {
        let m = if id == 1 {
            drops.bomb(id)
        } else {
            drops.item(id)
        };
        assert!(tx.try_push(m).is_ok());
    }
    let log: Deliveries = Arc::default();
    let mut d = Dispatcher::new();
    let l = log.clone();
    d.on_spsc_with(rx, Retry::attempts(3), move |m| {
        let id = m.message.id();
        l.lock().unwrap().push((m.seq, m.attempt, id));
        if id == 3 && m.attempt == 1 {
            return Err(());
        }
        Ok(())
    });
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| d.poll())).is_err();
    while d.poll() > 0 {}
    assert_eq!(
        *log.lock().unwrap(),
        [
            (0, 1, 0),
            (1, 1, 1),
            (2, 1, 2),
            (3, 1, 3),
            (3, 2, 3),
            (4, 1, 4)
        ],
        "acknowledged messages were delivered again, or with the wrong attempt"
    );
    assert!(!unwound, "the message's Drop panic unwound out of poll");
    drops.assert_each_dropped_once(0..5);
    drop(d);
    drop(tx);
    drops.assert_each_dropped_once(0..5);
}

/// The verdicts of the ownership tests' handlers, by message id: 0, 5, 6 and up
/// succeed; 1 is a bomb that succeeds (its `Drop` panics when the dispatcher
/// drops it); 2 panics on its first attempt and succeeds on the second; 3 and 4
/// (a bomb) always fail and are dead-lettered after two attempts, and the
/// dead-letter callback panics for both (for 3 by itself, for 4 in the letter's
/// `Drop`).
fn ownership_verdict(id: u64, attempt: u32) -> Result<(), &'static str> {
    match (id, attempt) {
        (2, 1) => std::panic::panic_any(INJECTED),
        (3 | 4, _) => Err("refused"),
        _ => Ok(()),
    }
}

/// The deliveries `ownership_verdict` makes of messages 0..=5, in order (SPSC
/// and MPMC alike: one source, so the queue's sequence numbers are the ids).
const OWNERSHIP_DELIVERIES: [(u64, u32, u64); 8] = [
    (0, 1, 0),
    (1, 1, 1),
    (2, 1, 2),
    (2, 2, 2),
    (3, 1, 3),
    (3, 2, 3),
    (4, 1, 4),
    (4, 2, 4),
];

/// Deliveries made by each poll of the ownership tests: 0, 1 (acknowledged, 1's
/// `Drop` panics), 2 (panics); 2, 3 (fails); 3 (dead-lettered, the callback
/// panics); 4 (fails); 4 (dead-lettered, its `Drop` panics in the callback);
/// 5 (with `with_batch(8)`: the failure of 4 ended the previous batch).
const OWNERSHIP_POLLS: [usize; 6] = [3, 2, 1, 1, 1, 1];

/// A handler that logs its deliveries and answers with `ownership_verdict`.
fn ownership_handler(
    log: &Deliveries,
) -> impl FnMut(dispatch::Delivery<'_, Tracked>) -> Result<(), &'static str> + Send + 'static {
    let log = log.clone();
    move |m| {
        let id = m.message.id();
        log.lock().unwrap().push((m.seq, m.attempt, id));
        ownership_verdict(id, m.attempt)
    }
}

/// A retry policy of two attempts whose dead-letter callback logs the letter and
/// then panics: by itself for message 3, in the letter's `Drop` for the bomb 4.
fn ownership_retry(dead: &DeadLetters) -> Retry<Tracked, &'static str> {
    let dead = dead.clone();
    Retry::attempts(2).dead_letter(move |letter: DeadLetter<Tracked, &'static str>| {
        let was_panic = matches!(letter.failure, Failure::Panic(_));
        let id = letter.message.id();
        dead.lock()
            .unwrap()
            .push((letter.seq, letter.attempts, id, was_panic));
        if id == 3 {
            std::panic::panic_any(INJECTED); // `letter` is dropped by the unwinding
        }
    })
}

#[test]
fn spsc_ownership_under_panicking_handler_drop_and_dead_letter() {
    quiet_injected_panics();
    let drops = DropTable::default();
    let (mut tx, rx) = spsc::channel::<Tracked>(8);
    for m in ownership_messages(&drops) {
        assert!(tx.try_push(m).is_ok());
    }
    let (log, dead): (Deliveries, DeadLetters) = Default::default();
    let mut d = Dispatcher::new().with_batch(8);
    d.on_spsc_with(rx, ownership_retry(&dead), ownership_handler(&log));
    run_ownership_polls(&mut d, &drops, &log, &dead);

    // The dispatcher goes on: 6 is handled; 7 (a bomb) and 8 stay in the ring.
    assert!(tx.try_push(drops.item(6)).is_ok());
    assert_eq!(poll_no_unwind(&mut d), 1);
    assert_eq!(log.lock().unwrap().last(), Some(&(6, 1, 6)));
    assert!(tx.try_push(drops.bomb(7)).is_ok());
    assert!(tx.try_push(drops.item(8)).is_ok());
    // Dropping the dispatcher drops its consumer, and the consumer the items
    // nobody can receive any more; 7's panic goes to the caller, after 8.
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(d)));
    assert!(dropped.is_err(), "7's Drop panics");
    drops.assert_each_dropped_once(0..9);
    assert!(tx.is_disconnected());
    drop(tx);
    drops.assert_each_dropped_once(0..9);
    assert_eq!(
        log.lock().unwrap().len(),
        10,
        "7 and 8 were never delivered"
    );
}

/// Messages 0..6 of the ownership tests; 1 and 4 panic in `Drop`.
fn ownership_messages(drops: &DropTable) -> impl Iterator<Item = Tracked> + '_ {
    (0..6).map(|id| {
        if id == 1 || id == 4 {
            drops.bomb(id)
        } else {
            drops.item(id)
        }
    })
}

/// Polls the ownership tests' six messages through: after the first poll 0 and 1
/// are gone and 2 (failed) waits for its redelivery with 3, 4 and 5 behind it; in
/// the end every message was delivered as `OWNERSHIP_DELIVERIES` says, 3 and 4
/// dead-lettered, and each dropped once.
fn run_ownership_polls(
    d: &mut Dispatcher,
    drops: &DropTable,
    log: &Deliveries,
    dead: &DeadLetters,
) {
    for (i, n) in OWNERSHIP_POLLS.into_iter().enumerate() {
        assert_eq!(poll_no_unwind(d), n, "poll {i}");
        if i == 0 {
            drops.assert_each_dropped_once([0, 1]);
        }
    }
    assert_eq!(poll_no_unwind(d), 0);
    let mut expected = OWNERSHIP_DELIVERIES.to_vec();
    expected.push((5, 1, 5));
    assert_eq!(*log.lock().unwrap(), expected);
    assert_eq!(*dead.lock().unwrap(), [(3, 2, 3, false), (4, 2, 4, false)]);
    drops.assert_each_dropped_once(0..6);
}

#[test]
fn mpmc_ownership_under_panicking_handler_drop_and_dead_letter() {
    quiet_injected_panics();
    let drops = DropTable::default();
    let (tx, rx) = mpmc::channel::<Tracked>(8);
    for m in ownership_messages(&drops) {
        assert!(tx.try_push(m).is_ok());
    }
    let (log, dead): (Deliveries, DeadLetters) = Default::default();
    let mut d = Dispatcher::new().with_batch(8);
    let l = log.clone();
    let mut handler = ownership_handler(&log);
    d.on_mpmc_with(rx, ownership_retry(&dead), move |m| {
        // 9 is held in the pending slot: it fails until the dispatcher is dropped.
        if m.message.id() == 9 {
            l.lock().unwrap().push((m.seq, m.attempt, 9));
            return Err("held");
        }
        handler(m)
    });
    run_ownership_polls(&mut d, &drops, &log, &dead);

    // The dispatcher goes on: 6 is handled; 9 (a bomb) fails and stays pending,
    // 8 stays in the queue behind it.
    assert!(tx.try_push(drops.item(6)).is_ok());
    assert_eq!(poll_no_unwind(&mut d), 1);
    assert!(tx.try_push(drops.bomb(9)).is_ok());
    assert!(tx.try_push(drops.item(8)).is_ok());
    assert_eq!(poll_no_unwind(&mut d), 1);
    assert_eq!(log.lock().unwrap()[9..], [(6, 1, 6), (7, 1, 9)]);
    drops.assert_each_dropped_once(0..7);
    // Dropping the dispatcher drops the pending 9, whose panic goes to the caller
    // after the rest of the dispatcher is dropped: the receiver with it, and
    // with the last receiver 8, which nobody can receive any more.
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(d)));
    assert!(dropped.is_err(), "9's Drop panics");
    drops.assert_each_dropped_once((0..7).chain([8, 9]));
    assert!(tx.is_disconnected(), "the receiver was dropped too");
    drop(tx);
    drops.assert_each_dropped_once((0..7).chain([8, 9]));
}

#[test]
fn jobs_ownership_under_panicking_job_and_drop() {
    quiet_injected_panics();
    let drops = DropTable::default();
    let ran: Arc<Mutex<Vec<u64>>> = Arc::default();
    let (submit, exec) = dispatch::jobs(4);
    let job = |m: Tracked, panics: bool| {
        let ran = ran.clone();
        move || {
            ran.lock().unwrap().push(m.id());
            if panics {
                std::panic::panic_any(INJECTED); // `m` is dropped by the unwinding
            }
        } // `m` is dropped here; a bomb panics in the job
    };
    assert!(submit.try_submit(job(drops.item(0), false)).is_ok());
    assert!(submit.try_submit(job(drops.bomb(1), false)).is_ok());
    assert!(submit.try_submit(job(drops.item(2), true)).is_ok());
    assert!(submit.try_submit(job(drops.item(3), false)).is_ok());
    let mut d = Dispatcher::new();
    d.on_jobs(exec);
    assert_eq!(poll_no_unwind(&mut d), 4);
    assert_eq!(*ran.lock().unwrap(), [0, 1, 2, 3]);
    drops.assert_each_dropped_once(0..4);

    // The dispatcher goes on; a job still queued when everything is dropped is
    // dropped unrun, once.
    assert!(submit.try_submit(job(drops.item(4), false)).is_ok());
    assert_eq!(poll_no_unwind(&mut d), 1);
    assert!(submit.try_submit(job(drops.item(5), false)).is_ok());
    drop(d); // the executor goes, and with it the job nobody can run any more
    drops.assert_each_dropped_once(0..6);
    drop(submit);
    drops.assert_each_dropped_once(0..6);
    assert_eq!(*ran.lock().unwrap(), [0, 1, 2, 3, 4]);
}

/// Event updates are plain values (nothing to drop): a panicking handler is a
/// failed attempt, and a panicking dead-letter callback is caught.
#[test]
fn event_handler_and_dead_letter_panics_are_caught() {
    quiet_injected_panics();
    let flag = Arc::new(EventFlag::new(0u32));
    let seen: Arc<Mutex<Vec<(u64, u32, u32)>>> = Arc::default();
    let dead: Arc<Mutex<Vec<(u64, u32, bool)>>> = Arc::default();
    let mut d = Dispatcher::new();
    let (s, dl) = (seen.clone(), dead.clone());
    d.on_event_with(
        flag.clone(),
        Retry::attempts(2).dead_letter(move |l: DeadLetter<EventUpdate<u32>, ()>| {
            let was_panic = matches!(l.failure, Failure::Panic(_));
            dl.lock().unwrap().push((l.seq, l.attempts, was_panic));
            std::panic::panic_any(INJECTED);
        }),
        move |u| {
            s.lock().unwrap().push((u.generation, u.attempt, u.value));
            match (u.value, u.attempt) {
                (1, 1) | (2, _) => std::panic::panic_any(INJECTED),
                _ => Ok(()),
            }
        },
    );
    flag.publish(1);
    assert_eq!(poll_no_unwind(&mut d), 1); // panics
    assert_eq!(poll_no_unwind(&mut d), 1); // acknowledged
    flag.publish(2);
    assert_eq!(poll_no_unwind(&mut d), 1); // panics
    assert_eq!(poll_no_unwind(&mut d), 1); // panics: dead-lettered, the callback panics
    assert_eq!(poll_no_unwind(&mut d), 0); // counts as seen
    flag.publish(3);
    assert_eq!(poll_no_unwind(&mut d), 1);
    assert_eq!(
        *seen.lock().unwrap(),
        [(1, 1, 1), (1, 2, 1), (2, 1, 2), (2, 2, 2), (3, 1, 3)]
    );
    assert_eq!(*dead.lock().unwrap(), [(2, 2, true)]);
}

/// A dead-letter callback that panics does not end `run`: every source kind with
/// dead letters hands over its letter once, and `run` goes on to handle the rest
/// and returns when the queues are disconnected and drained.
#[test]
fn dead_letter_callback_panics_are_caught_and_run_goes_on() {
    quiet_injected_panics();
    let drops = DropTable::default();
    let (mut stx, srx) = spsc::channel::<Tracked>(4);
    let (mtx, mrx) = mpmc::channel::<Tracked>(4);
    let flag = Arc::new(EventFlag::new(0u32));
    for id in 0..2 {
        assert!(stx.try_push(drops.item(id)).is_ok());
        assert!(mtx.try_push(drops.item(10 + id)).is_ok());
    }
    drop((stx, mtx));
    // (source, message id or generation) of every letter and acknowledgement
    type Seen = Arc<Mutex<Vec<(&'static str, u64)>>>;
    let (acked, dead): (Seen, Seen) = Default::default();
    let retry = |source: &'static str| {
        let dead = dead.clone();
        Retry::attempts(1).dead_letter(move |l: DeadLetter<Tracked, ()>| {
            dead.lock().unwrap().push((source, l.message.id()));
            std::panic::panic_any(INJECTED);
        })
    };
    let handler = |source: &'static str| {
        let acked = acked.clone();
        move |m: dispatch::Delivery<'_, Tracked>| {
            if m.message.id() % 10 == 0 {
                return Err(());
            }
            acked.lock().unwrap().push((source, m.message.id()));
            Ok(())
        }
    };
    let mut d = Dispatcher::new();
    d.on_spsc_with(srx, retry("spsc"), handler("spsc"));
    d.on_mpmc_with(mrx, retry("mpmc"), handler("mpmc"));
    let dl = dead.clone();
    d.on_event_with(
        flag.clone(),
        Retry::attempts(1).dead_letter(move |l: DeadLetter<EventUpdate<u32>, ()>| {
            dl.lock().unwrap().push(("event", l.seq));
            std::panic::panic_any(INJECTED);
        }),
        |_| Err(()),
    );
    flag.publish(7); // after the registration: delivered
    let end = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| d.run()));
    assert!(
        matches!(end, Ok(RunEnd::Disconnected)),
        "a dead-letter callback's panic unwound out of run"
    );
    assert_eq!(
        *dead.lock().unwrap(),
        [("spsc", 0), ("mpmc", 10), ("event", 1)]
    );
    assert_eq!(*acked.lock().unwrap(), [("spsc", 1), ("mpmc", 11)]);
    drops.assert_each_dropped_once([0, 1, 10, 11]);
    drop(d);
    drops.assert_each_dropped_once([0, 1, 10, 11]);
}

/// A handler may move the message out of its `&mut` and put another in its
/// place: the dispatcher then owns, redelivers and drops the replacement, and the
/// handler owns the original. Over an SPSC ring and an MPMC queue, each message
/// is dropped once.
#[test]
fn handler_replacing_the_message_in_place_keeps_ownership_exact() {
    let drops = DropTable::default();
    let (mut stx, srx) = spsc::channel::<Tracked>(2);
    let (mtx, mrx) = mpmc::channel::<Tracked>(2);
    assert!(stx.try_push(drops.item(0)).is_ok());
    assert!(mtx.try_push(drops.item(10)).is_ok());
    let log: Deliveries = Arc::default();
    let mut d = Dispatcher::new();
    let handler = |replacement: u64| {
        let (log, drops) = (log.clone(), drops.clone());
        move |m: dispatch::Delivery<'_, Tracked>| {
            log.lock().unwrap().push((m.seq, m.attempt, m.message.id()));
            if m.attempt == 1 {
                // Take the original (dropped here, by the handler) and fail.
                drop(std::mem::replace(m.message, drops.item(replacement)));
                return Err(());
            }
            Ok(())
        }
    };
    d.on_spsc(srx, handler(1));
    d.on_mpmc(mrx, handler(11));
    assert_eq!(poll_no_unwind(&mut d), 2);
    drops.assert_each_dropped_once([0, 10]);
    assert_eq!(poll_no_unwind(&mut d), 2);
    assert_eq!(poll_no_unwind(&mut d), 0);
    assert_eq!(
        *log.lock().unwrap(),
        [(0, 1, 0), (0, 1, 10), (0, 2, 1), (0, 2, 11)]
    );
    drops.assert_each_dropped_once([0, 1, 10, 11]);
    drop((d, stx, mtx));
    drops.assert_each_dropped_once([0, 1, 10, 11]);
}

/// Without a dead-letter callback a message is dropped after its last attempt; a
/// panic in its `Drop` is caught, and the source goes on with the next one.
#[test]
fn last_attempt_without_callback_drop_panic_is_caught() {
    quiet_injected_panics();
    let drops = DropTable::default();
    let (mut stx, srx) = spsc::channel::<Tracked>(2);
    let (mtx, mrx) = mpmc::channel::<Tracked>(2);
    for (s, m) in [(0, 10), (1, 11)] {
        let (s, m) = if s == 0 {
            (drops.bomb(s), drops.bomb(m))
        } else {
            (drops.item(s), drops.item(m))
        };
        assert!(stx.try_push(s).is_ok());
        assert!(mtx.try_push(m).is_ok());
    }
    let acked: Arc<Mutex<Vec<u64>>> = Arc::default();
    let handler = || {
        let acked = acked.clone();
        move |m: dispatch::Delivery<'_, Tracked>| {
            if m.message.id() % 10 == 0 {
                return Err(());
            }
            acked.lock().unwrap().push(m.message.id());
            Ok(())
        }
    };
    let mut d = Dispatcher::new();
    d.on_spsc_with(srx, Retry::attempts(1), handler());
    d.on_mpmc_with(mrx, Retry::attempts(1), handler());
    assert_eq!(poll_no_unwind(&mut d), 2); // 0 and 10 fail once: dropped
    drops.assert_each_dropped_once([0, 10]);
    assert_eq!(poll_no_unwind(&mut d), 2);
    assert_eq!(poll_no_unwind(&mut d), 0);
    assert_eq!(*acked.lock().unwrap(), [1, 11]);
    drop((d, stx, mtx));
    drops.assert_each_dropped_once([0, 1, 10, 11]);
}

/// A consumer handed to the dispatcher after a chunk iterator of it was forgotten:
/// the slots that iterator took go back to the producer, so a producer blocked on
/// a full ring and the parked dispatcher do not wait on each other.
#[test]
fn spsc_consumer_with_a_forgotten_iterator_does_not_stall_the_producer() {
    let (mut tx, mut rx) = spsc::channel::<u64>(2);
    tx.try_push(0).unwrap();
    tx.try_push(1).unwrap();
    let mut it = rx.read_chunk(2).unwrap().into_iter();
    assert_eq!((it.next(), it.next()), (Some(0), Some(1)));
    std::mem::forget(it);
    let producer = thread::spawn(move || {
        // Blocks until the dispatcher has handed back the two slots.
        tx.push(2).unwrap();
        tx.push(3).unwrap();
    }); // dropping `tx` disconnects: `run` returns once 2 and 3 are handled
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let mut d = Dispatcher::new();
    d.on_spsc(rx, move |m| {
        g.lock().unwrap().push(*m.message);
        Ok::<(), ()>(())
    });
    assert_eq!(d.run(), RunEnd::Disconnected);
    producer.join().unwrap();
    assert_eq!(*got.lock().unwrap(), [2, 3]);
}

/// A finished source is dropped inside `poll`; a panic in the `Drop` of its
/// handler's captured state is caught there like any other panic in user code.
#[test]
fn a_panicking_drop_of_a_finished_source_does_not_unwind_out_of_run() {
    quiet_injected_panics();
    struct PanicsOnDrop(Arc<AtomicUsize>);
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
            std::panic::panic_any(INJECTED);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, rx) = spsc::channel::<u64>(2);
    tx.try_push(7).unwrap();
    drop(tx);
    let state = PanicsOnDrop(drops.clone());
    let handled = Arc::new(AtomicUsize::new(0));
    let h = handled.clone();
    let mut d = Dispatcher::new();
    d.on_spsc(rx, move |m| {
        let _keep = &state;
        h.fetch_add(*m.message as usize, Ordering::Relaxed);
        Ok::<(), ()>(())
    });
    let end = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| d.run()));
    assert_eq!(end.ok(), Some(RunEnd::Disconnected), "run unwound");
    assert_eq!(handled.load(Ordering::Relaxed), 7);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    // The dispatcher is usable and empty afterwards.
    assert_eq!(d.poll(), 0);
}

#[test]
fn broadcast_source_redelivers_and_ends_on_disconnection() {
    let (mut publisher, sub) = ringkit::broadcast::channel::<u64>(64);
    let got = Arc::new(Mutex::new(Vec::new()));
    let log = got.clone();
    let mut d = Dispatcher::new();
    d.on_broadcast(sub, move |m| {
        log.lock().unwrap().push((m.seq, m.attempt, *m.message));
        if *m.message % 3 == 0 && m.attempt == 1 {
            Err(())
        } else {
            Ok(())
        }
    });
    let producer = thread::spawn(move || {
        for v in 0..20 {
            publisher.publish(v);
        }
    });
    assert_eq!(d.run(), RunEnd::Disconnected);
    producer.join().unwrap();
    let got = got.lock().unwrap();
    let mut want = Vec::new();
    for v in 0..20 {
        want.push((v, 1, v));
        if v % 3 == 0 {
            want.push((v, 2, v));
        }
    }
    assert_eq!(*got, want);
}

#[test]
fn broadcast_source_skips_what_was_overwritten() {
    let (mut publisher, sub) = ringkit::broadcast::channel::<u64>(2);
    let got = Arc::new(Mutex::new(Vec::new()));
    let log = got.clone();
    let mut d = Dispatcher::new();
    d.on_broadcast(sub, move |m| {
        log.lock().unwrap().push(m.seq);
        Ok::<(), ()>(())
    });
    for v in 0..5 {
        publisher.publish(v);
    }
    assert_eq!(d.poll(), 2);
    assert_eq!(*got.lock().unwrap(), [3, 4]);
}

#[test]
fn signal_source_auto_reset_consumes_each_set() {
    let ev = Arc::new(ringkit::event::Event::auto_reset());
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let mut d = Dispatcher::new();
    ev.set(); // pending before the registration: delivered
    d.on_signal(ev.clone(), move |m| {
        assert_eq!(m.seq as usize, c.fetch_add(1, Ordering::Relaxed));
        Ok::<(), ()>(())
    });
    assert_eq!(d.poll(), 1);
    assert!(!ev.is_set());
    assert_eq!(d.poll(), 0);
    ev.set();
    ev.set(); // sets do not accumulate
    assert_eq!(d.poll(), 1);
    assert_eq!(d.poll(), 0);
    assert_eq!(count.load(Ordering::Relaxed), 2);
}

#[test]
fn signal_source_dead_letters_after_its_attempts() {
    let ev = Arc::new(ringkit::event::Event::manual_reset());
    let dead = Arc::new(AtomicUsize::new(0));
    let sink = dead.clone();
    let retry = Retry::attempts(2).dead_letter(move |letter: DeadLetter<(), &str>| {
        assert_eq!((letter.seq, letter.attempts), (0, 2));
        sink.fetch_add(1, Ordering::Relaxed);
    });
    let mut d = Dispatcher::new();
    d.on_signal_with(ev.clone(), retry, |_| Err("no"));
    ev.set();
    assert_eq!(d.poll(), 1);
    assert_eq!(d.poll(), 1);
    assert_eq!(d.poll(), 0); // dead-lettered, and the set counts as delivered
    assert_eq!(dead.load(Ordering::Relaxed), 1);
    assert!(ev.is_set()); // manual-reset: the dispatcher only looked
}

/// A running dispatcher parked on a broadcast subscriber and an event is woken
/// by a publish and by a set from other threads; the signal handler stops it.
#[test]
fn run_is_woken_by_a_publish_and_a_set() {
    for _ in 0..50 {
        let (mut publisher, sub) = ringkit::broadcast::channel::<u64>(4);
        let ev = Arc::new(ringkit::event::Event::auto_reset());
        let seen = Arc::new(AtomicUsize::new(0));
        let mut d = Dispatcher::new();
        let stop = d.stop_handle();
        let s = seen.clone();
        d.on_broadcast(sub, move |m| {
            s.fetch_add(*m.message as usize, Ordering::Relaxed);
            Ok::<(), ()>(())
        });
        let s = seen.clone();
        d.on_signal(ev.clone(), move |_| {
            if s.load(Ordering::Relaxed) == 7 {
                stop.stop();
            }
            Ok::<(), ()>(())
        });
        let runner = thread::spawn(move || d.run());
        publisher.publish(7);
        // Set until the handler has seen the event first and stopped the run.
        while !runner.is_finished() {
            ev.set();
            thread::yield_now();
        }
        assert_eq!(runner.join().unwrap(), RunEnd::Stopped);
        drop(publisher);
    }
}
