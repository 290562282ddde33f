//! `single_writer`: in a single-writer design, no two regions commit writes for the same
//! partition in overlapping real time. A region's tenure runs from its first commit
//! under an epoch to its latest; two tenures of different regions must not overlap.
//! A write's time is when its writer accepted it (`commit_at`): the same moment its
//! commit is observed where the writer commits alone, and earlier under consensus,
//! where a write is observed once a majority holds it.

use super::{Finding, Invariant, View};
use crate::engine::SimTime;
use crate::model::obs::Obs;
use crate::scenario::{RegionId, Scenario};

#[derive(Clone, Copy, Debug)]
struct Tenure {
    epoch: u32,
    start: SimTime,
    last: SimTime,
}

pub struct SingleWriter {
    tenures: Vec<Option<Tenure>>,
}

impl SingleWriter {
    pub fn new(scenario: &Scenario) -> Self {
        SingleWriter { tenures: vec![None; scenario.regions.len()] }
    }
}

impl Invariant for SingleWriter {
    fn id(&self) -> &'static str {
        "single_writer"
    }
    fn causes(&self) -> &'static [super::trail::Cause] {
        use super::trail::Cause;
        &[Cause::Fault, Cause::Writer]
    }

    fn observe(&mut self, obs: &Obs, view: &View, found: &mut Vec<Finding>) {
        let Obs::Commit { region, entry, .. } = obs else { return };
        // Epoch 0 marks active-active writes: every region writes by design.
        if entry.epoch == 0 {
            return;
        }
        let now = entry.commit_at;
        let t = match self.tenures[region.idx()] {
            Some(t) if t.epoch == entry.epoch => Tenure { last: now, ..t },
            _ => Tenure { epoch: entry.epoch, start: now, last: now },
        };
        self.tenures[region.idx()] = Some(t);
        for (i, other) in self.tenures.iter().enumerate() {
            let Some(o) = other else { continue };
            // Tenures overlap unless one ended before the other began (observed in
            // order, a tenure's end is the latest write seen; under consensus a write
            // is seen later than it was taken, so either may come first).
            if i == region.idx() || o.last < t.start || t.last < o.start {
                continue;
            }
            let other_r = RegionId(i as u8);
            found.push(Finding {
                at: now,
                what: format!(
                    "{} commits {} under epoch {} (writing since {}) while {} committed under epoch {} at {} (writing since {}): two writers at once",
                    view.region_name(*region),
                    super::entry_text(entry),
                    entry.epoch,
                    t.start,
                    view.region_name(other_r),
                    o.epoch,
                    o.last,
                    o.start
                ),
                regions: vec![*region, other_r],
            });
        }
    }
}
