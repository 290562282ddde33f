//! `recovery`: the system comes back. After the last fault of the drill heals, goodput
//! must return to within 5% of offered load (over a one-second window) within
//! `limits.rto_max_s`, when the drill leaves that long to see it; a system that stays
//! collapsed after its trigger is gone fails here. After the drill every store must
//! converge on the writer's log within `limits.convergence_max_s`.

use super::{Details, Finding, Invariant, View};
use crate::engine::{SimDuration, SimTime};
use crate::model::obs::Obs;
use crate::scenario::Scenario;
use serde::Serialize;

/// The window goodput is compared with offered load over.
const WINDOW: SimDuration = SimDuration::from_secs(1);
/// Goodput must reach this share of offered load.
const GOODPUT_SHARE: f64 = 0.95;

pub struct Recovery {
    rto_max: SimDuration,
    drill_end: SimTime,
    healed_at: Option<SimTime>,
    /// Per window since the heal, up to `rto_max`: operations offered and succeeded.
    windows: Vec<(u64, u64)>,
}

/// What `recovery` reports: when the drill's last fault healed, and how many seconds
/// after it goodput was back (`None`: not within `rto_max`, or nothing healed).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecoveryDetails {
    pub goodput_recovered_within_s: Option<usize>,
    pub last_heal_s: Option<f64>,
}

impl Recovery {
    /// What the summary reports, as it stands.
    pub fn figures(&self) -> RecoveryDetails {
        RecoveryDetails {
            last_heal_s: self.healed_at.map(SimTime::as_secs_f64),
            goodput_recovered_within_s: self.recovered_after().map(|i| i + 1),
        }
    }

    pub fn new(scenario: &Scenario) -> Self {
        Recovery {
            rto_max: scenario.rto_max,
            drill_end: SimTime::ZERO + scenario.duration,
            healed_at: None,
            windows: Vec::new(),
        }
    }

    fn window(&mut self, now: SimTime) -> Option<&mut (u64, u64)> {
        let h = self.healed_at?;
        let i = (now.since(h).as_us() / WINDOW.as_us()) as usize;
        let n = (self.rto_max.as_us() / WINDOW.as_us()) as usize;
        if i >= n {
            return None;
        }
        if self.windows.len() <= i {
            self.windows.resize(i + 1, (0, 0));
        }
        self.windows.get_mut(i)
    }

    /// The first whole window after the heal in which goodput reached its share.
    fn recovered_after(&self) -> Option<usize> {
        let h = self.healed_at?;
        self.windows.iter().enumerate().position(|(i, (offered, ok))| {
            let end = h + SimDuration(WINDOW.as_us() * (i as u64 + 1));
            end <= self.drill_end && *offered > 0 && *ok as f64 >= GOODPUT_SHARE * *offered as f64
        })
    }
}

impl Invariant for Recovery {
    fn id(&self) -> &'static str {
        "recovery"
    }
    fn causes(&self) -> &'static [super::trail::Cause] {
        use super::trail::Cause;
        Cause::ALL
    }

    fn observe(&mut self, obs: &Obs, view: &View, _found: &mut Vec<Finding>) {
        match obs {
            Obs::FaultEnded { .. } if view.at < self.drill_end => {
                self.healed_at = Some(view.at);
                self.windows.clear();
            }
            Obs::Invoke { .. } => {
                if let Some(win) = self.window(view.at) {
                    win.0 += 1;
                }
            }
            Obs::Complete { ok: true, .. } => {
                if let Some(win) = self.window(view.at) {
                    win.1 += 1;
                }
            }
            _ => {}
        }
    }

    fn finish(&mut self, view: &View, found: &mut Vec<Finding>) {
        if let Some(h) = self.healed_at {
            let observable = self.drill_end.since(h) >= self.rto_max;
            if observable && self.recovered_after().is_none() {
                found.push(Finding {
                    at: h + self.rto_max,
                    what: format!(
                        "goodput did not return to {:.0}% of offered load within rto_max ({}) after the last fault healed at {h}",
                        GOODPUT_SHARE * 100.0,
                        self.rto_max
                    ),
                    regions: view.scenario.region_ids().collect(),
                });
            }
        }
        if view.converged_at.is_none() {
            found.push(Finding {
                at: view.at,
                what: format!(
                    "the system did not converge within convergence_max ({}) after the drill: {}",
                    view.scenario.convergence_max,
                    view.probe.convergence_gaps().join("; ")
                ),
                regions: view.scenario.region_ids().collect(),
            });
        }
    }

    fn details(&self) -> Option<Details> {
        Some(self.figures().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit::Harness;
    use crate::model::types::{OpId, Req};
    use crate::scenario::{OpKind, RegionId};

    /// Goodput that comes back only after `rto_max` is a violation, and the windows
    /// kept stop at `rto_max`; goodput back within it holds, and says when.
    #[test]
    fn goodput_must_return_within_rto_max() {
        let s = crate::scenario::load("scenarios/negative/recovery.json").unwrap();
        assert_eq!(s.rto_max, SimDuration::from_secs(20));
        let heal = SimTime::ZERO + SimDuration::from_secs(10);
        // Ten operations a second from the heal to the drill's end; `back_s` seconds
        // after the heal they start to succeed.
        let run = |back_s: u64| {
            let mut h = Harness::new("scenarios/negative/recovery.json");
            let mut r = Recovery::new(&s);
            h.at = heal;
            h.feed(&mut r, &Obs::FaultEnded { index: 0 });
            let op = OpId { slot: 0, gen: 0 };
            let region = RegionId(0);
            let end = r.drill_end.as_us();
            for t in (heal.as_us()..end).step_by(100_000) {
                h.at = SimTime(t);
                let req = Req::Write { key: 0, value: 1 };
                let kind = OpKind::RegisterWrite;
                h.feed(&mut r, &Obs::Invoke { op, kind, region, op_key: t, req });
                if t >= heal.as_us() + back_s * 1_000_000 {
                    let done = Obs::Complete {
                        op,
                        kind,
                        region,
                        ok: true,
                        version: None,
                        write: None,
                        delta: 0,
                        invoked_at: h.at,
                        attempts: 1,
                        op_key: t,
                        key: 0,
                        session: 0,
                        read: None,
                    };
                    h.feed(&mut r, &done);
                }
            }
            h.finish(&mut r);
            assert!(r.windows.len() <= 20, "{} windows kept", r.windows.len());
            (h.found.len(), r.figures().goodput_recovered_within_s)
        };
        assert_eq!(run(0), (0, Some(1)));
        assert_eq!(run(5), (0, Some(6)));
        assert_eq!(run(25), (1, None));
    }
}
