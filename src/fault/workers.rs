//! Faults of a region's event workers: `worker_crash` (the pool stops, then restarts
//! from its committed offset), `queue_replay` (the consumer rewinds), `duplicate_delivery`
//! (events arrive twice) and `poison_message` (the next event fails while it lasts).

use super::file::{FaultFile, FaultKindFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::engine::{SimDuration, SimTime};
use crate::field::{err, num, Checked};
use crate::region::RegionId;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct WorkerCrash {
    pub region: RegionId,
}

impl Kind for WorkerCrash {
    const FILE: FaultKindFile = FaultKindFile::WorkerCrash;
    const FIELDS: &'static [&'static str] = &["region", "for_s"];
    const WINDOW: Window = Window::Required;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        Ok(WorkerCrash { region: cx.region(fault)? })
    }
    fn describe(&self, names: &Names) -> String {
        format!("{}'s workers", names.region(self.region))
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.workers_running(self.region, !start);
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct QueueReplay {
    pub region: RegionId,
    pub events: Option<u64>,
    pub to: Option<SimTime>,
}

impl Kind for QueueReplay {
    const FILE: FaultKindFile = FaultKindFile::QueueReplay;
    const FIELDS: &'static [&'static str] = &["region", "events", "to_s"];
    const WINDOW: Window = Window::None;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        let path = cx.path;
        let region = cx.region(fault)?;
        let to = match fault.to_s {
            Some(t) if t.is_finite() && t >= 0.0 && t <= fault.at_s => {
                Some(SimTime::ZERO + SimDuration::from_secs_f64(t))
            }
            Some(t) => {
                return err(
                    format!("{path}.to_s"),
                    format!(
                        "a replay goes back to a time between 0 and its at_s ({}), got {}",
                        num(fault.at_s),
                        num(t)
                    ),
                )
            }
            None => None,
        };
        match (fault.events, to) {
            (Some(0), _) => return err(format!("{path}.events"), "must be at least 1"),
            (Some(_), Some(_)) | (None, None) => return err(
                path.to_string(),
                "a queue_replay rewinds by events (a count) or to to_s (a time): give exactly one",
            ),
            _ => {}
        }
        Ok(QueueReplay { region, events: fault.events, to })
    }
    fn describe(&self, names: &Names) -> String {
        let region = names.region(self.region);
        match (self.events, self.to) {
            (Some(n), _) => format!("{region}'s consumer rewinds {n} events"),
            (None, Some(t)) => format!("{region}'s consumer rewinds to {t}"),
            (None, None) => region.to_string(),
        }
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        if start {
            world.consumer_rewound(self.region, self.events, self.to);
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct DuplicateDelivery {
    pub region: RegionId,
    pub probability: f64,
}

impl Kind for DuplicateDelivery {
    const FILE: FaultKindFile = FaultKindFile::DuplicateDelivery;
    const FIELDS: &'static [&'static str] = &["region", "probability", "for_s"];
    const WINDOW: Window = Window::Required;

    fn validate(f: &FaultFile, cx: &Context) -> Checked<Self> {
        let region = cx.region(f)?;
        let path = format!("{}.probability", cx.path);
        let probability = match f.probability {
            Some(p) if p > 0.0 && p <= 1.0 => p,
            Some(p) => {
                return err(path, format!("a probability is above 0 and at most 1, got {}", num(p)))
            }
            None => return err(
                path,
                "required for a fault of kind \"duplicate_delivery\": how often an event is delivered twice (above 0, at most 1)",
            ),
        };
        Ok(DuplicateDelivery { region, probability })
    }
    fn describe(&self, names: &Names) -> String {
        format!(
            "{} delivers {:.0}% of events twice",
            names.region(self.region),
            self.probability * 100.0
        )
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.delivery_duplicated(self.region, if start { self.probability } else { 0.0 });
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PoisonMessage {
    pub region: RegionId,
}

impl Kind for PoisonMessage {
    const FILE: FaultKindFile = FaultKindFile::PoisonMessage;
    const FIELDS: &'static [&'static str] = &["region", "for_s"];
    const WINDOW: Window = Window::Required;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        Ok(PoisonMessage { region: cx.region(fault)? })
    }
    fn describe(&self, names: &Names) -> String {
        format!("the next event {}'s workers take fails", names.region(self.region))
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.next_event_poisoned(self.region, start);
    }
}
