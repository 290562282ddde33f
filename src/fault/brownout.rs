//! `region_brownout`: a region's application tier gets slower, loses servers and fails a
//! share of requests, reaching full strength over `ramp_s`. Only a design with an
//! application tier (`design.capacity`) feels it.

use super::file::{FaultFile, FaultKindFile, TierFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::engine::SimDuration;
use crate::field::{self, err, num, Checked};
use crate::region::RegionId;
use serde::Serialize;

/// How a tier degrades at full strength, and how long it takes to get there.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Degradation {
    pub latency_factor: f64,
    pub capacity_factor: f64,
    pub error_rate: f64,
    pub ramp: SimDuration,
}

#[derive(Clone, Debug, Serialize)]
pub struct RegionBrownout {
    pub region: RegionId,
    pub tier: TierFile,
    pub degradation: Degradation,
}

impl Kind for RegionBrownout {
    const FILE: FaultKindFile = FaultKindFile::RegionBrownout;
    const FIELDS: &'static [&'static str] =
        &["region", "tier", "latency_factor", "capacity_factor", "error_rate", "ramp_s", "for_s"];
    const WINDOW: Window = Window::Required;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        let region = cx.region(fault)?;
        let path = cx.path;
        let latency_factor = fault.latency_factor.unwrap_or(1.0);
        if !latency_factor.is_finite() || !(1.0..=10_000.0).contains(&latency_factor) {
            return err(
                format!("{path}.latency_factor"),
                format!("service gets 1 to 10000 times slower, got {}", num(latency_factor)),
            );
        }
        let capacity_factor = fault.capacity_factor.unwrap_or(1.0);
        if !capacity_factor.is_finite() || !(0.0..=1.0).contains(&capacity_factor) {
            return err(
                format!("{path}.capacity_factor"),
                format!(
                    "the share of servers left is between 0 and 1, got {}",
                    num(capacity_factor)
                ),
            );
        }
        let error_rate = fault.error_rate.unwrap_or(0.0);
        if !error_rate.is_finite() || !(0.0..=1.0).contains(&error_rate) {
            return err(
                format!("{path}.error_rate"),
                format!("a probability is between 0 and 1, got {}", num(error_rate)),
            );
        }
        if latency_factor == 1.0 && capacity_factor == 1.0 && error_rate == 0.0 {
            return err(
                path.to_string(),
                "a brownout needs latency_factor above 1, capacity_factor below 1, or error_rate above 0",
            );
        }
        let ramp = match fault.ramp_s {
            Some(s) => field::nonneg_ms(&format!("{path}.ramp_s"), s * 1e3)?,
            None => SimDuration::ZERO,
        };
        let degradation = Degradation { latency_factor, capacity_factor, error_rate, ramp };
        let tier = fault.tier.unwrap_or(TierFile::Application);
        Ok(RegionBrownout { region, tier, degradation })
    }
    fn describe(&self, names: &Names) -> String {
        let d = &self.degradation;
        format!(
            "{}{} service x{}, servers x{}, errors {:.0}%{}",
            names.region(self.region),
            if self.tier == TierFile::Database { " database" } else { "" },
            d.latency_factor,
            d.capacity_factor,
            d.error_rate * 100.0,
            if d.ramp > SimDuration::ZERO {
                format!(", ramping over {}", d.ramp)
            } else {
                String::new()
            }
        )
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        world.tier_degraded(self.region, self.tier, start.then_some(self.degradation));
    }
}
