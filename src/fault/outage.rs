//! `region_outage`: a whole region stops for a while: its processes die (servers, store,
//! workers), its links carry nothing, then it comes back.

use super::file::{FaultFile, FaultKindFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::field::Checked;
use crate::region::RegionId;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct RegionOutage {
    pub region: RegionId,
}

impl Kind for RegionOutage {
    const FILE: FaultKindFile = FaultKindFile::RegionOutage;
    const FIELDS: &'static [&'static str] = &["region", "for_s"];
    const WINDOW: Window = Window::Required;
    const LOSES_REGION: bool = true;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        Ok(RegionOutage { region: cx.region(fault)? })
    }
    fn describe(&self, names: &Names) -> String {
        names.region(self.region).to_string()
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.region_running(self.region, !start);
    }
}

/// `zone_outage`: one zone of a region stops for a while (its replica and whatever
/// else runs there), then comes back; the region's other zones carry on.
#[derive(Clone, Debug, Serialize)]
pub struct ZoneOutage {
    pub site: RegionId,
}

impl Kind for ZoneOutage {
    const FILE: FaultKindFile = FaultKindFile::ZoneOutage;
    const FIELDS: &'static [&'static str] = &["region", "zone", "for_s"];
    const WINDOW: Window = Window::Required;
    const LOSES_REGION: bool = true;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        let region = cx.region(fault)?;
        let Some(zone) = fault.zone else {
            return crate::field::err(
                format!("{}.zone", cx.path),
                "required for a zone_outage: the zone (from 0) that goes down",
            );
        };
        Ok(ZoneOutage { site: cx.zone(region, zone)? })
    }
    fn describe(&self, names: &Names) -> String {
        names.site(self.site).to_string()
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.site]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.zone_running(self.site, !start);
    }
}
