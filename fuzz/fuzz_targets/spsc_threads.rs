//! Concurrent fuzzing of the SPSC ring: the input chooses a small schedule of
//! operations for a producer thread and a consumer thread (single and chunked,
//! blocking and non-blocking, with yields, chunk iterators forgotten half-way).
//! Afterwards the consumer must have received exactly what was sent, in order,
//! with matching sequence numbers, and neither side may wait forever on the other.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::spsc::channel;
use ringkit::PopError;
use std::thread;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum P {
    TryPush,
    Push,
    Chunk(u8),
    Yield,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum C {
    TryPop,
    Pop,
    Chunk(u8),
    Iter(u8),
    /// Take some of a chunk's items through its iterator, then forget it.
    ForgetIter(u8, u8),
    Yield,
}

#[derive(Arbitrary, Debug)]
struct Input {
    capacity: u8,
    producer: Vec<P>,
    consumer: Vec<C>,
}

fuzz_target!(|input: Input| {
    let cap = (input.capacity % 8) as usize + 1;
    let (mut tx, mut rx) = channel::<u64>(cap);
    let producer_ops: Vec<P> = input.producer.into_iter().take(64).collect();
    let consumer_ops: Vec<C> = input.consumer.into_iter().take(64).collect();

    let producer = thread::spawn(move || {
        let mut next = 0u64;
        for op in producer_ops {
            match op {
                P::TryPush => {
                    if tx.try_push(next).is_ok() {
                        next += 1;
                    }
                }
                P::Push => {
                    tx.push(next).expect("the consumer drains before it leaves");
                    next += 1;
                }
                P::Chunk(k) => {
                    if let Ok(chunk) = tx.write_chunk_uninit(k as usize % (cap + 1)) {
                        let n = chunk.len() as u64;
                        next += chunk.fill_from_iter(next..next + n) as u64;
                    }
                }
                P::Yield => thread::yield_now(),
            }
        }
        next // dropping `tx` disconnects
    });

    let mut got = Vec::new();
    let take = |v: u64, seq_before: u64, got: &mut Vec<u64>| {
        assert_eq!(seq_before, got.len() as u64, "sequence number");
        got.push(v);
    };
    for op in consumer_ops {
        match op {
            C::TryPop => {
                let seq = rx.next_seq();
                if let Ok(v) = rx.try_pop() {
                    take(v, seq, &mut got);
                }
            }
            C::Pop => {
                let seq = rx.next_seq();
                match rx.pop() {
                    Ok(v) => take(v, seq, &mut got),
                    Err(PopError::Disconnected) => break,
                    Err(PopError::Empty) => unreachable!("pop without timeout"),
                }
            }
            C::Chunk(k) => {
                if let Ok(chunk) = rx.read_chunk(k as usize % (cap + 1)) {
                    let seq = chunk.first_seq();
                    let (a, b) = chunk.as_slices();
                    for (i, &v) in a.iter().chain(b).enumerate() {
                        take(v, seq + i as u64, &mut got);
                    }
                    chunk.commit_all();
                }
            }
            C::Iter(k) => {
                if let Ok(chunk) = rx.read_chunk(k as usize % (cap + 1)) {
                    let seq = chunk.first_seq();
                    for (i, v) in chunk.into_iter().enumerate() {
                        take(v, seq + i as u64, &mut got);
                    }
                }
            }
            C::ForgetIter(k, m) => {
                if let Ok(chunk) = rx.read_chunk(k as usize % (cap + 1)) {
                    let seq = chunk.first_seq();
                    let mut it = chunk.into_iter();
                    for i in 0..(m as usize % (it.len() + 1)) {
                        take(it.next().unwrap(), seq + i as u64, &mut got);
                    }
                    std::mem::forget(it);
                }
            }
            C::Yield => thread::yield_now(),
        }
    }
    // Drain until the producer is gone and the ring is empty.
    loop {
        let seq = rx.next_seq();
        match rx.pop() {
            Ok(v) => take(v, seq, &mut got),
            Err(_) => break,
        }
    }
    let sent = producer.join().unwrap();
    assert_eq!(got, (0..sent).collect::<Vec<_>>(), "exactly once, in order");
});
