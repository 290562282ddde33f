//! PHOLD on the gameday engine: 1024 LPs, 16 initial events each, 2,000,000 events.
//! Prints one JSON line: `{"events":N,"events_per_sec":X,"trace_hash":"0x...","wall_s":Y}`.
//!
//! Usage: `cargo run --release --example phold [-- --events N --seed S]`.
//! Compare with `--example phold_bare`, the same workload on a bare `BinaryHeap`.

use gameday::engine::phold::{parse_args, result_line, run_phold};
use std::time::Instant;

const LPS: u32 = 1024;
const INIT_PER_LP: u32 = 16;

#[allow(clippy::disallowed_methods)] // wall time only to report how fast the run was
fn main() {
    let (target, seed) = parse_args(std::env::args().skip(1)).unwrap_or_else(|e| {
        eprintln!("phold: {e}");
        std::process::exit(2);
    });
    let start = Instant::now();
    let (events, hash) = run_phold(LPS, INIT_PER_LP, target, seed);
    println!("{}", result_line(events, hash, start.elapsed().as_secs_f64()));
}
