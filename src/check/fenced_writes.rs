//! `fenced_writes`: epochs fence writers. No store commits a write whose epoch is lower
//! than an epoch already granted, and no epoch is granted to two regions (whoever grants
//! it: the control plane, an operator, a region promoting itself, or an election), since
//! two writers holding one epoch carry the same fencing token and no store can tell them
//! apart. A write counts from when its writer accepted it (`commit_at`): under
//! consensus a write accepted before a newer term began may be seen to commit after.

use super::{Finding, Invariant, View};
use crate::model::obs::{Grantor, Obs};
use crate::scenario::RegionId;
use std::collections::BTreeMap;

/// Grants remembered to recognise a second grant of one epoch (epochs grow slowly).
const GRANTS_MAX: usize = 4_096;

pub struct FencedWrites {
    granted: u32,
    /// When each newer epoch was first granted, in order (the highest granted by a time).
    grant_times: std::collections::VecDeque<(crate::engine::SimTime, u32)>,
    /// Who holds each epoch granted so far, and who granted it.
    holders: BTreeMap<u32, (RegionId, Grantor)>,
}

impl FencedWrites {
    /// The initial primary holds epoch 1 from the start, as if the control plane had
    /// granted it: granting epoch 1 to anyone else is a second grant.
    pub fn new(s: &crate::scenario::Scenario) -> Self {
        let holders = BTreeMap::from([(1, (s.primary(), Grantor::ControlPlane))]);
        FencedWrites { granted: 1, holders, grant_times: Default::default() }
    }
}

impl FencedWrites {
    /// The highest epoch granted at or before `at`.
    fn granted_by(&self, at: crate::engine::SimTime) -> u32 {
        self.grant_times.iter().rev().find(|(t, _)| *t <= at).map_or(1, |g| g.1)
    }
}

impl Invariant for FencedWrites {
    fn id(&self) -> &'static str {
        "fenced_writes"
    }
    fn causes(&self) -> &'static [super::trail::Cause] {
        use super::trail::Cause;
        &[Cause::Fault, Cause::Writer]
    }

    fn observe(&mut self, obs: &Obs, view: &View, found: &mut Vec<Finding>) {
        match obs {
            Obs::EpochGranted { epoch, region, by, .. } => {
                if *epoch > self.granted {
                    if self.grant_times.len() == GRANTS_MAX {
                        self.grant_times.pop_front();
                    }
                    self.grant_times.push_back((view.at, *epoch));
                }
                self.granted = self.granted.max(*epoch);
                match self.holders.get(epoch) {
                    Some(&(holder, first_by)) if holder != *region => found.push(Finding {
                        at: view.at,
                        what: format!(
                            "epoch {epoch} is granted twice: to {} by the {}, and now to {} by the {}; both carry the same fencing token",
                            view.region_name(holder),
                            first_by.name(),
                            view.region_name(*region),
                            by.name(),
                        ),
                        regions: vec![holder, *region],
                    }),
                    Some(_) => {}
                    None => {
                        if self.holders.len() == GRANTS_MAX {
                            self.holders.pop_first();
                        }
                        self.holders.insert(*epoch, (*region, *by));
                    }
                }
            }
            Obs::Commit { region, entry, .. } if entry.epoch < self.granted && entry.epoch > 0 => {
                let granted = self.granted_by(entry.commit_at);
                if entry.epoch >= granted {
                    return;
                }
                found.push(Finding {
                    at: view.at,
                    what: format!(
                        "{} commits {} under epoch {} after epoch {} was granted",
                        view.region_name(*region),
                        super::entry_text(entry),
                        entry.epoch,
                        granted
                    ),
                    regions: vec![*region],
                })
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit::Harness;
    use crate::engine::SimTime;

    fn grant(epoch: u32, region: u8, by: Grantor) -> Obs {
        Obs::EpochGranted { epoch, region: RegionId(region), fenced: true, by, detected_at: None }
    }

    /// One epoch granted to two regions is a violation whoever grants it, including the
    /// epoch the initial primary holds from the start; granting it again to its holder
    /// is not.
    #[test]
    fn an_epoch_granted_to_two_regions_is_a_violation() {
        let mut h = Harness::new("scenarios/control-plane-outage-static.json");
        let mut c = FencedWrites::new(&h.scenario.clone());
        h.at = SimTime(1);
        h.feed(&mut c, &grant(2, 1, Grantor::ControlPlane));
        h.feed(&mut c, &grant(2, 1, Grantor::ControlPlane));
        assert!(h.found.is_empty());
        h.feed(&mut c, &grant(2, 2, Grantor::EmergencySuccessor));
        h.feed(&mut c, &grant(1, 1, Grantor::Operator));
        let what = h.what();
        assert_eq!(what.len(), 2, "{what:?}");
        assert_eq!(
            what[0],
            "epoch 2 is granted twice: to eu-west by the control plane, and now to ap-south by the emergency successor; both carry the same fencing token"
        );
        assert!(what[1].starts_with("epoch 1 is granted twice: to us-east by the control plane"));
    }
}
