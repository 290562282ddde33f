//! Faults of the load: `traffic_surge` (client arrivals multiply, in one region or all)
//! and `poison_customer` (one customer's requests crash the server that takes them).

use super::file::{FaultFile, FaultKindFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::field::{self, err, num, Checked};
use crate::region::RegionId;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct TrafficSurge {
    pub region: Option<RegionId>,
    pub factor: f64,
}

impl Kind for TrafficSurge {
    const FILE: FaultKindFile = FaultKindFile::TrafficSurge;
    const FIELDS: &'static [&'static str] = &["region", "factor", "for_s"];
    const WINDOW: Window = Window::Required;

    fn validate(f: &FaultFile, cx: &Context) -> Checked<Self> {
        let region = match &f.region {
            Some(name) => Some(field::region(cx.regions, &format!("{}.region", cx.path), name)?),
            None => None,
        };
        let path = format!("{}.factor", cx.path);
        let factor = match f.factor {
            Some(x) if (0.0..=1_000.0).contains(&x) && x > 0.0 => x,
            Some(x) => {
                return err(
                    path,
                    format!("a surge multiplies arrivals by more than 0 and at most 1000, got {}", num(x)),
                )
            }
            None => {
                return err(
                    path,
                    "required for a fault of kind \"traffic_surge\": how many times the arrival rate grows",
                )
            }
        };
        Ok(TrafficSurge { region, factor })
    }
    fn describe(&self, names: &Names) -> String {
        match self.region {
            Some(r) => format!("{} clients x{}", names.region(r), self.factor),
            None => format!("all clients x{}", self.factor),
        }
    }
    fn regions(&self) -> Vec<RegionId> {
        self.region.into_iter().collect()
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.arrivals_surge(self.region, self.factor, start);
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PoisonCustomer {
    pub customer: u32,
}

impl Kind for PoisonCustomer {
    const FILE: FaultKindFile = FaultKindFile::PoisonCustomer;
    const FIELDS: &'static [&'static str] = &["customer", "for_s"];
    const WINDOW: Window = Window::Required;
    const TARGETS_REGION: bool = false;

    fn validate(fault: &FaultFile, _cx: &Context) -> Checked<Self> {
        Ok(PoisonCustomer { customer: fault.customer.unwrap_or(0) })
    }
    fn describe(&self, _names: &Names) -> String {
        format!("customer {}'s requests crash their server", self.customer)
    }
    fn regions(&self) -> Vec<RegionId> {
        Vec::new()
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.poison_customer(start.then_some(self.customer));
    }
}
