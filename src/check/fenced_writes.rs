//! `fenced_writes`: no store commits a write whose epoch is lower than an epoch the
//! control plane has already granted.

use super::{Finding, Invariant};
use crate::model::types::Obs;
use crate::model::World;

#[derive(Default)]
pub struct FencedWrites {
    granted: u32,
}

impl Invariant for FencedWrites {
    fn id(&self) -> &'static str {
        "fenced_writes"
    }

    fn observe(&mut self, obs: &Obs, w: &World, found: &mut Vec<Finding>) {
        match obs {
            Obs::EpochGranted { epoch, .. } => self.granted = self.granted.max(*epoch),
            Obs::Commit { region, entry, .. } if entry.epoch < self.granted => {
                found.push(Finding {
                    at: w.now,
                    what: format!(
                        "{} commits lsn {} under epoch {} after epoch {} was granted",
                        w.s.region_name(*region),
                        entry.lsn,
                        entry.epoch,
                        self.granted
                    ),
                    regions: vec![*region],
                })
            }
            _ => {}
        }
    }
}
