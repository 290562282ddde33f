//! `operator_promote`: an operator asks the control plane to make a region the writer,
//! fenced or not. An action, not a condition: it acts once, when it starts.

use super::file::{FaultFile, FaultKindFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::field::{err, Checked};
use crate::region::{RegionId, Role};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct OperatorPromote {
    pub region: RegionId,
    pub fenced: bool,
}

impl Kind for OperatorPromote {
    const FILE: FaultKindFile = FaultKindFile::OperatorPromote;
    const FIELDS: &'static [&'static str] = &["region", "fenced"];
    const WINDOW: Window = Window::None;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        let region = cx.region(fault)?;
        if cx.consensus {
            return err(
                format!("{}.kind", cx.path),
                "under consensus replication leaders are elected by vote; an operator cannot name one (leadership transfer is not modelled)",
            );
        }
        if cx.regions[region.idx()].role == Role::ReadReplica {
            return err(
                format!("{}.region", cx.path),
                "a read-replica cannot be promoted; name a standby (or the primary)",
            );
        }
        Ok(OperatorPromote { region, fenced: fault.fenced.unwrap_or(cx.fencing) })
    }
    fn describe(&self, names: &Names) -> String {
        let how = if self.fenced { "fenced" } else { "unfenced" };
        format!("operator promotes {} ({how})", names.region(self.region))
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        if start {
            world.operator_promotes(self.region, self.fenced);
        }
    }
}
