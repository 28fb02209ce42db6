//! Fuzzing of the stamped SPSC ring (`spsc::stamped`), in two parts.
//!
//! 1. One thread, against a `VecDeque` model, positions starting near
//!    `usize::MAX`: every `try_push` and `try_pop` must give exactly the model's
//!    answer (full and empty are never spurious), and the sequence numbers count.
//! 2. A producer thread and a consumer thread run the input's schedules (tries,
//!    yields, either side leaving early). The consumer must receive exactly what
//!    was pushed, in order, with matching sequence numbers, then `Disconnected`;
//!    a producer whose consumer left gets its value back as `Disconnected`.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::spsc::stamped::{channel, channel_starting_at};
use ringkit::{PopError, PushError};
use std::collections::VecDeque;
use std::thread;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Push,
    Pop,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum P {
    TryPush,
    Yield,
    Leave,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum C {
    TryPop,
    Yield,
    Leave,
}

#[derive(Arbitrary, Debug)]
struct Input {
    capacity: u8,
    /// How far below `usize::MAX` the positions of part 1 start.
    below_wrap: u8,
    ops: Vec<Op>,
    producer: Vec<P>,
    consumer: Vec<C>,
}

fuzz_target!(|input: Input| {
    let cap = (input.capacity % 8) as usize + 1;

    // Part 1: exact answers against a model, across the wrap.
    let start = usize::MAX - input.below_wrap as usize;
    let (mut tx, mut rx) = channel_starting_at::<u32>(cap, start);
    let mut model = VecDeque::new();
    let mut next = 0u32;
    for op in input.ops.iter().take(256) {
        match op {
            Op::Push => {
                let r = tx.try_push(next);
                if model.len() < cap {
                    assert_eq!(r, Ok(()), "a push into a ring with room");
                    model.push_back(next);
                } else {
                    assert_eq!(r, Err(PushError::Full(next)), "a push into a full ring");
                }
                next += 1;
            }
            Op::Pop => {
                let seq = rx.next_seq();
                match (rx.try_pop(), model.pop_front()) {
                    (Ok(v), Some(m)) => {
                        assert_eq!(v, m, "order");
                        assert_eq!(rx.next_seq(), seq.wrapping_add(1), "sequence number");
                    }
                    (Err(PopError::Empty), None) => assert_eq!(rx.next_seq(), seq),
                    (r, m) => panic!("pop gave {r:?}, the model {m:?}"),
                }
            }
        }
    }

    // Part 2: two threads.
    let (mut tx, mut rx) = channel::<u64>(cap);
    let producer_ops: Vec<P> = input.producer.into_iter().take(64).collect();
    let consumer_ops: Vec<C> = input.consumer.into_iter().take(64).collect();
    let producer = thread::spawn(move || {
        let mut pushed = 0u64;
        for op in producer_ops {
            match op {
                P::TryPush => match tx.try_push(pushed) {
                    Ok(()) => pushed += 1,
                    Err(PushError::Full(v)) => assert_eq!(v, pushed),
                    Err(PushError::Disconnected(v)) => {
                        assert_eq!(v, pushed);
                        assert!(tx.is_disconnected());
                    }
                },
                P::Yield => thread::yield_now(),
                P::Leave => break,
            }
        }
        pushed // dropping `tx` disconnects
    });
    let mut got = 0u64;
    let mut stayed = true;
    for op in consumer_ops {
        match op {
            C::TryPop => {
                let seq = rx.next_seq();
                match rx.try_pop() {
                    Ok(v) => {
                        assert_eq!((v, seq), (got, got), "order and sequence number");
                        got += 1;
                    }
                    Err(PopError::Empty) => {}
                    Err(PopError::Disconnected) => assert!(rx.is_disconnected()),
                }
            }
            C::Yield => thread::yield_now(),
            C::Leave => {
                stayed = false;
                break;
            }
        }
    }
    if stayed {
        // Drain: the producer's schedule is finite, so Disconnected comes.
        loop {
            match rx.try_pop() {
                Ok(v) => {
                    assert_eq!(v, got, "order");
                    got += 1;
                }
                Err(PopError::Empty) => thread::yield_now(),
                Err(PopError::Disconnected) => break,
            }
        }
        let pushed = producer.join().unwrap();
        assert_eq!(got, pushed, "every pushed item arrives once");
    } else {
        drop(rx);
        let pushed = producer.join().unwrap();
        assert!(got <= pushed);
    }
});
