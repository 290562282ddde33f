//! `replication_stall`: a replica applies what it receives at a fraction of its rate (0
//! stalls it), so its lag grows while the fault lasts.

use super::file::{FaultFile, FaultKindFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::field::{err, num, Checked};
use crate::region::{RegionId, Role};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ReplicationStall {
    pub region: RegionId,
    pub apply_factor: f64,
}

impl Kind for ReplicationStall {
    const FILE: FaultKindFile = FaultKindFile::ReplicationStall;
    const FIELDS: &'static [&'static str] = &["region", "apply_factor", "for_s"];
    const WINDOW: Window = Window::Required;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        let region = cx.region(fault)?;
        if cx.regions[region.idx()].role == Role::Primary {
            return err(
                format!("{}.region", cx.path),
                "a replication stall targets a replica region, not the primary",
            );
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
        Ok(ReplicationStall { region, apply_factor })
    }
    fn describe(&self, names: &Names) -> String {
        format!("{} applies at x{}", names.region(self.region), self.apply_factor)
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.replica_apply_factor(self.region, if start { self.apply_factor } else { 1.0 });
    }
}
