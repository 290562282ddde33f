//! The yardstick for `--example phold`: the same PHOLD workload (1024 LPs, 16 initial
//! events each, 2,000,000 events, the same ChaCha8 draws in the same order) on a bare
//! `BinaryHeap<Reverse<(at, seq, lp)>>` loop, `gameday::engine::phold::run_phold_bare`.
//! Prints one JSON line: `{"events":N,"events_per_sec":X,"trace_hash":"0x...","wall_s":Y}`;
//! the trace hash must equal the engine run's for the same arguments.
//!
//! Usage: `cargo run --release --example phold_bare [-- --events N --seed S]`.

use gameday::engine::phold::{parse_args, result_line, run_phold_bare};
use std::time::Instant;

const LPS: u32 = 1024;
const INIT_PER_LP: u32 = 16;

#[allow(clippy::disallowed_methods)] // wall time only to report how fast the run was
fn main() {
    let (target, seed) = parse_args(std::env::args().skip(1)).unwrap_or_else(|e| {
        eprintln!("phold_bare: {e}");
        std::process::exit(2);
    });
    let start = Instant::now();
    let (events, hash) = run_phold_bare(LPS, INIT_PER_LP, target, seed);
    println!("{}", result_line(events, hash, start.elapsed().as_secs_f64()));
}
