//! Differential fuzzing of the broadcast ring against a model: the list of every
//! published value, and for each subscriber the index it wants next plus the
//! event a `Lagged` kept aside. Every result (values, sequence numbers, exact lag
//! counts, Empty/Disconnected, skip counts) is compared after each step;
//! `try_recv_now` must match the model as `try_recv` does (nothing is ever being
//! written while it runs, so it is never `Busy`). Sequence
//! numbers and slot stamps start near their wrap-around.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::broadcast::{channel_starting_at, Publisher, Subscriber, TryRecvNowError};
use ringkit::broadcast::{RecvError, RecvTimeoutError};
use std::time::Duration;

#[derive(Arbitrary, Debug)]
enum Op {
    Publish(u32),
    TryRecv(u8),
    RecvTimeoutZero(u8),
    /// `recv()` only when the model says it would not block.
    RecvIfReady(u8),
    SkipToLatest(u8),
    Clone(u8),
    Subscribe,
    DropSubscriber(u8),
    DropPublisher,
    /// `try_recv_now()`: with no write in progress (one thread), never `Busy`.
    TryRecvNow(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    capacity: u8,
    /// The first sequence number is `u64::MAX - start_back`.
    start_back: u8,
    /// Slot stamps start at `u64::MAX - stamp_back` (made even).
    stamp_back: u8,
    ops: Vec<Op>,
}

/// A subscriber as the model sees it: indices into the published list.
#[derive(Clone, Copy, Debug)]
struct ModelSub {
    next: usize,
    pending: Option<usize>,
}

struct Model {
    first: u64,
    cap: usize,
    published: Vec<u32>,
    open: bool,
}

impl Model {
    fn seq(&self, i: usize) -> u64 {
        self.first.wrapping_add(i as u64)
    }

    fn try_recv(&self, s: &mut ModelSub) -> Result<(u64, u32), RecvError> {
        if let Some(i) = s.pending.take() {
            return Ok((self.seq(i), self.published[i]));
        }
        let tail = self.published.len();
        let oldest = tail.saturating_sub(self.cap);
        if s.next < oldest {
            let lost = (oldest - s.next) as u64;
            s.pending = Some(oldest);
            s.next = oldest + 1;
            return Err(RecvError::Lagged(lost));
        }
        if s.next < tail {
            let i = s.next;
            s.next += 1;
            return Ok((self.seq(i), self.published[i]));
        }
        Err(if self.open {
            RecvError::Empty
        } else {
            RecvError::Disconnected
        })
    }

    fn skip_to_latest(&self, s: &mut ModelSub) -> u64 {
        let next = s.pending.unwrap_or(s.next);
        let tail = self.published.len();
        if tail == 0 || tail - 1 <= next {
            return 0;
        }
        *s = ModelSub {
            next: tail - 1,
            pending: None,
        };
        (tail - 1 - next) as u64
    }

    fn new_sub(&self) -> ModelSub {
        ModelSub {
            next: self.published.len(),
            pending: None,
        }
    }
}

fuzz_target!(|input: Input| {
    let cap = (input.capacity % 16) as usize + 1;
    let first = u64::MAX - input.start_back as u64;
    let stamp = u64::MAX - input.stamp_back as u64;
    let (p, s) = channel_starting_at::<u32>(cap, first, stamp);
    let mut publisher: Option<Publisher<u32>> = Some(p);
    let mut subs: Vec<(Subscriber<u32>, ModelSub)> = vec![(s, ModelSub { next: 0, pending: None })];
    let mut m = Model {
        first,
        cap,
        published: Vec::new(),
        open: true,
    };
    let pick = |k: u8, n: usize| (n > 0).then(|| k as usize % n);

    for op in input.ops.iter().take(300) {
        match *op {
            Op::Publish(v) => {
                if let Some(p) = publisher.as_mut() {
                    assert_eq!(p.publish(v), m.seq(m.published.len()));
                    m.published.push(v);
                }
            }
            Op::TryRecv(k) | Op::RecvTimeoutZero(k) | Op::RecvIfReady(k) => {
                let Some(k) = pick(k, subs.len()) else { continue };
                let (sub, ms) = &mut subs[k];
                let mut peek = *ms;
                let expected = m.try_recv(&mut peek);
                let got = match op {
                    Op::TryRecv(_) => sub.try_recv(),
                    Op::RecvTimeoutZero(_) => sub.recv_timeout(Duration::ZERO).map_err(|e| match e {
                        RecvTimeoutError::Timeout => RecvError::Empty,
                        RecvTimeoutError::Lagged(n) => RecvError::Lagged(n),
                        RecvTimeoutError::Disconnected => RecvError::Disconnected,
                    }),
                    _ if expected == Err(RecvError::Empty) => continue,
                    _ => sub.recv(),
                };
                assert_eq!(got, expected, "{op:?}");
                *ms = peek;
            }
            Op::TryRecvNow(k) => {
                let Some(k) = pick(k, subs.len()) else { continue };
                let (sub, ms) = &mut subs[k];
                let expected = m.try_recv(ms).map_err(TryRecvNowError::from);
                assert_eq!(sub.try_recv_now(), expected, "{op:?}");
            }
            Op::SkipToLatest(k) => {
                let Some(k) = pick(k, subs.len()) else { continue };
                let (sub, ms) = &mut subs[k];
                assert_eq!(sub.skip_to_latest(), m.skip_to_latest(ms));
            }
            Op::Clone(k) => {
                let Some(k) = pick(k, subs.len()) else { continue };
                if subs.len() < 8 {
                    let c = subs[k].0.clone();
                    subs.push((c, m.new_sub()));
                }
            }
            Op::Subscribe => {
                if let (Some(p), true) = (publisher.as_ref(), subs.len() < 8) {
                    subs.push((p.subscribe(), m.new_sub()));
                }
            }
            Op::DropSubscriber(k) => {
                if let Some(k) = pick(k, subs.len()) {
                    subs.swap_remove(k);
                }
            }
            Op::DropPublisher => {
                publisher = None;
                m.open = false;
            }
        }
        for (sub, _) in &subs {
            assert_eq!(sub.capacity(), cap);
        }
    }
    // Drained, every subscriber ends the same way the model does.
    drop(publisher);
    m.open = false;
    for (mut sub, mut ms) in subs {
        loop {
            let expected = m.try_recv(&mut ms);
            assert_eq!(sub.try_recv(), expected);
            if expected == Err(RecvError::Disconnected) {
                break;
            }
        }
    }
});
