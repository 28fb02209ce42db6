//! Placeholder until the peer benches land (issue 7): ringkit's own SPSC throughput.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn spsc_throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("spsc_same_thread");
    g.throughput(Throughput::Elements(1));
    let (mut tx, mut rx) = ringkit::spsc::channel::<u64>(1024);
    g.bench_function("push_pop", |b| {
        b.iter(|| {
            tx.try_push(1).unwrap();
            rx.try_pop().unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, spsc_throughput);
criterion_main!(benches);
