//! lab (not committed)
use std::time::Instant;
fn pin(core: usize) {
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}
fn main() {
    let mode = std::env::args().nth(1).unwrap();
    let n: u64 = 4_000_000;
    let mut rates = vec![];
    for _ in 0..5 {
        let (tx, rx) = ringkit::mpmc::channel::<u64>(1024);
        let try_mode = mode == "try";
        let p = std::thread::spawn(move || {
            pin(1);
            for i in 0..n {
                if try_mode {
                    while tx.try_push(i).is_err() {
                        std::hint::spin_loop();
                    }
                } else {
                    tx.push(i).unwrap();
                }
            }
            tx
        });
        pin(0);
        let t = Instant::now();
        for i in 0..n {
            let v = if try_mode {
                loop {
                    if let Ok(v) = rx.try_pop() {
                        break v;
                    }
                    std::hint::spin_loop();
                }
            } else {
                rx.pop().unwrap()
            };
            assert_eq!(v, i);
        }
        rates.push(n as f64 / t.elapsed().as_secs_f64() / 1e6);
        drop(p.join().unwrap());
    }
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{mode}: median {:.1} M/s {:?}",
        rates[2],
        rates
            .iter()
            .map(|r| (r * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    );
}
