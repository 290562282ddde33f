//! `process_pause`: a region's datastore processes (or, with `zone`, one zone's) stop
//! for a while (a long garbage collection, a VM migration, a stopped container) and then
//! carry on as if no time had passed: while paused a process handles no message and
//! fires no timer; what arrives waits, in order, and is handled when it resumes, on what
//! it believed before. Its clocks keep running. Clients, routers, the edge and the
//! control plane are other processes and carry on.

use super::file::{FaultFile, FaultKindFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::field::Checked;
use crate::region::RegionId;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ProcessPause {
    /// The region (its zone 0), or the one zone paused.
    pub region: RegionId,
    pub zone_only: bool,
}

impl Kind for ProcessPause {
    const FILE: FaultKindFile = FaultKindFile::ProcessPause;
    const FIELDS: &'static [&'static str] = &["region", "zone", "for_s"];
    const WINDOW: Window = Window::Required;
    const LOSES_REGION: bool = true;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        let region = cx.region(fault)?;
        match fault.zone {
            None => Ok(ProcessPause { region, zone_only: false }),
            Some(zone) => Ok(ProcessPause { region: cx.zone(region, zone)?, zone_only: true }),
        }
    }
    fn describe(&self, names: &Names) -> String {
        let whose =
            if self.zone_only { names.site(self.region) } else { names.region(self.region) };
        format!("{whose}'s datastore process")
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.process_paused(self.region, self.zone_only, start);
    }
}
