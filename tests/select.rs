//! Integration tests of `ringkit::select`: readiness of every kind of source
//! (an item, a lag, a newer generation, a set event, a disconnection), the
//! index reported, fairness, blocking selects woken from another thread, time-outs,
//! and a stress test with several producers on different kinds of sources and one
//! selecting consumer (exactly-once delivery, per-source order).

#![cfg(feature = "std")]

use ringkit::broadcast::{self, RecvError};
use ringkit::dispatch::jobs;
use ringkit::event::{Event, EventFlag};
use ringkit::select::{Selector, Source};
use ringkit::{mpmc, spsc, PopError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Rounds of the tests that race a select with another thread.
const ROUNDS: usize = if cfg!(miri) { 2 } else { 200 };

#[test]
fn try_select_over_each_kind_of_source() {
    let (mut stx, mut srx) = spsc::channel::<u8>(4);
    let (mtx, mrx) = mpmc::channel::<u8>(4);
    let (mut publisher, mut sub) = broadcast::channel::<u8>(4);
    let flag = EventFlag::new(0u8);
    let manual = Event::manual_reset();
    let auto = Event::auto_reset();
    let (submit, mut exec) = jobs(4);
    let mut selector = Selector::new();
    let mut seen = flag.generation();
    macro_rules! sources {
        () => {
            [
                &srx as &dyn Source,
                &mrx,
                &sub,
                &flag.newer_than(seen),
                &manual,
                &auto,
                &exec,
            ]
        };
    }
    for _ in 0..7 {
        assert_eq!(selector.try_select(&sources!()), None);
    }

    stx.try_push(1).unwrap();
    assert_eq!(selector.try_select(&sources!()), Some(0));
    assert_eq!(srx.try_pop(), Ok(1));

    mtx.try_push(2).unwrap();
    assert_eq!(selector.try_select(&sources!()), Some(1));
    assert_eq!(mrx.try_pop(), Ok(2));

    publisher.publish(3);
    assert_eq!(selector.try_select(&sources!()), Some(2));
    assert_eq!(sub.try_recv(), Ok((0, 3)));

    flag.publish(4);
    assert_eq!(selector.try_select(&sources!()), Some(3));
    assert_eq!(flag.read(), (1, 4));
    seen = 1;
    // A select with the new generation as seen finds nothing.
    assert_eq!(selector.try_select(&[&flag.newer_than(seen)]), None);

    manual.set();
    assert_eq!(selector.try_select(&sources!()), Some(4));
    assert!(manual.try_wait());
    manual.reset();

    auto.set();
    assert_eq!(selector.try_select(&sources!()), Some(5));
    // Looking did not consume the set.
    assert!(auto.try_wait());

    submit.try_submit(|| ()).unwrap();
    assert_eq!(selector.try_select(&sources!()), Some(6));
    assert_eq!(exec.run_pending(), 1);

    for _ in 0..7 {
        assert_eq!(selector.try_select(&sources!()), None);
    }
    assert_eq!(selector.try_select(&[]), None);
}

#[test]
fn a_lagged_subscriber_is_ready() {
    let (mut publisher, mut sub) = broadcast::channel::<u8>(2);
    let mut selector = Selector::new();
    for v in 0..5 {
        publisher.publish(v);
    }
    assert_eq!(selector.try_select(&[&sub]), Some(0));
    assert_eq!(sub.try_recv(), Err(RecvError::Lagged(3)));
    // The event kept aside after the lag report counts too.
    assert_eq!(selector.try_select(&[&sub]), Some(0));
    assert_eq!(sub.try_recv(), Ok((3, 3)));
    assert_eq!(selector.try_select(&[&sub]), Some(0));
    assert_eq!(sub.try_recv(), Ok((4, 4)));
    assert_eq!(selector.try_select(&[&sub]), None);
}

#[test]
fn disconnected_counts_as_ready() {
    let (stx, mut srx) = spsc::channel::<u8>(4);
    let (mtx, mrx) = mpmc::channel::<u8>(4);
    let (publisher, mut sub) = broadcast::channel::<u8>(4);
    let (submit, exec) = jobs(4);
    let mut selector = Selector::new();
    assert_eq!(selector.try_select(&[&srx, &mrx, &sub, &exec]), None);
    drop(stx);
    assert_eq!(selector.try_select(&[&srx]), Some(0));
    assert_eq!(srx.try_pop(), Err(PopError::Disconnected));
    drop(mtx);
    assert_eq!(selector.try_select(&[&mrx]), Some(0));
    assert_eq!(mrx.try_pop(), Err(PopError::Disconnected));
    drop(publisher);
    assert_eq!(selector.try_select(&[&sub]), Some(0));
    assert_eq!(sub.try_recv(), Err(RecvError::Disconnected));
    drop(submit);
    assert_eq!(selector.try_select(&[&exec]), Some(0));
    assert!(exec.is_disconnected());
    // A blocking select returns at once on a disconnected source.
    assert!(selector.select(&[&srx, &mrx, &sub, &exec]) < 4);
}

#[test]
fn items_pushed_before_the_disconnection_come_first() {
    let (mut tx, mut rx) = spsc::channel::<u8>(4);
    tx.try_push(7).unwrap();
    drop(tx);
    let mut selector = Selector::new();
    assert_eq!(selector.select(&[&rx]), 0);
    assert_eq!(rx.try_pop(), Ok(7));
    assert_eq!(selector.select(&[&rx]), 0);
    assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
}

/// Two sources that are always ready: the rotating start reports each one
/// every other call. A never-ready source in between changes nothing for them.
#[test]
fn an_always_ready_source_does_not_starve_another() {
    let a = Event::manual_reset();
    let b = Event::manual_reset();
    a.set();
    b.set();
    let mut selector = Selector::new();
    let mut counts = [0; 2];
    for _ in 0..100 {
        counts[selector.try_select(&[&a, &b]).unwrap()] += 1;
    }
    assert_eq!(counts, [50, 50]);

    let never = Event::manual_reset();
    let mut counts = [0; 3];
    for _ in 0..99 {
        counts[selector.select(&[&a, &never, &b])] += 1;
    }
    assert_eq!(counts[1], 0);
    assert!(counts[0] >= 33 && counts[2] >= 33, "{counts:?}");
}

#[test]
fn a_timed_select_over_sources_that_never_become_ready_returns_none() {
    let (_stx, srx) = spsc::channel::<u8>(4);
    let (_mtx, mrx) = mpmc::channel::<u8>(4);
    let (_publisher, sub) = broadcast::channel::<u8>(4);
    let flag = EventFlag::new(0u8);
    let ev = Event::auto_reset();
    let mut selector = Selector::new();
    let sources: [&dyn Source; 5] = [&srx, &mrx, &sub, &flag.newer_than(0), &ev];
    assert_eq!(
        selector.select_timeout(&sources, Duration::from_millis(2)),
        None
    );
    let deadline = Instant::now() + Duration::from_millis(2);
    assert_eq!(selector.select_deadline(&sources, deadline), None);
    assert_eq!(selector.select_deadline(&sources, Instant::now()), None);
    // The selector is still usable, and a ready source is found at once.
    ev.set();
    assert_eq!(
        selector.select_timeout(&sources, Duration::from_secs(3600)),
        Some(4)
    );
    // A timeout too large to represent waits forever; here it need not wait.
    assert_eq!(selector.select_timeout(&sources, Duration::MAX), Some(4));
}

/// Which source another thread makes ready while the selector may be parked.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Spsc,
    Mpmc,
    Broadcast,
    Flag,
    Event,
    Jobs,
    Disconnect,
}

/// A select over one source of every kind, woken by one push (publish, set,
/// submit, disconnection) on the given one from another thread. Every other
/// source stays connected and empty, so only the right wake-up ends the wait.
fn woken_by(kind: Kind) {
    let mut selector = Selector::new();
    for _ in 0..ROUNDS {
        let (mut stx, mut srx) = spsc::channel::<u32>(2);
        let (mtx, mrx) = mpmc::channel::<u32>(2);
        let (mut publisher, mut sub) = broadcast::channel::<u32>(2);
        let flag = Arc::new(EventFlag::new(0u32));
        let ev = Arc::new(Event::auto_reset());
        let (submit, mut exec) = jobs(2);
        let (dtx, mut drx) = spsc::channel::<u32>(2);
        let mut dtx = Some(dtx);
        let ran = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (flag, ev, ran) = (flag.clone(), ev.clone(), ran.clone());
            thread::spawn(move || {
                match kind {
                    Kind::Spsc => stx.push(1).unwrap(),
                    Kind::Mpmc => mtx.push(2).unwrap(),
                    Kind::Broadcast => drop(publisher.publish(3)),
                    Kind::Flag => drop(flag.publish(4)),
                    Kind::Event => ev.set(),
                    Kind::Jobs => submit
                        .submit(move || {
                            ran.fetch_add(1, Ordering::Relaxed);
                        })
                        .unwrap(),
                    Kind::Disconnect => drop(dtx.take()),
                }
                (stx, mtx, publisher, submit, dtx)
            })
        };
        let i = selector.select(&[&srx, &mrx, &sub, &flag.newer_than(0), &*ev, &exec, &drx]);
        match kind {
            Kind::Spsc => assert_eq!((i, srx.try_pop()), (0, Ok(1))),
            Kind::Mpmc => assert_eq!((i, mrx.try_pop()), (1, Ok(2))),
            Kind::Broadcast => assert_eq!((i, sub.try_recv()), (2, Ok((0, 3)))),
            Kind::Flag => assert_eq!((i, flag.read()), (3, (1, 4))),
            Kind::Event => assert_eq!((i, ev.try_wait()), (4, true)),
            Kind::Jobs => {
                assert_eq!((i, exec.run_pending()), (5, 1));
                assert_eq!(ran.load(Ordering::Relaxed), 1);
            }
            Kind::Disconnect => assert_eq!((i, drx.try_pop()), (6, Err(PopError::Disconnected))),
        }
        let _keep = producer.join().unwrap();
    }
}

#[test]
fn a_blocking_select_is_woken_by_an_spsc_push() {
    woken_by(Kind::Spsc);
}

#[test]
fn a_blocking_select_is_woken_by_an_mpmc_push() {
    woken_by(Kind::Mpmc);
}

#[test]
fn a_blocking_select_is_woken_by_a_broadcast_publish() {
    woken_by(Kind::Broadcast);
}

#[test]
fn a_blocking_select_is_woken_by_a_flag_publish() {
    woken_by(Kind::Flag);
}

#[test]
fn a_blocking_select_is_woken_by_an_event_set() {
    woken_by(Kind::Event);
}

#[test]
fn a_blocking_select_is_woken_by_a_job() {
    woken_by(Kind::Jobs);
}

#[test]
fn a_blocking_select_is_woken_by_a_disconnection() {
    woken_by(Kind::Disconnect);
}

/// Two subscribers of one ring share its wait cell; a select over both still
/// parks and is woken.
#[test]
fn sources_sharing_a_cell_are_woken() {
    let mut selector = Selector::new();
    for _ in 0..ROUNDS {
        let (mut publisher, mut a) = broadcast::channel::<u32>(4);
        let mut b = a.clone();
        let _ = a.try_recv(); // nothing yet
        let producer = thread::spawn(move || {
            publisher.publish(5);
            publisher
        });
        let i = selector.select(&[&a, &b]);
        assert!(i < 2);
        let _publisher = producer.join().unwrap();
        assert_eq!(a.try_recv(), Ok((0, 5)));
        assert_eq!(b.try_recv(), Ok((0, 5)));
    }
}

/// Several producers on different kinds of sources, one selecting consumer:
/// every item arrives once, each source's items in order, and the consumer
/// ends once every queue is disconnected and drained and the flag's last
/// generation was seen. A source reported ready is never empty (the consumer
/// is its only receiver).
#[test]
fn stress_one_selector_many_producers() {
    const N: u64 = if cfg!(miri) { 50 } else { 20_000 };
    const BROADCAST: u64 = if cfg!(miri) { 50 } else { 4096 };
    const GENERATIONS: u64 = if cfg!(miri) { 20 } else { 2_000 };
    let (mut stx, mut srx) = spsc::channel::<u64>(64);
    let (mtx, mrx) = mpmc::channel::<(u64, u64)>(64);
    // As large as everything published: the publisher never laps the consumer.
    let (mut publisher, mut sub) = broadcast::channel::<u64>(BROADCAST as usize);
    let flag = Arc::new(EventFlag::new(0u64));
    let mut producers = vec![thread::spawn(move || {
        for i in 0..N {
            stx.push(i).unwrap();
        }
    })];
    for p in 0..2 {
        let mtx = mtx.clone();
        producers.push(thread::spawn(move || {
            for i in 0..N {
                mtx.push((p, i)).unwrap();
            }
        }));
    }
    drop(mtx);
    producers.push(thread::spawn(move || {
        for i in 0..BROADCAST {
            publisher.publish(i);
        }
    }));
    {
        let flag = flag.clone();
        producers.push(thread::spawn(move || {
            for g in 1..=GENERATIONS {
                flag.publish(g * 10);
            }
        }));
    }

    #[derive(Clone, Copy)]
    enum Id {
        Spsc,
        Mpmc,
        Broadcast,
        Flag,
    }
    let mut selector = Selector::new();
    let (mut spsc_next, mut mpmc_next, mut broadcast_next) = (0, [0; 2], 0);
    let mut seen = 0;
    let (mut spsc_done, mut mpmc_done, mut broadcast_done) = (false, false, false);
    loop {
        let newer = flag.newer_than(seen);
        let mut ids = Vec::with_capacity(4);
        let mut sources: Vec<&dyn Source> = Vec::with_capacity(4);
        if !spsc_done {
            ids.push(Id::Spsc);
            sources.push(&srx);
        }
        if !mpmc_done {
            ids.push(Id::Mpmc);
            sources.push(&mrx);
        }
        if !broadcast_done {
            ids.push(Id::Broadcast);
            sources.push(&sub);
        }
        if seen < GENERATIONS {
            ids.push(Id::Flag);
            sources.push(&newer);
        }
        if sources.is_empty() {
            break;
        }
        let id = ids[selector.select(&sources)];
        drop(sources);
        match id {
            Id::Spsc => match srx.try_pop() {
                Ok(v) => {
                    assert_eq!(v, spsc_next);
                    spsc_next += 1;
                }
                Err(PopError::Disconnected) => spsc_done = true,
                Err(PopError::Empty) => panic!("a ready SPSC consumer was empty"),
            },
            Id::Mpmc => match mrx.try_pop() {
                Ok((p, i)) => {
                    assert_eq!(i, mpmc_next[p as usize]);
                    mpmc_next[p as usize] += 1;
                }
                Err(PopError::Disconnected) => mpmc_done = true,
                Err(PopError::Empty) => panic!("a ready MPMC receiver was empty"),
            },
            Id::Broadcast => match sub.try_recv() {
                Ok((seq, v)) => {
                    assert_eq!((seq, v), (broadcast_next, broadcast_next));
                    broadcast_next += 1;
                }
                Err(RecvError::Disconnected) => broadcast_done = true,
                Err(e) => panic!("a ready subscriber said {e:?}"),
            },
            Id::Flag => {
                let (g, v) = flag.read();
                assert!(g > seen, "a ready flag had nothing newer");
                assert_eq!(v, g * 10);
                seen = g;
            }
        }
    }
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(
        (spsc_next, mpmc_next, broadcast_next),
        (N, [N, N], BROADCAST)
    );
    assert_eq!(seen, GENERATIONS);
}
