//! Global dependencies that stop while their regions stay up: `control_plane_outage`
//! (the control plane) and `identity_outage` (the identity service fails every check).

use super::file::{FaultFile, FaultKindFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::field::Checked;
use crate::region::RegionId;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ControlPlaneOutage;

impl Kind for ControlPlaneOutage {
    const FILE: FaultKindFile = FaultKindFile::ControlPlaneOutage;
    const FIELDS: &'static [&'static str] = &["for_s"];
    const WINDOW: Window = Window::Required;
    const TARGETS_REGION: bool = false;

    fn validate(_f: &FaultFile, _cx: &Context) -> Checked<Self> {
        Ok(ControlPlaneOutage)
    }
    fn describe(&self, names: &Names) -> String {
        format!("the control plane in {}", names.region(names.control_region))
    }
    fn regions(&self) -> Vec<RegionId> {
        Vec::new()
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.control_plane_running(!start);
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct IdentityOutage;

impl Kind for IdentityOutage {
    const FILE: FaultKindFile = FaultKindFile::IdentityOutage;
    const FIELDS: &'static [&'static str] = &["for_s"];
    const WINDOW: Window = Window::Required;
    const TARGETS_REGION: bool = false;

    fn validate(_f: &FaultFile, _cx: &Context) -> Checked<Self> {
        Ok(IdentityOutage)
    }
    fn describe(&self, _names: &Names) -> String {
        "the identity service".to_string()
    }
    fn regions(&self) -> Vec<RegionId> {
        Vec::new()
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.identity_running(!start);
    }
}
