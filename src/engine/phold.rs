//! PHOLD, the standard synthetic benchmark for discrete-event engines, shared by the
//! `phold` and `phold_bare` examples and by `tests/phold.rs`.
//!
//! `lps` logical processes each start with `init_per_lp` events. Handling an event
//! schedules one new event for a uniformly random LP after `0.1 + Exp(1.0)` time units
//! (one unit = 1 s = 1_000_000 µs). The run stops when the `events`-th event has been
//! dispatched; that last event schedules nothing, so the count is exact.
//!
//! All draws come from one ChaCha8 stream named [`STREAM`], in a fixed order: first the
//! initial events (LP by LP, one delay each), then for each handled event its
//! destination and its delay. [`run_phold`] drives [`Phold`] through the [`Engine`];
//! [`run_phold_bare`] does the same draws on a bare `BinaryHeap` as a yardstick. Both
//! dispatch events in `(at, seq)` order and fold the same trace hash, so they must agree.

use super::rng::RngStreams;
use super::run::{Engine, Limits, Model, Scheduler, TraceHash};
use super::time::{SimDuration, SimTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The name of the one random stream PHOLD draws from.
pub const STREAM: &str = "phold";
/// The fixed part of every delay: 0.1 time units.
pub const LOOKAHEAD_US: u64 = 100_000;
/// The mean of the exponential part of every delay: 1.0 time unit.
pub const EXP_MEAN_US: f64 = 1_000_000.0;

/// One delay, `0.1 + Exp(1.0)` time units in whole microseconds (the exponential part
/// truncated), by inversion of one uniform `f64` in `[0, 1)`.
#[inline]
pub fn draw_delay_us(rng: &mut ChaCha8Rng) -> u64 {
    let u: f64 = rng.gen();
    // 1 - u is in (0, 1], so the logarithm is finite and <= 0.
    LOOKAHEAD_US + (-(1.0 - u).ln() * EXP_MEAN_US) as u64
}

/// One destination LP, uniform over `0..lps`.
#[inline]
pub fn draw_dest(rng: &mut ChaCha8Rng, lps: u32) -> u32 {
    rng.gen_range(0..lps)
}

/// The PHOLD model. An event is just its destination LP.
pub struct Phold {
    lps: u32,
    target: u64,
    handled: u64,
    rng: ChaCha8Rng,
}

impl Phold {
    /// A model that ends the run after `events` dispatched events.
    pub fn new(lps: u32, events: u64, rng: ChaCha8Rng) -> Self {
        assert!(lps > 0, "PHOLD needs at least one LP");
        assert!(events > 0, "PHOLD needs a positive event count");
        Phold { lps, target: events, handled: 0, rng }
    }

    /// Events handled so far.
    pub fn handled(&self) -> u64 {
        self.handled
    }
}

impl Model for Phold {
    type Event = u32;

    #[inline]
    fn handle(&mut self, _lp: u32, sched: &mut Scheduler<u32>) -> bool {
        self.handled += 1;
        if self.handled >= self.target {
            return false;
        }
        let dest = draw_dest(&mut self.rng, self.lps);
        let delay = draw_delay_us(&mut self.rng);
        sched.after(SimDuration(delay), dest);
        true
    }

    #[inline]
    fn trace_word(lp: &u32) -> u64 {
        u64::from(*lp)
    }

    fn trace_json(&self, lp: &u32, out: &mut String) {
        use std::fmt::Write as _;
        let _ = write!(out, "\"lp\":{lp}");
    }
}

/// Runs PHOLD through the engine; returns `(events dispatched, trace hash)`.
pub fn run_phold(lps: u32, init_per_lp: u32, events: u64, seed: u64) -> (u64, u64) {
    let mut rng = RngStreams::new(seed).stream(STREAM);
    let mut engine = Engine::new(Limits { events_max: events, sim_time_max: SimTime::MAX });
    for lp in 0..lps {
        for _ in 0..init_per_lp {
            let at = SimTime(draw_delay_us(&mut rng));
            engine.scheduler().at(at, lp);
        }
    }
    let mut model = Phold::new(lps, events, rng);
    engine.run(&mut model).expect("PHOLD stays within its limits");
    (engine.events(), engine.trace_hash())
}

/// The same workload on a bare `BinaryHeap<Reverse<(at, seq, lp)>>`, with the same draws
/// in the same order and the same trace hash: the yardstick for the engine's speed.
pub fn run_phold_bare(lps: u32, init_per_lp: u32, events: u64, seed: u64) -> (u64, u64) {
    assert!(lps > 0, "PHOLD needs at least one LP");
    assert!(events > 0, "PHOLD needs a positive event count");
    let mut rng = RngStreams::new(seed).stream(STREAM);
    let initial = lps as usize * init_per_lp as usize;
    let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::with_capacity(initial);
    let mut seq: u64 = 0;
    for lp in 0..lps {
        for _ in 0..init_per_lp {
            heap.push(Reverse((draw_delay_us(&mut rng), seq, lp)));
            seq += 1;
        }
    }
    let mut hash = TraceHash::SEED;
    let mut dispatched: u64 = 0;
    while let Some(Reverse((at, _, lp))) = heap.pop() {
        dispatched += 1;
        hash.fold(at, u64::from(lp));
        if dispatched >= events {
            break;
        }
        let dest = draw_dest(&mut rng, lps);
        let delay = draw_delay_us(&mut rng);
        heap.push(Reverse((at.saturating_add(delay), seq, dest)));
        seq += 1;
    }
    (dispatched, hash.0)
}

/// A PHOLD example's command line that does not parse.
#[derive(Debug, thiserror::Error)]
pub enum PholdArgsError {
    #[error("unknown argument {flag:?}; expected --events N or --seed S")]
    Unknown { flag: String },
    #[error("{flag} needs a value")]
    NoValue { flag: String },
    #[error("{flag} {value:?}: {source}")]
    NotANumber { flag: String, value: String, source: std::num::ParseIntError },
    #[error("--events must be positive")]
    NoEvents,
}

/// The examples' command line: `--events N` (default 2,000,000) and `--seed S` (default 1).
pub fn parse_args(args: impl Iterator<Item = String>) -> Result<(u64, u64), PholdArgsError> {
    let mut events: u64 = 2_000_000;
    let mut seed: u64 = 1;
    let mut args = args;
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--events" => &mut events,
            "--seed" => &mut seed,
            _ => return Err(PholdArgsError::Unknown { flag }),
        };
        let value = args.next().ok_or_else(|| PholdArgsError::NoValue { flag: flag.clone() })?;
        *slot = value.parse().map_err(|source| PholdArgsError::NotANumber {
            flag,
            value: value.clone(),
            source,
        })?;
    }
    if events == 0 {
        return Err(PholdArgsError::NoEvents);
    }
    Ok((events, seed))
}

/// The examples' one JSON line.
pub fn result_line(events: u64, hash: u64, wall_s: f64) -> String {
    format!(
        "{{\"events\":{events},\"events_per_sec\":{:.0},\"trace_hash\":\"{hash:#018x}\",\"wall_s\":{wall_s:.6}}}",
        events as f64 / wall_s
    )
}
