//! `recovery`: the system comes back. After the last fault of the drill heals, a write
//! must succeed again within `limits.rto_max_s` (when the drill leaves that long to
//! see it), and after the drill every store must converge on the writer's log within
//! `limits.convergence_max_s`.

use super::{Finding, Invariant};
use crate::engine::{SimDuration, SimTime};
use crate::model::types::Obs;
use crate::model::World;
use crate::scenario::Scenario;
use serde_json::json;

pub struct Recovery {
    rto_max: SimDuration,
    drill_end: SimTime,
    /// When the latest fault healed during the drill, and whether a write succeeded since.
    healed_at: Option<SimTime>,
    write_after_heal: Option<SimTime>,
    writes_in_mix: bool,
}

impl Recovery {
    pub fn new(s: &Scenario) -> Self {
        Recovery {
            rto_max: s.rto_max,
            drill_end: SimTime::ZERO + s.duration,
            healed_at: None,
            write_after_heal: None,
            writes_in_mix: s.workload.mix.iter().any(|(k, _)| !k.is_read()),
        }
    }
}

impl Invariant for Recovery {
    fn id(&self) -> &'static str {
        "recovery"
    }

    fn observe(&mut self, obs: &Obs, w: &World, _found: &mut Vec<Finding>) {
        match obs {
            Obs::FaultEnded { .. } if w.now < self.drill_end => {
                self.healed_at = Some(w.now);
                self.write_after_heal = None;
            }
            Obs::Complete { version: Some(_), .. }
                if self.healed_at.is_some() && self.write_after_heal.is_none() =>
            {
                self.write_after_heal = Some(w.now);
            }
            _ => {}
        }
    }

    fn finish(&mut self, w: &World, found: &mut Vec<Finding>) {
        if let Some(h) = self.healed_at {
            let observable = self.drill_end.since(h) >= self.rto_max;
            let late = match self.write_after_heal {
                Some(t) => t.since(h) > self.rto_max,
                None => true,
            };
            if self.writes_in_mix && observable && late {
                found.push(Finding {
                    at: h + self.rto_max,
                    what: format!(
                        "no write succeeded within rto_max ({}) after the last fault healed at {h}",
                        self.rto_max
                    ),
                    regions: w.s.region_ids().collect(),
                });
            }
        }
        if w.converged_at.is_none() {
            found.push(Finding {
                at: w.now,
                what: format!(
                    "the system did not converge within convergence_max ({}) after the drill: {}",
                    w.s.convergence_max,
                    w.convergence_gaps().join("; ")
                ),
                regions: w.s.region_ids().collect(),
            });
        }
    }

    fn details(&self) -> serde_json::Value {
        json!({
            "last_heal_s": self.healed_at.map(SimTime::as_secs_f64),
            "write_recovered_after_ms": match (self.healed_at, self.write_after_heal) {
                (Some(h), Some(t)) => Some(t.since(h).as_ms_f64()),
                _ => None,
            },
        })
    }
}
