//! Differential fuzzing of `SeqLock` against a plain cell: writes of several
//! value shapes (odd sizes and alignments), reads, try_reads and the sequence.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ringkit::seqlock::SeqLock;

#[derive(Arbitrary, Debug)]
enum Op {
    WriteU8(u8),
    WriteU128(u128),
    WriteArr3([u16; 3]),
    WriteArr15([u64; 15]),
    Read,
}

fuzz_target!(|ops: Vec<Op>| {
    let a = SeqLock::new(0u8);
    let b = SeqLock::new(0u128);
    let c = SeqLock::new([0u16; 3]);
    let d = SeqLock::new([0u64; 15]);
    let (mut ma, mut mb, mut mc, mut md) = (0u8, 0u128, [0u16; 3], [0u64; 15]);
    let mut writes = [0u64; 4];
    for op in ops.iter().take(500) {
        match *op {
            Op::WriteU8(v) => {
                a.write(v);
                ma = v;
                writes[0] += 1;
            }
            Op::WriteU128(v) => {
                b.write(v);
                mb = v;
                writes[1] += 1;
            }
            Op::WriteArr3(v) => {
                c.write(v);
                mc = v;
                writes[2] += 1;
            }
            Op::WriteArr15(v) => {
                d.write(v);
                md = v;
                writes[3] += 1;
            }
            Op::Read => {}
        }
        assert_eq!(a.read(), ma);
        assert_eq!(b.try_read(), Some(mb));
        assert_eq!(c.read(), mc);
        assert_eq!(d.read(), md);
        // Each write moves the sequence by 2 (odd while writing, even after).
        for (seq, n) in [a.seq(), b.seq(), c.seq(), d.seq()].into_iter().zip(writes) {
            assert_eq!(seq, 2 * n);
        }
    }
});
