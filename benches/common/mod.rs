//! Shared by the benches and by the showcase and mpmc_profile examples
//! (`#[path]`-included there): thread pinning, a repetition runner that
//! alternates contestants, medians with min/max, a description of the machine,
//! and one JSON line per result in
//! `target/ringkit-bench/results.jsonl` (read by `scripts/plot-bench`).
//!
//! Every workload function does a bounded amount of work and returns one number
//! per repetition; which way is better is part of the workload's description.
#![allow(dead_code)]

pub mod event;
pub mod mpmc;
pub mod spsc;
pub mod spsc_slice;

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// The CPUs this process was allowed to run on when first asked (before any
/// pinning narrowed the main thread's mask), in increasing order.
fn allowed_cpus() -> &'static [usize] {
    use std::sync::OnceLock;
    static CPUS: OnceLock<Vec<usize>> = OnceLock::new();
    CPUS.get_or_init(|| {
        // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity(0, ..)
        // fills it for the calling thread; CPU_ISSET reads inside it.
        let cpus: Vec<usize> = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
                return vec![0];
            }
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &set))
                .collect()
        };
        if cpus.is_empty() {
            vec![0]
        } else {
            cpus
        }
    })
}

/// Logical cores this process may use (as it started: pinning the main thread
/// does not shrink the answer).
pub fn cores() -> usize {
    allowed_cpus().len()
}

/// Pins the calling thread to the `core`-th allowed CPU (modulo their number).
/// Failure leaves the thread unpinned, which only costs precision.
pub fn pin_to(core: usize) {
    let cpus = allowed_cpus();
    let cpu = cpus[core % cpus.len()];
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes inside it;
    // sched_setaffinity(0, ..) changes only the calling thread's affinity.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// The core the consumer/reader/waiter side runs on (the bench's main thread).
pub const MAIN_CORE: usize = 0;
/// The core the producer/writer/echo side runs on.
pub const OTHER_CORE: usize = 1;

/// Who a contestant is: ringkit itself, a peer, or a physical floor.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Ringkit,
    Peer,
    Floor,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Ringkit => "ringkit",
            Kind::Peer => "peer",
            Kind::Floor => "floor",
        }
    }
}

/// One contestant of a workload: a name and a function that runs one repetition.
pub struct Contestant<'a> {
    pub name: &'static str,
    pub kind: Kind,
    pub run: Box<dyn FnMut() -> f64 + 'a>,
}

impl<'a> Contestant<'a> {
    pub fn new(name: &'static str, kind: Kind, run: impl FnMut() -> f64 + 'a) -> Self {
        Contestant {
            name,
            kind,
            run: Box::new(run),
        }
    }
}

/// Median, min and max of one contestant's repetitions.
#[derive(Clone, Debug)]
pub struct Summary {
    pub name: &'static str,
    pub kind: Kind,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub samples: Vec<f64>,
}

/// A workload's results: one summary per contestant.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub workload: &'static str,
    pub unit: &'static str,
    pub higher_is_better: bool,
    pub rows: Vec<Summary>,
}

/// Median of a non-empty slice (the mean of the middle two for an even length).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Runs `reps` repetitions of every contestant, alternating them: repetition `r`
/// starts with contestant `r % n` and goes round, so no contestant always runs
/// first (after a pause) or last (after a neighbour warmed the caches).
pub fn alternate(
    workload: &'static str,
    unit: &'static str,
    higher_is_better: bool,
    reps: usize,
    contestants: &mut [Contestant<'_>],
) -> Outcome {
    let n = contestants.len();
    let mut samples = vec![Vec::with_capacity(reps); n];
    for r in 0..reps {
        for k in 0..n {
            let i = (r + k) % n;
            samples[i].push((contestants[i].run)());
        }
    }
    let rows = contestants
        .iter()
        .zip(samples)
        .map(|(c, s)| Summary {
            name: c.name,
            kind: c.kind,
            median: median(&s),
            min: s.iter().copied().fold(f64::INFINITY, f64::min),
            max: s.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            samples: s,
        })
        .collect();
    Outcome {
        workload,
        unit,
        higher_is_better,
        rows,
    }
}

impl Outcome {
    /// ringkit's fastest contestant (a workload may run several of its types
    /// or APIs, such as the index ring and the stamped ring): the toolkit's
    /// answer to the workload, which its target is checked on.
    pub fn ringkit(&self) -> Option<&Summary> {
        self.rows
            .iter()
            .filter(|r| r.kind == Kind::Ringkit)
            .max_by(|a, b| self.speed(a.median).total_cmp(&self.speed(b.median)))
    }

    pub fn floor(&self) -> Option<&Summary> {
        self.rows.iter().find(|r| r.kind == Kind::Floor)
    }

    /// The peer with the best median.
    pub fn best_peer(&self) -> Option<&Summary> {
        self.rows
            .iter()
            .filter(|r| r.kind == Kind::Peer)
            .max_by(|a, b| self.speed(a.median).total_cmp(&self.speed(b.median)))
    }

    /// The peer called `name`.
    pub fn peer(&self, name: &str) -> Option<&Summary> {
        self.rows
            .iter()
            .find(|r| r.kind == Kind::Peer && r.name == name)
    }

    /// A value turned into "bigger is faster".
    fn speed(&self, v: f64) -> f64 {
        if self.higher_is_better {
            v
        } else {
            1.0 / v
        }
    }

    /// How many times faster `a` is than `b` (above 1: `a` is faster).
    pub fn speedup(&self, a: &Summary, b: &Summary) -> f64 {
        self.speed(a.median) / self.speed(b.median)
    }

    /// Prints the outcome as a small table.
    pub fn print(&self) {
        println!(
            "\n{} ({}, {}; median [min..max] of {} repetitions, alternated)",
            self.workload,
            self.unit,
            if self.higher_is_better {
                "higher is better"
            } else {
                "lower is better"
            },
            self.rows.first().map_or(0, |r| r.samples.len()),
        );
        for r in &self.rows {
            println!(
                "  {:<28} {:>10.2}  [{:.2}..{:.2}]  spread {:.2}x",
                r.name,
                r.median,
                r.min,
                r.max,
                r.max / r.min
            );
        }
        for rk in self.rows.iter().filter(|r| r.kind == Kind::Ringkit) {
            if let Some(bp) = self.best_peer() {
                println!(
                    "  {} vs best peer ({}): {:.2}x as fast",
                    rk.name,
                    bp.name,
                    self.speedup(rk, bp)
                );
            }
            if let Some(fl) = self.floor() {
                println!(
                    "  {} / floor: {:.2}x (1.00 = as fast as physics allows)",
                    rk.name,
                    rk.median / fl.median
                );
            }
        }
    }
}

/// What machine this is, for the reader and for the results file.
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub load: String,
}

impl Machine {
    pub fn describe() -> Self {
        let cpu = fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|m| m.trim().to_string())
            })
            .unwrap_or_else(|| format!("unknown {} CPU", std::env::consts::ARCH));
        let load = fs::read_to_string("/proc/loadavg")
            .ok()
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| "unknown".into());
        Machine {
            cores: cores(),
            cpu,
            load,
        }
    }
}

/// Where results go: `$RINGKIT_BENCH_OUT`, else `target/ringkit-bench/results.jsonl`
/// under the workspace root (this crate's parent directory), where
/// `scripts/plot-bench` looks.
pub fn results_path() -> PathBuf {
    match std::env::var_os("RINGKIT_BENCH_OUT") {
        Some(p) => PathBuf::from(p),
        None => {
            let manifest_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            let root = manifest_dir.parent().unwrap_or(manifest_dir);
            root.join("target/ringkit-bench/results.jsonl")
        }
    }
}

fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// An id shared by every line of one process's run: seconds since the epoch.
pub fn run_id() -> u64 {
    use std::sync::OnceLock;
    static ID: OnceLock<u64> = OnceLock::new();
    *ID.get_or_init(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    })
}

/// Appends one JSON line per contestant of `outcome` to the results file. A file
/// that cannot be written is reported, not fatal.
pub fn record(source: &str, outcome: &Outcome) {
    let m = Machine::describe();
    let path = results_path();
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    let mut lines = String::new();
    for r in &outcome.rows {
        let samples: Vec<String> = r.samples.iter().map(|s| format!("{s:.4}")).collect();
        lines.push_str(&format!(
            "{{\"run\":{},\"source\":{},\"workload\":{},\"unit\":{},\"higher_is_better\":{},\
             \"contestant\":{},\"kind\":{},\"median\":{:.4},\"min\":{:.4},\"max\":{:.4},\
             \"reps\":{},\"samples\":[{}],\"cores\":{},\"cpu\":{},\"load\":{}}}\n",
            run_id(),
            json_str(source),
            json_str(outcome.workload),
            json_str(outcome.unit),
            outcome.higher_is_better,
            json_str(r.name),
            json_str(r.kind.as_str()),
            r.median,
            r.min,
            r.max,
            r.samples.len(),
            samples.join(","),
            m.cores,
            json_str(&m.cpu),
            json_str(&m.load),
        ));
    }
    let written = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(lines.as_bytes()));
    if let Err(e) = written {
        eprintln!("could not append to {}: {e}", path.display());
    }
}

/// What the issue asks ringkit to reach on a workload, relative to what.
pub enum Versus {
    /// The best peer's median.
    BestPeer,
    /// One named peer's median.
    Peer(&'static str),
    /// The physical floor's median.
    Floor,
}

pub struct Target {
    pub versus: Versus,
    /// Least speedup over the reference (ringkit speed / reference speed, where
    /// speed is the value or its inverse for lower-is-better units).
    pub min_speedup: f64,
    /// Largest max/min spread of ringkit's repetitions, if the target limits it.
    pub max_spread: Option<f64>,
    /// The target as the issue words it.
    pub text: &'static str,
}

/// Workload names of the MPMC workloads (issue 7, workload 4).
pub const MPMC_1P1C: &str = "MPMC 1P1C try-and-spin throughput";
pub const MPMC_1P1C_BLOCKING: &str = "MPMC 1P1C blocking";
pub const MPMC_2P2C_BLOCKING: &str = "MPMC 2P2C blocking, oversubscribed";

/// The speed issue's target for a workload (the wake-up target is the
/// benchmark issue's), by the workload names the benches use.
pub fn target_for(workload: &str) -> Option<Target> {
    let t = |versus, min_speedup, max_spread, text| {
        Some(Target {
            versus,
            min_speedup,
            max_spread,
            text,
        })
    };
    match workload {
        "SPSC per-item throughput" => t(
            Versus::BestPeer,
            1.3,
            Some(2.0),
            ">= 1.3x best peer, spread < 2x",
        ),
        "SPSC batched (64) throughput" => t(Versus::Peer("rtrb"), 1.2, None, ">= 1.2x rtrb"),
        "SPSC round trip p50" => t(Versus::Floor, 1.0 / 1.5, None, "<= 1.5x floor"),
        "event flag read, writer publishing non-stop" => {
            t(Versus::Peer("AtomicCell"), 1.5, None, ">= 1.5x AtomicCell")
        }
        "event flag publish, reader reading non-stop" => {
            t(Versus::Peer("AtomicCell"), 0.8, None, ">= 0.8x AtomicCell")
        }
        "event flag read, no writer" => {
            t(Versus::Peer("AtomicCell"), 1.0, None, ">= 1x AtomicCell")
        }
        "publish-to-waiter wake-up p50" => t(Versus::BestPeer, 1.0, None, "<= best peer"),
        MPMC_1P1C => t(
            Versus::Peer("crossbeam ArrayQueue"),
            2.0,
            None,
            ">= 2x crossbeam ArrayQueue",
        ),
        MPMC_1P1C_BLOCKING | MPMC_2P2C_BLOCKING => {
            t(Versus::Peer("kanal"), 1.2, None, ">= 1.2x kanal")
        }
        _ => None,
    }
}

impl Outcome {
    /// The reference a target names, if this outcome has it.
    pub fn reference(&self, v: &Versus) -> Option<&Summary> {
        match v {
            Versus::BestPeer => self.best_peer(),
            Versus::Peer(name) => self.peer(name),
            Versus::Floor => self.floor(),
        }
    }

    /// Ringkit's speedup over the target's reference, and whether the target is met.
    pub fn check(&self, t: &Target) -> Option<(f64, bool)> {
        let rk = self.ringkit()?;
        let reference = self.reference(&t.versus)?;
        let s = self.speedup(rk, reference);
        let spread_ok = t.max_spread.map_or(true, |m| rk.max / rk.min < m);
        Some((s, s >= t.min_speedup && spread_ok))
    }
}

/// How a bench binary was asked to run: `--test` (the smoke run: everything once,
/// tiny) and `RINGKIT_BENCH_ONLY` (`criterion` or `compare` runs one half only).
pub struct BenchMode {
    pub test: bool,
    only: String,
}

impl BenchMode {
    pub fn from_env() -> Self {
        BenchMode {
            test: std::env::args().any(|a| a == "--test"),
            only: std::env::var("RINGKIT_BENCH_ONLY").unwrap_or_default(),
        }
    }

    /// Whether to run the criterion pass.
    pub fn criterion(&self) -> bool {
        self.only != "compare"
    }

    /// Whether to run the alternating side-by-side comparison.
    pub fn compare(&self) -> bool {
        self.only != "criterion"
    }
}

/// Runs one criterion pass with the settings every bench shares.
pub fn run_criterion(pass: impl FnOnce(&mut criterion::Criterion)) {
    let mut c = criterion::Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .configure_from_args();
    pass(&mut c);
    c.final_summary();
}

/// An integer from the environment, or `default`.
pub fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
