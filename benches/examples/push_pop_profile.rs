//! One thread, `N` rounds of one push and one pop, for an instruction-count
//! profile under callgrind (`scripts/callgrind-push-pop` runs it and prints
//! instructions per push+pop for ringkit and rtrb). Not a timing benchmark.
//!
//! Usage: `push_pop_profile ringkit|rtrb|ringkit-chunks|rtrb-chunks|mpmc-ringkit|mpmc-arrayqueue N`
//! (the `-chunks` modes move the `N` items in 64-item chunks; the `mpmc-` modes
//! push and pop one item on ringkit's `mpmc::Queue` or crossbeam's `ArrayQueue`).
//! ringkit registers for membarrier(2) when a ring is made, so its notify path is a
//! compiler fence from the first operation on.

use std::hint::black_box;

#[inline(never)]
fn ringkit_rounds(n: u64) -> u64 {
    let (mut tx, mut rx) = ringkit::spsc::channel::<u64>(1024);
    let mut sum = 0u64;
    for i in 0..n {
        tx.try_push(black_box(i)).unwrap();
        sum = sum.wrapping_add(rx.try_pop().unwrap());
    }
    sum
}

#[inline(never)]
fn rtrb_rounds(n: u64) -> u64 {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(1024);
    let mut sum = 0u64;
    for i in 0..n {
        tx.push(black_box(i)).unwrap();
        sum = sum.wrapping_add(rx.pop().unwrap());
    }
    sum
}

/// `n` rounds (a multiple of 64 is best) as 64-item chunks: one write chunk filled
/// from an iterator, one read chunk summed and committed.
#[inline(never)]
fn ringkit_chunks(n: u64) -> u64 {
    let (mut tx, mut rx) = ringkit::spsc::channel::<u64>(1024);
    let mut sum = 0u64;
    let mut next = 0u64;
    while next < n {
        let k = (n - next).min(64);
        let chunk = tx.write_chunk_uninit(k as usize).unwrap();
        chunk.fill_from_iter(black_box(next)..next + k);
        let chunk = rx.read_chunk(k as usize).unwrap();
        let (a, b) = chunk.as_slices();
        sum = a.iter().chain(b).fold(sum, |s, &v| s.wrapping_add(v));
        chunk.commit_all();
        next += k;
    }
    sum
}

#[inline(never)]
fn rtrb_chunks(n: u64) -> u64 {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(1024);
    let mut sum = 0u64;
    let mut next = 0u64;
    while next < n {
        let k = (n - next).min(64);
        let chunk = tx.write_chunk_uninit(k as usize).unwrap();
        chunk.fill_from_iter(black_box(next)..next + k);
        let chunk = rx.read_chunk(k as usize).unwrap();
        let (a, b) = chunk.as_slices();
        sum = a.iter().chain(b).fold(sum, |s, &v| s.wrapping_add(v));
        chunk.commit_all();
        next += k;
    }
    sum
}

#[inline(never)]
fn mpmc_ringkit_rounds(n: u64) -> u64 {
    let q = ringkit::mpmc::Queue::<u64>::new(1024);
    let mut sum = 0u64;
    for i in 0..n {
        q.try_push(black_box(i)).unwrap();
        sum = sum.wrapping_add(q.try_pop().unwrap());
    }
    sum
}

#[inline(never)]
fn mpmc_arrayqueue_rounds(n: u64) -> u64 {
    let q = crossbeam_queue::ArrayQueue::<u64>::new(1024);
    let mut sum = 0u64;
    for i in 0..n {
        q.push(black_box(i)).unwrap();
        sum = sum.wrapping_add(q.pop().unwrap());
    }
    sum
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("ringkit", String::as_str);
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let sum = match which {
        "ringkit" => ringkit_rounds(n),
        "rtrb" => rtrb_rounds(n),
        "ringkit-chunks" => ringkit_chunks(n),
        "rtrb-chunks" => rtrb_chunks(n),
        "mpmc-ringkit" => mpmc_ringkit_rounds(n),
        "mpmc-arrayqueue" => mpmc_arrayqueue_rounds(n),
        other => panic!(
            "unknown ring {other:?}: use ringkit, rtrb, ringkit-chunks, rtrb-chunks, \
             mpmc-ringkit or mpmc-arrayqueue"
        ),
    };
    assert_eq!(black_box(sum), n * n.wrapping_sub(1) / 2);
}
