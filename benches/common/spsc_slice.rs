//! ringkit's `push_slice`/`pop_slice` (for `T: Copy`) as a contestant of the
//! chunked workload (workload 2), next to its chunk API. The items go through a
//! stack buffer of `CHUNK`, as they do for ringbuf's `push_slice`/`pop_slice`.

use super::spsc::{Ringkit, Spsc, SpscChunks, CHUNK};

pub struct RingkitSlice;

impl Spsc for RingkitSlice {
    type Tx = <Ringkit as Spsc>::Tx;
    type Rx = <Ringkit as Spsc>::Rx;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        Ringkit::channel(capacity)
    }
    #[inline(always)]
    fn try_push(tx: &mut Self::Tx, v: u64) -> bool {
        Ringkit::try_push(tx, v)
    }
    #[inline(always)]
    fn try_pop(rx: &mut Self::Rx) -> Option<u64> {
        Ringkit::try_pop(rx)
    }
}

impl SpscChunks for RingkitSlice {
    #[inline(always)]
    fn push_chunk(tx: &mut Self::Tx, next: u64, n: usize) -> usize {
        let mut buf = [0u64; CHUNK];
        let n = n.min(CHUNK);
        for (k, slot) in buf[..n].iter_mut().enumerate() {
            *slot = next + k as u64;
        }
        tx.push_slice(&buf[..n])
    }
    #[inline(always)]
    fn pop_chunk(rx: &mut Self::Rx, n: usize, sum: &mut u64) -> usize {
        let mut buf = [0u64; CHUNK];
        let got = rx.pop_slice(&mut buf[..n.min(CHUNK)]);
        *sum = buf[..got].iter().fold(*sum, |s, &v| s.wrapping_add(v));
        got
    }
}
