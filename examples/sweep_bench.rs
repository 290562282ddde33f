//! Sweep and shrink speed: seeds per second of a 1,000-seed sweep of a bundled swarm
//! scenario on one thread and on two, measured alternately in the same process so the
//! ratio is fair on a noisy machine; and the time to shrink the test suite's swarm
//! failure. Medians of `ROUNDS` rounds.
//!
//!     cargo run --release --example sweep_bench [-- SCENARIO SEEDS ROUNDS]

// A benchmark: it measures wall-clock time by design.
#![allow(clippy::disallowed_methods)]

use gameday::explore::{shrink, sweep};
use gameday::scenario;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Pure arithmetic, no memory: what two threads can get from this machine at all.
fn spin() -> u64 {
    let mut x: u64 = 1;
    for i in 0..400_000_000u64 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i);
    }
    x
}

/// The speedup of two spinning threads over one: the machine's parallel ceiling now.
fn ceiling() -> f64 {
    let t = Instant::now();
    std::hint::black_box(spin());
    let one = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let h = std::thread::spawn(spin);
    std::hint::black_box(spin());
    std::hint::black_box(h.join().expect("joins"));
    2.0 * one / t.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map_or("scenarios/swarm-unfenced.json", String::as_str);
    let n: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let rounds: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(3);
    let s = scenario::load(path).expect("a valid scenario");
    let seeds: Vec<u64> = (1..=n).collect();
    let (mut one, mut two, mut ceil) = (Vec::new(), Vec::new(), Vec::new());
    let mut outputs = Vec::new();
    for _ in 0..rounds {
        ceil.push(ceiling());
        for (jobs, out) in [(1, &mut one), (2, &mut two)] {
            let t = Instant::now();
            let (records, _, _) = sweep::sweep(&s, &seeds, None, jobs, &|_| {});
            out.push(n as f64 / t.elapsed().as_secs_f64());
            outputs.push(records);
        }
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "every sweep gives the same records");
    let (a, b) = (median(one), median(two));
    println!(
        "{{\"scenario\":\"{path}\",\"seeds\":{n},\"rounds\":{rounds},\"seeds_per_s_jobs1\":{a:.1},\"seeds_per_s_jobs2\":{b:.1},\"speedup\":{:.3},\"machine_two_thread_ceiling\":{:.3}}}",
        b / a,
        median(ceil)
    );
    let mut times = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let r = shrink::shrink("scenarios/swarm-unfenced.json", 3, Some("single_writer"), 400)
            .expect("shrinks");
        times.push(t.elapsed().as_secs_f64());
        assert!(r.after.faults <= 3);
    }
    println!("{{\"shrink_swarm_unfenced_seed3_s\":{:.2}}}", median(times));
}
