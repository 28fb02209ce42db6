//! Differential fuzzing of `EventFlag` and `Event` (manual- and auto-reset)
//! against simple models, single-threaded: every result, generation and flag state
//! is compared. Waits use a zero timeout, so nothing blocks; a manual-reset wait
//! that began at an earlier ticket is finished only when the model says a set has
//! released it (it must then return at once, even if the event was reset since).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::event::{Event, EventFlag};
use std::time::Duration;

#[derive(Arbitrary, Debug)]
enum Op {
    Publish([u32; 3]),
    Read,
    TryRead,
    WaitNewerZero(u8),
    Set(bool),
    Reset(bool),
    WaitZero(bool),
    IsSet(bool),
    /// Begins a manual-reset wait: remembers a ticket.
    Ticket,
    /// Finishes the manual-reset wait of the remembered ticket, if the model says
    /// a set has released it.
    WaitFrom,
}

fuzz_target!(|ops: Vec<Op>| {
    let flag = EventFlag::new([0u32; 3]);
    let (mut generation, mut value) = (0u64, [0u32; 3]);
    let manual = Event::manual_reset();
    let auto = Event::auto_reset();
    let (mut manual_set, mut auto_set) = (false, false);
    // Manual-reset sets that found the event unset, and the remembered ticket
    // with the model's state when it was taken.
    let mut manual_sets = 0u64;
    let mut ticket: Option<(usize, bool, u64)> = None;
    for op in ops.iter().take(500) {
        match *op {
            Op::Publish(v) => {
                generation += 1;
                value = v;
                assert_eq!(flag.publish(v), generation);
            }
            Op::Read => assert_eq!(flag.read(), (generation, value)),
            Op::TryRead => assert_eq!(flag.try_read(), Some((generation, value))),
            Op::WaitNewerZero(back) => {
                let seen = generation.saturating_sub(back as u64 % 3);
                let got = flag.wait_newer_timeout(seen, Duration::ZERO);
                if seen < generation {
                    assert_eq!(got, Ok((generation, value)));
                } else {
                    assert!(got.is_err());
                }
            }
            Op::Set(is_auto) => {
                if is_auto {
                    auto.set();
                    auto_set = true;
                } else {
                    manual.set();
                    if !manual_set {
                        manual_sets += 1;
                    }
                    manual_set = true;
                }
            }
            Op::Reset(is_auto) => {
                if is_auto {
                    auto.reset();
                    auto_set = false;
                } else {
                    manual.reset();
                    manual_set = false;
                }
            }
            Op::WaitZero(is_auto) => {
                if is_auto {
                    // Consumes the pending set, if any.
                    assert_eq!(auto.wait_timeout(Duration::ZERO).is_ok(), auto_set);
                    auto_set = false;
                } else {
                    assert_eq!(manual.wait_timeout(Duration::ZERO).is_ok(), manual_set);
                }
            }
            Op::IsSet(is_auto) => {
                if is_auto {
                    assert_eq!(auto.is_set(), auto_set);
                } else {
                    assert_eq!(manual.is_set(), manual_set);
                }
            }
            Op::Ticket => ticket = Some((manual.ticket(), manual_set, manual_sets)),
            Op::WaitFrom => {
                if let Some((t, was_set, sets)) = ticket {
                    if was_set || manual_sets > sets {
                        manual.wait_from(t);
                    }
                }
            }
        }
        assert_eq!(flag.generation(), generation);
    }
});
