//! The broadcast ring: exact lag accounting under stress, blocking receives,
//! timeouts, capacity 1, and the wrap-around of sequence numbers and slot stamps.

// Blocking and timeouts throughout: the std feature (tests/nostd.rs covers the rest).
#![cfg(feature = "std")]

mod common;

use common::scaled;
use ringkit::broadcast::{self, channel, channel_starting_at, Subscriber, TryRecvNowError};
use ringkit::broadcast::{RecvError, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// The value published under sequence `seq`: its words depend on each other and
/// on `seq`, so a torn read or a value under the wrong number shows.
fn value(seq: u64) -> [u64; 3] {
    [seq, !seq, seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)]
}

/// What a subscriber saw.
#[derive(Debug, Default)]
struct Tally {
    received: u64,
    lagged: u64,
    lag_reports: u64,
}

/// How a subscriber receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `recv`.
    Blocking,
    /// `try_recv`, yielding when it is empty.
    Polling,
    /// `try_recv_now`, yielding when it is empty or busy.
    PollingNow,
}

/// Receives until Disconnected, checking each event: sequence numbers strictly
/// increase, every gap was reported as one `Lagged` of exactly its size, right
/// before the event that ends it, and every value matches its number. `pause`
/// runs after each event (to make the subscriber slow).
fn drain(
    mut sub: Subscriber<[u64; 3]>,
    first: u64,
    end: u64,
    mode: Mode,
    mut pause: impl FnMut(u64),
) -> Tally {
    let blocking = mode == Mode::Blocking;
    let mut tally = Tally::default();
    let mut expected = first;
    let mut reported: Option<u64> = None;
    loop {
        let got = match mode {
            Mode::Blocking => sub.recv().map_err(TryRecvNowError::from),
            Mode::Polling => sub.try_recv().map_err(TryRecvNowError::from),
            Mode::PollingNow => sub.try_recv_now(),
        };
        match got {
            Ok((seq, v)) => {
                assert_eq!(v, value(seq), "torn or misnumbered value");
                let gap = seq.wrapping_sub(expected);
                assert_eq!(
                    gap,
                    reported.take().unwrap_or(0),
                    "gap not reported exactly"
                );
                expected = seq.wrapping_add(1);
                tally.received += 1;
                pause(seq);
            }
            Err(TryRecvNowError::Lagged(n)) => {
                assert!(n > 0);
                assert!(reported.is_none(), "two Lagged in a row");
                reported = Some(n);
                tally.lagged += n;
                tally.lag_reports += 1;
            }
            Err(TryRecvNowError::Empty) => {
                assert!(!blocking, "recv returned Empty");
                thread::yield_now();
            }
            Err(TryRecvNowError::Busy) => {
                assert_eq!(mode, Mode::PollingNow, "only try_recv_now is ever busy");
                thread::yield_now();
            }
            Err(TryRecvNowError::Disconnected) => {
                assert!(reported.is_none(), "Disconnected before a pending event");
                assert_eq!(expected, end, "Disconnected with events left");
                return tally;
            }
        }
    }
}

fn stress(capacity: usize, first_seq: u64, first_stamp: u64, n: u64) {
    let (mut publisher, sub) = channel_starting_at::<[u64; 3]>(capacity, first_seq, first_stamp);
    let end = first_seq.wrapping_add(n);
    let subs: Vec<_> = (0..5).map(|_| sub.clone()).collect();
    drop(sub);
    let tallies: Vec<Tally> = thread::scope(|s| {
        let handles: Vec<_> = subs
            .into_iter()
            .enumerate()
            .map(|(k, sub)| {
                s.spawn(move || match k {
                    // Blocking, full speed.
                    0 => drain(sub, first_seq, end, Mode::Blocking, |_| {}),
                    // Polling, full speed.
                    1 => drain(sub, first_seq, end, Mode::Polling, |_| {}),
                    // Polling without ever waiting for the publisher, full speed.
                    4 => drain(sub, first_seq, end, Mode::PollingNow, |_| {}),
                    // Blocking, slow: a little work after every event.
                    2 => drain(sub, first_seq, end, Mode::Blocking, |seq| {
                        for _ in 0..(seq % 64) {
                            std::hint::spin_loop();
                        }
                    }),
                    // Polling, very slow: sleeps now and then.
                    _ => drain(sub, first_seq, end, Mode::Polling, |seq| {
                        if seq % 97 == 0 {
                            thread::sleep(Duration::from_micros(50));
                        }
                    }),
                })
            })
            .collect();
        for i in 0..n {
            assert_eq!(
                publisher.publish(value(first_seq.wrapping_add(i))),
                first_seq.wrapping_add(i)
            );
            if i % 1024 == 0 {
                thread::yield_now();
            }
        }
        drop(publisher);
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for t in &tallies {
        // Every event was either received or reported lost, exactly once.
        assert_eq!(t.received + t.lagged, n, "{t:?}");
        // The ring's last `capacity` events are never lost after the last publish.
        assert!(t.received >= (capacity as u64).min(n), "{t:?}");
    }
}

#[test]
fn stress_subscribers_at_different_speeds() {
    stress(64, 0, 0, scaled(200_000, 40));
}

#[test]
fn stress_capacity_one() {
    stress(1, 0, 0, scaled(50_000, 40));
}

#[test]
fn stress_across_the_wrap() {
    stress(7, u64::MAX - 5_000, u64::MAX - 1_000, scaled(20_000, 40));
}

#[test]
fn lag_resumes_from_the_oldest_held_and_is_exact() {
    let (mut p, mut s) = channel::<u64>(4);
    for i in 0..10 {
        p.publish(i * 100);
    }
    assert_eq!(s.try_recv(), Err(RecvError::Lagged(6)));
    // Publishing more after the report does not touch the event kept aside.
    for i in 10..20 {
        p.publish(i * 100);
    }
    assert_eq!(s.try_recv(), Ok((6, 600)));
    assert_eq!(s.try_recv(), Err(RecvError::Lagged(9)));
    assert_eq!(s.try_recv(), Ok((16, 1600)));
    assert_eq!(s.try_recv(), Ok((17, 1700)));
    drop(p);
    assert_eq!(s.try_recv(), Ok((18, 1800)));
    assert_eq!(s.recv(), Ok((19, 1900)));
    assert_eq!(s.recv(), Err(RecvError::Disconnected));
    assert_eq!(s.try_recv(), Err(RecvError::Disconnected));
}

/// With no write in progress, `try_recv_now` gives exactly what `try_recv` gives,
/// through lags, the event kept aside and the disconnect.
#[test]
fn try_recv_now_matches_try_recv_when_nothing_is_being_written() {
    let (mut p, mut a) = channel::<u64>(4);
    let mut b = a.clone();
    let both = |a: &mut Subscriber<u64>, b: &mut Subscriber<u64>| {
        let x = a.try_recv();
        let y = b.try_recv_now();
        assert_eq!(x.map_err(TryRecvNowError::from), y);
        y
    };
    assert_eq!(both(&mut a, &mut b), Err(TryRecvNowError::Empty));
    for i in 0..10 {
        p.publish(i * 100);
    }
    assert_eq!(both(&mut a, &mut b), Err(TryRecvNowError::Lagged(6)));
    for i in 10..20 {
        p.publish(i * 100);
    }
    assert_eq!(both(&mut a, &mut b), Ok((6, 600)));
    assert_eq!(both(&mut a, &mut b), Err(TryRecvNowError::Lagged(9)));
    assert_eq!(both(&mut a, &mut b), Ok((16, 1600)));
    assert_eq!(a.skip_to_latest(), b.skip_to_latest());
    assert_eq!(both(&mut a, &mut b), Ok((19, 1900)));
    assert_eq!(both(&mut a, &mut b), Err(TryRecvNowError::Empty));
    p.publish(2000);
    drop(p);
    assert_eq!(both(&mut a, &mut b), Ok((20, 2000)));
    assert_eq!(both(&mut a, &mut b), Err(TryRecvNowError::Disconnected));
    assert_eq!(both(&mut a, &mut b), Err(TryRecvNowError::Disconnected));
}

#[test]
fn capacity_one() {
    let (mut p, mut s) = channel::<u8>(1);
    assert_eq!(s.try_recv(), Err(RecvError::Empty));
    p.publish(1);
    assert_eq!(s.try_recv(), Ok((0, 1)));
    p.publish(2);
    p.publish(3);
    assert_eq!(s.try_recv(), Err(RecvError::Lagged(1)));
    assert_eq!(s.try_recv(), Ok((2, 3)));
    p.publish(4);
    p.publish(5);
    assert_eq!(s.skip_to_latest(), 1);
    assert_eq!(s.try_recv(), Ok((4, 5)));
    assert_eq!(s.try_recv(), Err(RecvError::Empty));
    assert_eq!(s.capacity(), 1);
    assert_eq!(p.capacity(), 1);
}

#[test]
fn clones_start_at_the_next_event() {
    let (mut p, mut a) = channel::<u32>(8);
    p.publish(10);
    p.publish(11);
    assert_eq!(a.try_recv(), Ok((0, 10)));
    let mut b = a.clone();
    assert_eq!(b.try_recv(), Err(RecvError::Empty));
    p.publish(12);
    assert_eq!(a.try_recv(), Ok((1, 11)));
    assert_eq!(a.try_recv(), Ok((2, 12)));
    assert_eq!(b.try_recv(), Ok((2, 12)));
    // A clone of a lagged subscriber does not start before what its original has.
    for i in 0..20 {
        p.publish(i);
    }
    assert_eq!(b.try_recv(), Err(RecvError::Lagged(12)));
    let mut c = b.clone();
    assert_eq!(b.try_recv(), Ok((15, 12)));
    assert_eq!(c.try_recv(), Err(RecvError::Empty));
}

#[test]
fn skip_to_latest_counts_what_it_skips() {
    let (mut p, mut s) = channel::<u16>(16);
    assert_eq!(s.skip_to_latest(), 0);
    p.publish(0);
    assert_eq!(s.skip_to_latest(), 0);
    assert_eq!(s.try_recv(), Ok((0, 0)));
    for i in 1..=5 {
        p.publish(i);
    }
    assert_eq!(s.skip_to_latest(), 4);
    assert_eq!(s.try_recv(), Ok((5, 5)));
    // From a lagged state: the event kept aside is skipped too.
    for i in 6..40 {
        p.publish(i);
    }
    assert_eq!(s.try_recv(), Err(RecvError::Lagged(18)));
    assert_eq!(s.skip_to_latest(), 15);
    assert_eq!(s.try_recv(), Ok((39, 39)));
}

#[test]
fn counters_wrap() {
    let (mut p, mut s) = channel_starting_at::<u64>(3, u64::MAX - 1, u64::MAX - 3);
    assert_eq!(p.publish(1), u64::MAX - 1);
    assert_eq!(s.try_recv(), Ok((u64::MAX - 1, 1)));
    assert_eq!(p.publish(2), u64::MAX);
    assert_eq!(p.publish(3), 0);
    assert_eq!(s.try_recv(), Ok((u64::MAX, 2)));
    assert_eq!(s.try_recv(), Ok((0, 3)));
    assert_eq!(s.try_recv(), Err(RecvError::Empty));
    for i in 4..12 {
        p.publish(i); // sequence i - 3
    }
    assert_eq!(s.try_recv(), Err(RecvError::Lagged(5)));
    assert_eq!(s.try_recv(), Ok((6, 9)));
    let mut late = s.clone();
    p.publish(12);
    assert_eq!(s.skip_to_latest(), 2);
    assert_eq!(s.try_recv(), Ok((9, 12)));
    assert_eq!(late.try_recv(), Ok((9, 12)));
}

#[test]
fn disconnect_after_everything_is_read() {
    let (mut p, mut s) = channel::<i64>(2);
    let mut never = p.subscribe();
    p.publish(-1);
    drop(p);
    assert_eq!(s.try_recv(), Ok((0, -1)));
    assert_eq!(s.try_recv(), Err(RecvError::Disconnected));
    assert_eq!(never.try_recv(), Ok((0, -1)));
    assert_eq!(never.clone().try_recv(), Err(RecvError::Disconnected));
}

#[test]
fn blocked_recv_is_woken_by_publish() {
    let (mut p, mut s) = channel::<u64>(4);
    let waiter = thread::spawn(move || s.recv());
    thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 10 }));
    p.publish(42);
    assert_eq!(waiter.join().unwrap(), Ok((0, 42)));
}

#[test]
fn blocked_recv_is_woken_by_disconnect() {
    let (p, mut s) = channel::<u64>(4);
    let mut t = s.clone();
    let blocking = thread::spawn(move || s.recv());
    let timed = thread::spawn(move || t.recv_timeout(Duration::from_secs(3600)));
    thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 10 }));
    drop(p);
    assert_eq!(blocking.join().unwrap(), Err(RecvError::Disconnected));
    assert_eq!(timed.join().unwrap(), Err(RecvTimeoutError::Disconnected));
}

#[test]
fn many_blocked_subscribers_see_every_event() {
    const N: u64 = scaled(2_000, 40);
    let (mut p, s) = channel::<u64>(N as usize);
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let mut s = s.clone();
            thread::spawn(move || {
                let mut next = 0;
                while let Ok((seq, v)) = s.recv() {
                    assert_eq!((seq, v), (next, next * 2));
                    next += 1;
                }
                next
            })
        })
        .collect();
    for i in 0..N {
        p.publish(i * 2);
        if i % 100 == 0 {
            thread::sleep(Duration::from_micros(100));
        }
    }
    drop(p);
    for w in waiters {
        // The ring holds every event, so nobody lags.
        assert_eq!(w.join().unwrap(), N);
    }
}

#[test]
fn recv_timeout_times_out() {
    let (mut p, mut s) = channel::<u64>(4);
    for d in [Duration::ZERO, Duration::from_millis(20)] {
        let start = Instant::now();
        assert_eq!(s.recv_timeout(d), Err(RecvTimeoutError::Timeout));
        assert!(start.elapsed() >= d);
        let deadline = Instant::now() + d;
        assert_eq!(s.recv_until(deadline), Err(RecvTimeoutError::Timeout));
        assert!(Instant::now() >= deadline);
    }
    thread::scope(|sc| {
        sc.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            p.publish(9);
        });
        assert_eq!(s.recv_timeout(Duration::from_secs(3600)), Ok((0, 9)));
    });
}

#[test]
fn errors_display() {
    assert_eq!(
        RecvError::Lagged(3).to_string(),
        "subscriber lagged behind: 3 events were overwritten unread"
    );
    let e: Box<dyn std::error::Error> = Box::new(RecvError::Disconnected);
    assert!(e.to_string().contains("publisher is gone"));
    assert!(broadcast::try_channel::<u64>(0).is_err());
    assert_eq!(
        TryRecvNowError::Busy.to_string(),
        "receive on a broadcast slot that the publisher is writing"
    );
    assert_eq!(
        TryRecvNowError::Lagged(3).to_string(),
        RecvError::Lagged(3).to_string()
    );
}
