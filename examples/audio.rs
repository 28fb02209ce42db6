//! Audio-style streaming on an SPSC ring with zero-copy chunks.
//!
//! A capture thread writes blocks of `f32` samples straight into the ring's slots
//! (`write_chunk_uninit` + `fill_from_iter`); the playback thread reads periods of
//! a different size in place (`read_chunk`), applies a gain in place, checks every
//! sample and only then commits, which hands the slots back. No sample is copied
//! through an intermediate buffer, and neither side ever blocks in the ring.
//!
//! `cargo run --example audio`

use ringkit::{spsc, ChunkError};
use std::thread;

const RATE: f32 = 48_000.0;
const BLOCK: usize = 96; // samples per capture block
const BLOCKS: usize = 250; // 24_000 samples: half a second
const PERIOD: usize = 128; // samples per playback period (not a multiple of BLOCK)
const GAIN: f32 = 0.5;

/// Sample `i` of a 440 Hz sine; both threads compute the same bits for the same `i`.
fn sample(i: u64) -> f32 {
    (2.0 * std::f32::consts::PI * 440.0 * i as f32 / RATE).sin()
}

fn main() {
    // About 10 ms of audio. 500 is a multiple of neither block size, so chunks on
    // both sides wrap around the end of the buffer and come as two slices.
    let (mut tx, mut rx) = spsc::channel::<f32>(500);

    let capture = thread::spawn(move || {
        for b in 0..BLOCKS as u64 {
            let start = b * BLOCK as u64;
            // A real capture callback would not wait (it would drop the block and
            // count an overrun); this generator has no clock, so it yields until
            // a whole block is free.
            let chunk = loop {
                match tx.write_chunk_uninit(BLOCK) {
                    Ok(chunk) => break chunk,
                    Err(ChunkError::TooFewSlots { .. }) => thread::yield_now(),
                    Err(e) => panic!("capture: {e}"),
                }
            };
            // Writes each sample into its slot and publishes the block at once.
            let written = chunk.fill_from_iter((start..start + BLOCK as u64).map(sample));
            assert_eq!(written, BLOCK);
        }
    }); // dropping `tx` tells playback the stream has ended

    let (mut played, mut peak) = (0u64, 0f32);
    let mut want = PERIOD;
    loop {
        match rx.read_chunk(want) {
            Ok(mut chunk) => {
                // Sequence numbers count samples: nothing lost, nothing reordered.
                assert_eq!(chunk.first_seq(), played);
                let (a, b) = chunk.as_mut_slices();
                for (k, s) in a.iter_mut().chain(b).enumerate() {
                    *s *= GAIN; // process in place, as a DSP stage would
                    assert_eq!(*s, GAIN * sample(played + k as u64));
                    peak = peak.max(s.abs());
                }
                played += chunk.len() as u64;
                chunk.commit_all(); // only now may capture reuse these slots
            }
            Err(ChunkError::TooFewItems { .. }) => {
                if !rx.is_disconnected() {
                    thread::yield_now(); // a real device would wait for its next period
                    continue;
                }
                // Capture is gone: what the ring holds is all there will be (the
                // length is read after the flag, so no sample written before the
                // drop is missed). Play it as a short last period, then stop.
                want = rx.len();
                if want == 0 {
                    break;
                }
            }
            Err(e) => panic!("playback: {e}"),
        }
    }
    capture.join().unwrap();

    println!("played {played} samples, peak {peak:.3}");
    assert_eq!(played, (BLOCKS * BLOCK) as u64);
    assert!((peak - GAIN).abs() < 1e-3, "a full sine period was played");
}
