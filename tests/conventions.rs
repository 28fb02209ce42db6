//! Conventions a user of crossbeam, tokio or rtrb expects: a misuse panic points at
//! the caller's line (`#[track_caller]`), and every public type can be printed.
//!
//! The panic-location test swaps the process-wide panic hook, so it is the only
//! test in this binary that panics.

#![cfg(feature = "std")]

use ringkit::dispatch::{self, Retry};
use ringkit::resend::Outstanding;
use ringkit::{broadcast, mpmc, spsc};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

/// Runs `f`, which must panic, and returns the file the panic names.
fn panic_file(f: impl FnOnce()) -> String {
    let file = Arc::new(Mutex::new(None));
    let seen = file.clone();
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        *seen.lock().unwrap() = info.location().map(|l| l.file().to_string());
    }));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    assert!(result.is_err(), "expected a panic");
    let file = file.lock().unwrap().take();
    file.expect("the panic names a location")
}

#[test]
fn misuse_panics_name_the_callers_line() {
    let here = file!();
    assert_eq!(panic_file(|| drop(spsc::channel::<u8>(0))), here);
    assert_eq!(
        panic_file(|| drop(spsc::channel_starting_at::<u8>(0, 5))),
        here
    );
    assert_eq!(panic_file(|| drop(mpmc::channel::<u8>(0))), here);
    assert_eq!(panic_file(|| drop(mpmc::Queue::<u8>::new(0))), here);
    assert_eq!(panic_file(|| drop(broadcast::channel::<u8>(0))), here);
    assert_eq!(panic_file(|| drop(dispatch::jobs(0))), here);
    assert_eq!(panic_file(|| drop(Retry::<u8, ()>::attempts(0))), here);
    let resend_after = std::time::Duration::from_millis(1);
    assert_eq!(
        panic_file(|| drop(Outstanding::<u8>::new(0, resend_after))),
        here
    );
    assert_eq!(
        panic_file(|| drop(Outstanding::<u8>::new(1, resend_after).with_max_attempts(0))),
        here
    );

    let mut selector = ringkit::select::Selector::new();
    assert_eq!(
        panic_file(|| {
            let _ = selector.select(&[]);
        }),
        here
    );
    let timeout = std::time::Duration::from_millis(1);
    assert_eq!(
        panic_file(|| {
            let _ = selector.select_timeout(&[], timeout);
        }),
        here
    );
    let deadline = std::time::Instant::now();
    assert_eq!(
        panic_file(|| {
            let _ = selector.select_deadline(&[], deadline);
        }),
        here
    );

    let (mut tx, mut rx) = spsc::channel::<u8>(4);
    assert_eq!(panic_file(|| tx.write_chunk(2).unwrap().commit(3)), here);
    tx.try_push(1).unwrap();
    assert_eq!(panic_file(|| rx.read_chunk(1).unwrap().commit(2)), here);
    // Neither bad commit moved anything.
    assert_eq!(rx.try_pop(), Ok(1));
    assert_eq!(rx.try_pop(), Err(ringkit::PopError::Empty));
}

#[test]
fn chunks_and_iterators_print_their_extent() {
    let (mut tx, mut rx) = spsc::channel::<u32>(8);
    assert_eq!(
        format!("{:?}", tx.write_chunk_uninit(3).unwrap()),
        "WriteChunkUninit { len: 3 }"
    );
    assert_eq!(
        format!("{:?}", tx.write_chunk(2).unwrap()),
        "WriteChunk { len: 2 }"
    );
    for v in 0..4 {
        tx.try_push(v).unwrap();
    }
    assert_eq!(rx.try_pop(), Ok(0));
    let chunk = rx.read_chunk(2).unwrap();
    assert_eq!(format!("{chunk:?}"), "ReadChunk { first_seq: 1, len: 2 }");
    let mut items = chunk.into_iter();
    assert_eq!(items.next(), Some(1));
    assert_eq!(format!("{items:?}"), "ReadChunkIntoIter { left: 1 }");
    drop(items);
    assert!(format!("{:?}", rx.try_iter()).starts_with("TryIter(Consumer {"));
    assert!(format!("{:?}", rx.into_iter()).starts_with("IntoIter(Consumer {"));

    let (mtx, mrx) = mpmc::channel::<u32>(2);
    assert!(format!("{:?}", mrx.try_iter()).starts_with("TryIter(Receiver {"));
    assert!(format!("{:?}", mrx.iter()).starts_with("Iter(Receiver {"));
    drop(mtx);
    assert!(format!("{:?}", mrx.into_iter()).starts_with("IntoIter(Receiver {"));

    let flag = ringkit::event::EventFlag::new(0u8);
    assert_eq!(
        format!("{:?}", flag.newer_than(0)),
        "Newer { seen: 0, generation: 0 }"
    );
    assert!(format!("{:?}", ringkit::select::Selector::new()).starts_with("Selector {"));
}
