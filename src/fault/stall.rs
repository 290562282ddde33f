//! `replication_stall`: a replica applies what it receives at a fraction of its rate (0
//! stalls it), so its lag grows while the fault lasts; or, with `lag_s`, applies each
//! entry only that long after it was committed, so it stays that far behind.

use super::file::{FaultFile, FaultKindFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::engine::SimDuration;
use crate::field::{err, num, Checked};
use crate::region::{RegionId, Role};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ReplicationStall {
    pub region: RegionId,
    pub apply_factor: f64,
    /// `lag_s`: apply each entry only this long after its commit.
    pub lag: Option<SimDuration>,
}

impl Kind for ReplicationStall {
    const FILE: FaultKindFile = FaultKindFile::ReplicationStall;
    const FIELDS: &'static [&'static str] = &["region", "apply_factor", "lag_s", "for_s"];
    const WINDOW: Window = Window::Required;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        let region = cx.region(fault)?;
        if cx.regions[region.idx()].role == Role::Primary {
            return err(
                format!("{}.region", cx.path),
                "a replication stall targets a replica region, not the primary",
            );
        }
        if let Some(lag_s) = fault.lag_s {
            if fault.apply_factor.is_some() {
                return err(
                    format!("{}.lag_s", cx.path),
                    "give apply_factor (how fast the replica applies) or lag_s (how far behind it stays), not both",
                );
            }
            if !lag_s.is_finite() || !(0.001..=86_400.0).contains(&lag_s) {
                return err(
                    format!("{}.lag_s", cx.path),
                    format!("the lag is 0.001 to 86400 seconds, got {}", num(lag_s)),
                );
            }
            let lag = Some(SimDuration::from_us((lag_s * 1e6).round() as u64));
            return Ok(ReplicationStall { region, apply_factor: 1.0, lag });
        }
        let apply_factor = fault.apply_factor.unwrap_or(0.0);
        if !apply_factor.is_finite() || !(0.0..=1.0).contains(&apply_factor) {
            return err(
                format!("{}.apply_factor", cx.path),
                format!(
                    "must be between 0 (stalled) and 1 (full speed), got {}",
                    num(apply_factor)
                ),
            );
        }
        Ok(ReplicationStall { region, apply_factor, lag: None })
    }
    fn describe(&self, names: &Names) -> String {
        match self.lag {
            Some(lag) => {
                format!("{} applies {} s behind", names.region(self.region), lag.as_secs_f64())
            }
            None => format!("{} applies at x{}", names.region(self.region), self.apply_factor),
        }
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        match self.lag {
            Some(lag) => world.replica_apply_delay(self.region, start.then_some(lag)),
            None => {
                world.replica_apply_factor(self.region, if start { self.apply_factor } else { 1.0 })
            }
        }
    }
}
