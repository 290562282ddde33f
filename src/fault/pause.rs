//! `process_pause`: a region's datastore process stops for a while (a long garbage
//! collection, a VM migration, a stopped container) and then carries on as if no time
//! had passed: while paused it handles no message and fires no timer; what arrives
//! waits, in order, and is handled when it resumes, on what it believed before. Its
//! clocks keep running. Clients, routers, the edge and the control plane are other
//! processes and carry on.

use super::file::{FaultFile, FaultKindFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::field::{err, Checked};
use crate::region::RegionId;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ProcessPause {
    pub region: RegionId,
}

impl Kind for ProcessPause {
    const FILE: FaultKindFile = FaultKindFile::ProcessPause;
    const FIELDS: &'static [&'static str] = &["region", "zone", "for_s"];
    const WINDOW: Window = Window::Required;
    const LOSES_REGION: bool = true;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        let region = cx.region(fault)?;
        if let Some(zone) = fault.zone {
            if zone != 0 {
                return err(
                    format!("{}.zone", cx.path),
                    format!(
                        "every region has one zone (zone 0) until zones are modelled; got {zone}"
                    ),
                );
            }
        }
        Ok(ProcessPause { region })
    }
    fn describe(&self, names: &Names) -> String {
        format!("{}'s datastore process", names.region(self.region))
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.process_paused(self.region, start);
    }
}
