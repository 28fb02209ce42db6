//! Concurrent fuzzing of the MPMC channel: the input chooses small schedules for
//! two producer threads and one consumer thread (try and blocking operations,
//! yields). Afterwards every item sent was received exactly once, and each
//! producer's items arrived in the order it sent them.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::mpmc::channel;
use ringkit::PopError;
use std::thread;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum P {
    TryPush,
    Push,
    Yield,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum C {
    TryPop,
    Pop,
    Yield,
}

#[derive(Arbitrary, Debug)]
struct Input {
    capacity: u8,
    producers: [Vec<P>; 2],
    consumer: Vec<C>,
}

fuzz_target!(|input: Input| {
    let cap = (input.capacity % 6) as usize + 1;
    let (tx, rx) = channel::<(u8, u32)>(cap);
    let handles: Vec<_> = input
        .producers
        .iter()
        .enumerate()
        .map(|(id, ops)| {
            let ops: Vec<P> = ops.iter().copied().take(48).collect();
            let tx = tx.clone();
            thread::spawn(move || {
                let mut next = 0u32;
                for op in ops {
                    match op {
                        P::TryPush => {
                            if tx.try_push((id as u8, next)).is_ok() {
                                next += 1;
                            }
                        }
                        P::Push => {
                            tx.push((id as u8, next)).expect("the receiver drains before it leaves");
                            next += 1;
                        }
                        P::Yield => thread::yield_now(),
                    }
                }
                next
            })
        })
        .collect();
    drop(tx);

    let mut got: Vec<(u8, u32)> = Vec::new();
    for op in input.consumer.iter().take(96) {
        match op {
            C::TryPop => {
                if let Ok(v) = rx.try_pop() {
                    got.push(v);
                }
            }
            C::Pop => match rx.pop() {
                Ok(v) => got.push(v),
                Err(PopError::Disconnected) => break,
                Err(PopError::Empty) => unreachable!("pop without timeout"),
            },
            C::Yield => thread::yield_now(),
        }
    }
    // Drain until both producers are gone and the queue is empty.
    got.extend(rx.iter());
    let sent: Vec<u32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (id, &n) in sent.iter().enumerate() {
        let mine: Vec<u32> = got.iter().filter(|v| v.0 as usize == id).map(|v| v.1).collect();
        assert_eq!(mine, (0..n).collect::<Vec<_>>(), "producer {id}: exactly once, in order");
    }
    assert_eq!(got.len() as u32, sent.iter().sum::<u32>());
});
