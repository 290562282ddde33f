//! Swarm drills: each seed draws its own fault schedule from its own random stream,
//! within the scenario's `swarm` block: kinds by weight, targets, how many faults and
//! how many at once, start times and durations, and never beyond the fault tolerance
//! the design claims.

use super::types::{RegionId, Scenario, Swarm};
use crate::engine::RngStreams;
use crate::fault::file::FaultFile;
use rand::Rng;

/// Draws per fault before a schedule gives up on placing it within the limits.
const TRIES_PER_FAULT: u32 = 32;

/// A drawn fault: its window (seconds), whether it takes its region out, and where.
struct Placed {
    from: f64,
    until: f64,
    loses: Option<RegionId>,
}

/// The schedule seed `seed` draws: faults as a scenario file would give them (so a
/// schedule can be written out and replayed), in start order.
pub fn draw(scenario: &Scenario, sw: &Swarm, seed: u64) -> Vec<FaultFile> {
    let mut rng = RngStreams::new(seed).stream("swarm");
    let total: f64 = sw.kinds.iter().map(|k| k.weight).sum();
    let n = rng.gen_range(sw.count.0..=sw.count.1);
    let mut placed: Vec<Placed> = Vec::with_capacity(n as usize);
    let mut out: Vec<(f64, FaultFile)> = Vec::with_capacity(n as usize);
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
            // Rounded down, so a run of 10.0009 s leaves 1.000 s after 9 s, not 1.001 s.
            let room = ((scenario.duration.as_secs_f64() - at) * 1e3 + 1e-6).floor() / 1e3;
            if room < 0.001 {
                continue;
            }
            len = len.min(room);
            let traits = kind.traits();
            let has_window = traits.window != crate::fault::Window::None;
            let until = if has_window { at + len } else { at + 0.001 };
            let p = Placed {
                from: at,
                until,
                loses: (traits.loses_region && traits.targets_region).then_some(target),
            };
            if fits(sw, &placed, &p) {
                out.push((at, kind.fault_file(&scenario.regions, at, len, target)));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Over many seeds, schedules stay within the count, the concurrency limit and the
    /// claimed tolerance, and every drawn fault is valid.
    #[test]
    fn schedules_respect_count_concurrency_and_tolerance() {
        let s = crate::scenario::load("scenarios/swarm-fenced.json").unwrap();
        let sw = s.swarm.clone().unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        for seed in 0..400 {
            let sched = draw(&s, &sw, seed);
            assert!(sched.len() as u32 <= sw.count.1, "seed {seed}: {} faults", sched.len());
            let full = crate::scenario::with_faults(&s, &sched).expect("drawn faults are valid");
            let windows: Vec<(f64, f64, Option<String>)> = sched
                .iter()
                .map(|f| {
                    let a = f.at_s;
                    let b = a + f.for_s.unwrap_or(0.001);
                    let k = crate::fault::kind_name(f.kind);
                    kinds.insert(k.to_string());
                    let lost = match k {
                        "region_outage" => f.region.clone(),
                        "partition" => f.between.as_ref().map(|b| b[0][0].clone()),
                        _ => None,
                    };
                    (a, b, lost)
                })
                .collect();
            for &(t, _, _) in &windows {
                let active: Vec<_> = windows.iter().filter(|w| w.0 <= t && t < w.1).collect();
                assert!(active.len() <= sw.max_concurrent as usize, "seed {seed} at {t}");
                let mut down: Vec<&String> = active.iter().filter_map(|w| w.2.as_ref()).collect();
                down.sort();
                down.dedup();
                assert!(down.len() <= 1, "seed {seed}: {down:?} down at {t}");
            }
            assert_eq!(full.faults.len(), sched.len());
            let again = draw(&s, &sw, seed);
            let json = |fs: &[FaultFile]| serde_json::to_string(fs).expect("json");
            assert_eq!(json(&again), json(&sched), "a seed draws one schedule");
        }
        assert_eq!(kinds.len(), sw.kinds.len(), "every kind drawn: {kinds:?}");
    }

    /// Every seed's schedule is valid even where the scenario leaves little room: a
    /// kind some regions cannot take (left without `regions`, it draws only those that
    /// can) and a run whose end is not on a whole millisecond.
    #[test]
    fn drawn_faults_are_valid_at_the_edges() {
        let cases = [
            // operator_promote on a read-replica is not a fault a scenario may name.
            r#"{"version":1,"name":"t","duration_s":10,
                "regions":[{"name":"a","role":"primary"},{"name":"b","role":"read-replica"},
                           {"name":"c","role":"standby"}],
                "workload":{"rate_per_s":10},
                "swarm":{"faults":[{"kind":"operator_promote"},{"kind":"replication_stall"}],
                         "count":{"min":4,"max":4},"max_concurrent":4}}"#,
            // 1 ms of room after 9 s would end 0.1 ms after the run.
            r#"{"version":1,"name":"t","duration_s":10.0009,
                "regions":[{"name":"a","role":"primary"},{"name":"b","role":"standby"}],
                "workload":{"rate_per_s":10},
                "swarm":{"faults":[{"kind":"region_outage"}],"count":{"min":1,"max":1},
                         "at_s":{"min":9,"max":9},"for_s":{"min":1,"max":5}}}"#,
        ];
        for text in cases {
            let s = crate::scenario::from_str("t.json", text).expect("a valid scenario");
            let sw = s.swarm.clone().unwrap();
            let mut drawn = 0;
            for seed in 0..200 {
                let sched = draw(&s, &sw, seed);
                drawn += sched.len();
                if let Err(e) = crate::scenario::with_faults(&s, &sched) {
                    panic!("seed {seed} drew an invalid schedule {sched:?}: {e}");
                }
            }
            assert!(drawn >= 200, "{drawn} faults drawn");
        }
    }
}
