//! Acknowledged delivery over two SPSC rings: the sender keeps each transfer
//! until the receiver acknowledges it and sends it again if no acknowledgement
//! comes in time; the receiver recognises a transfer it has already applied by
//! its id, so each one moves money exactly once, even though some
//! acknowledgements get lost on the way.
//!
//! `cargo run --example ack_resend`

use ringkit::dedup::Dedup;
use ringkit::resend::Outstanding;
use ringkit::{spsc, PopTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const TRANSFERS: u64 = 1_000;

#[derive(Debug)]
struct Transfer {
    cents: u64,
}

fn main() {
    // Copies of a transfer travel as `Arc`s: a resend costs no allocation.
    let (mut requests, mut inbox) = spsc::channel::<(u64, Arc<Transfer>)>(64);
    let (mut acks, mut acked) = spsc::channel::<u64>(64);

    let receiver = thread::spawn(move || {
        // The sender keeps at most 32 transfers unacknowledged, so a window of
        // twice that recognises every copy that comes again.
        let mut applied = Dedup::new(2 * 32);
        let mut balance = 0;
        let (mut copies, mut lost_acks) = (0u64, 0);
        // `pop` parks while the ring is empty; it ends once the sender has
        // hung up and every copy it sent has been taken.
        while let Ok((id, transfer)) = inbox.pop() {
            if !applied.is_duplicate(&id) {
                balance += transfer.cents; // the effect
                applied.record(id); // only once it has happened
            }
            // Acknowledge every copy, a duplicate too: the acknowledgement
            // lost may have been the first one. Here every seventh one is
            // lost (and one that finds the ring full or the sender gone).
            copies += 1;
            if copies % 7 == 0 || acks.try_push(id).is_err() {
                lost_acks += 1;
            }
        }
        (balance, applied.duplicates(), lost_acks)
    });

    let mut pending: Outstanding<Arc<Transfer>> = Outstanding::new(32, Duration::from_millis(1));
    let mut next = 0; // transfer `i` moves `i + 1` cents
    let mut resent = 0;
    loop {
        while let Ok(id) = acked.try_pop() {
            pending.ack(id); // an id acknowledged twice is simply not there
        }
        if next == TRANSFERS && pending.is_empty() {
            break;
        }
        // Whatever waited too long for its acknowledgement goes again.
        let now = Instant::now();
        for (id, transfer) in pending.due_at(now) {
            requests.push((id, transfer.clone())).unwrap();
            resent += 1;
        }
        if next < TRANSFERS && !pending.is_full() {
            let transfer = Arc::new(Transfer { cents: next + 1 });
            let id = pending.send_at(transfer.clone(), now).unwrap();
            requests.push((id, transfer)).unwrap();
            next += 1;
            continue;
        }
        // Nothing to send: park until an acknowledgement comes or the next
        // transfer is due again.
        let deadline = pending.next_deadline().expect("a transfer is outstanding");
        match acked.pop_until(deadline) {
            Ok(id) => drop(pending.ack(id)),
            Err(PopTimeoutError::Timeout) => {}
            Err(PopTimeoutError::Disconnected) => panic!("the receiver is gone"),
        }
    }
    drop(requests); // hang up: the receiver drains the ring and ends

    let (balance, duplicates, lost_acks) = receiver.join().unwrap();
    println!(
        "{TRANSFERS} transfers, {resent} copies resent, {lost_acks} acknowledgements lost, \
         {duplicates} duplicates recognised"
    );
    println!("balance: {balance} cents");
    assert_eq!(
        balance,
        TRANSFERS * (TRANSFERS + 1) / 2,
        "each transfer applied once"
    );
    // Without resends every copy would be the only one of its transfer, and a
    // transfer whose acknowledgement was lost would never leave `pending`.
    assert!(lost_acks > 0 && resent > 0);
    // The ring keeps order and loses nothing: every copy resent arrives after
    // the first copy of its transfer, as a duplicate.
    assert_eq!(duplicates, resent, "every copy resent was recognised");
}
