//! PHOLD on the gameday engine: 1024 LPs, 16 initial events each, 2,000,000 events.
//! Prints one JSON line: `{"events":N,"events_per_sec":X,"trace_hash":"0x...","wall_s":Y}`.
//!
//! Usage: `cargo run --release --example phold [-- --events N --seed S]`.
//! Compare with `--example phold_bare`, the same workload on a bare `BinaryHeap`.

use gameday::engine::phold::run_phold;
use std::time::Instant;

const LPS: u32 = 1024;
const INIT_PER_LP: u32 = 16;

/// `--events N` and `--seed S`, parsed by hand.
fn parse_args() -> Result<(u64, u64), String> {
    let mut events: u64 = 2_000_000;
    let mut seed: u64 = 1;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--events" => &mut events,
            "--seed" => &mut seed,
            _ => return Err(format!("unknown argument {flag:?}; expected --events N or --seed S")),
        };
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        *slot = value.parse().map_err(|e| format!("{flag} {value:?}: {e}"))?;
    }
    if events == 0 {
        return Err("--events must be positive".into());
    }
    Ok((events, seed))
}

#[allow(clippy::disallowed_methods)] // wall time only to report how fast the run was
fn main() {
    let (target, seed) = parse_args().unwrap_or_else(|e| {
        eprintln!("phold: {e}");
        std::process::exit(2);
    });
    let start = Instant::now();
    let (events, hash) = run_phold(LPS, INIT_PER_LP, target, seed);
    let wall_s = start.elapsed().as_secs_f64();
    println!(
        "{{\"events\":{events},\"events_per_sec\":{:.0},\"trace_hash\":\"{hash:#018x}\",\"wall_s\":{wall_s:.6}}}",
        events as f64 / wall_s
    );
}
