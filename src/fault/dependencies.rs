//! Global dependencies that stop while their regions stay up: `control_plane_outage`
//! (the control plane), `identity_outage` (the identity service fails every check) and
//! `provider_outage` (the external provider the event workers call fails or slows).

use super::file::{FaultFile, FaultKindFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::field::{err, num, Checked};
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

/// `provider_outage`: the external provider the event workers call (the card processor
/// behind the outbox) fails calls, answers after the worker stopped waiting, or answers
/// slowly. The provider lives outside every region, so no region is its target.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderOutage {
    pub error_rate: f64,
    pub performed_rate: f64,
    pub latency_factor: f64,
}

impl Kind for ProviderOutage {
    const FILE: FaultKindFile = FaultKindFile::ProviderOutage;
    const FIELDS: &'static [&'static str] =
        &["error_rate", "performed_rate", "latency_factor", "for_s"];
    const WINDOW: Window = Window::Required;
    const TARGETS_REGION: bool = false;

    fn validate(f: &FaultFile, cx: &Context) -> Checked<Self> {
        let path = cx.path;
        let share = |field: &str, v: Option<f64>, default: f64| -> Checked<f64> {
            let v = v.unwrap_or(default);
            if !v.is_finite() || !(0.0..=1.0).contains(&v) {
                return err(
                    format!("{path}.{field}"),
                    format!("a share of calls is between 0 and 1, got {}", num(v)),
                );
            }
            Ok(v)
        };
        let latency_factor = f.latency_factor.unwrap_or(1.0);
        if !latency_factor.is_finite() || !(1.0..=10_000.0).contains(&latency_factor) {
            return err(
                format!("{path}.latency_factor"),
                format!(
                    "the provider answers 1 to 10000 times slower, got {}",
                    num(latency_factor)
                ),
            );
        }
        // Without a slowdown, the fault is an outage: every call fails unless told otherwise.
        let default_errors = if f.latency_factor.is_some() { 0.0 } else { 1.0 };
        let error_rate = share("error_rate", f.error_rate, default_errors)?;
        let performed_rate = share("performed_rate", f.performed_rate, 0.0)?;
        if error_rate == 0.0 && latency_factor == 1.0 {
            return err(
                path.to_string(),
                "a provider outage needs error_rate above 0 (calls fail) or latency_factor above 1 (calls are slow)",
            );
        }
        if error_rate == 0.0 && performed_rate > 0.0 {
            return err(
                format!("{path}.performed_rate"),
                "applies to failed calls, and error_rate is 0: give error_rate above 0, or drop performed_rate",
            );
        }
        Ok(ProviderOutage { error_rate, performed_rate, latency_factor })
    }
    fn describe(&self, _names: &Names) -> String {
        let mut parts = Vec::new();
        if self.error_rate > 0.0 {
            parts.push(format!("{:.0}% of calls fail", self.error_rate * 100.0));
        }
        if self.performed_rate > 0.0 {
            parts.push(format!("{:.0}% of those performed anyway", self.performed_rate * 100.0));
        }
        if self.latency_factor > 1.0 {
            parts.push(format!("answers x{} slower", num(self.latency_factor)));
        }
        format!("the external provider: {}", parts.join(", "))
    }
    fn regions(&self) -> Vec<RegionId> {
        Vec::new()
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        let trouble = start.then_some(ProviderTrouble {
            error_rate: self.error_rate,
            performed_rate: self.performed_rate,
            latency_factor: self.latency_factor,
        });
        world.provider_trouble(trouble);
    }
}

/// What a provider outage changes: as `ProviderOutage`, handed to the model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProviderTrouble {
    pub error_rate: f64,
    pub performed_rate: f64,
    pub latency_factor: f64,
}
