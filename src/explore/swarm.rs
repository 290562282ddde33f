//! Swarm drills: each seed draws its own fault schedule from its own random stream,
//! within the scenario's `swarm` block: kinds by weight, targets, how many faults and
//! how many at once, start times and durations, and never beyond the fault tolerance
//! the design claims.

use crate::engine::RngStreams;
use crate::scenario::{RegionId, Scenario, Swarm};
use rand::Rng;
use serde_json::Value;

/// Draws per fault before a schedule gives up on placing it within the limits.
const TRIES_PER_FAULT: u32 = 32;

/// A drawn fault: its window (seconds), whether it takes its region out, and where.
struct Placed {
    from: f64,
    until: f64,
    loses: Option<RegionId>,
}

/// The schedule seed `seed` draws: scenario fault objects, in start order.
pub fn draw(s: &Scenario, sw: &Swarm, seed: u64) -> Vec<Value> {
    let mut rng = RngStreams::new(seed).stream("swarm");
    let total: f64 = sw.kinds.iter().map(|k| k.weight).sum();
    let n = rng.gen_range(sw.count.0..=sw.count.1);
    let mut placed: Vec<Placed> = Vec::with_capacity(n as usize);
    let mut out: Vec<(f64, Value)> = Vec::with_capacity(n as usize);
    for _ in 0..n {
        for _ in 0..TRIES_PER_FAULT {
            let mut pick = rng.gen_range(0.0..total);
            let kind = sw
                .kinds
                .iter()
                .find(|k| {
                    pick -= k.weight;
                    pick < 0.0
                })
                .unwrap_or(&sw.kinds[sw.kinds.len() - 1]);
            let target = kind.regions[rng.gen_range(0..kind.regions.len())];
            // Whole milliseconds keep schedules readable and exactly reproducible.
            let ms = |x: f64| (x * 1e3).round() / 1e3;
            let at = ms(rng.gen_range(sw.at_s.0..=sw.at_s.1));
            let mut len = ms(rng.gen_range(sw.for_s.0..=sw.for_s.1));
            // A shortened run (--duration-s) drops what starts after it and cuts what
            // would outlast it.
            let room = ms(s.duration.as_secs_f64() - at);
            if room < 0.001 {
                continue;
            }
            len = len.min(room);
            let until = if kind.has_window() { at + len } else { at + 0.001 };
            let p = Placed {
                from: at,
                until,
                loses: (kind.loses_region() && kind.targets_region()).then_some(target),
            };
            if fits(sw, &placed, &p) {
                out.push((at, kind.fault_json(&s.regions, at, len, target)));
                placed.push(p);
                break;
            }
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out.into_iter().map(|(_, v)| v).collect()
}

/// Whether `p` keeps the schedule within `max_concurrent` and the tolerance.
fn fits(sw: &Swarm, placed: &[Placed], p: &Placed) -> bool {
    let overlapping: Vec<&Placed> =
        placed.iter().filter(|q| q.from < p.until && p.from < q.until).collect();
    // The most faults at once is reached at some fault's start within p's window.
    let starts = std::iter::once(p.from)
        .chain(overlapping.iter().map(|q| q.from).filter(|&t| t >= p.from && t < p.until));
    for t in starts {
        let active: Vec<&&Placed> =
            overlapping.iter().filter(|q| q.from <= t && t < q.until).collect();
        if active.len() + 1 > sw.max_concurrent as usize {
            return false;
        }
        if let (Some(limit), Some(r)) = (sw.regions_down, p.loses) {
            let mut down: Vec<RegionId> = active.iter().filter_map(|q| q.loses).collect();
            down.push(r);
            down.sort();
            down.dedup();
            if down.len() > limit as usize {
                return false;
            }
        }
    }
    true
}
