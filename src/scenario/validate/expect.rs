//! Limits, expectations and variants.

use super::super::file::*;
use super::super::types::*;
use super::parse::json_type;
use super::KNOWN_INVARIANTS;
use super::{Validator, R};
use crate::engine::SimDuration;
use crate::field::closest;
use crate::field::num;

impl Validator<'_> {
    pub(super) fn limits(
        &self,
        l: &LimitsFile,
        duration: SimDuration,
    ) -> R<(u64, SimDuration, SimDuration)> {
        let events_max = match l.events_max {
            Some(0) => return self.err("limits.events_max", "must be at least 1"),
            Some(n) => n,
            None => crate::engine::run::EVENTS_MAX,
        };
        let convergence_max = match l.convergence_max_s {
            Some(s) => self.positive_s("limits.convergence_max_s", s)?,
            None => SimDuration::from_secs(60),
        };
        let sim_time_max = match l.sim_time_max_s {
            Some(s) => {
                let d = self.positive_s("limits.sim_time_max_s", s)?;
                if d < duration {
                    return self.err(
                        "limits.sim_time_max_s",
                        format!("must be at least duration_s ({} s)", num(duration.as_secs_f64())),
                    );
                }
                d
            }
            None => {
                let d = SimDuration(crate::engine::run::SIM_TIME_MAX_US);
                if d < duration {
                    return self.err(
                        "duration_s",
                        format!(
                            "{} s is longer than the default limit on simulated time ({} s); raise limits.sim_time_max_s to run this long",
                            num(duration.as_secs_f64()),
                            num(d.as_secs_f64())
                        ),
                    );
                }
                d
            }
        };
        Ok((events_max, sim_time_max, convergence_max))
    }

    pub(super) fn expect(&self, e: ExpectFile) -> R<Expect> {
        for (field, ids) in [("violated", &e.violated), ("hold", &e.hold)] {
            for (i, id) in ids.iter().enumerate() {
                if !KNOWN_INVARIANTS.contains(&id.as_str()) {
                    let mut msg = format!(
                        "unknown invariant \"{id}\"; known: {}",
                        KNOWN_INVARIANTS.join(", ")
                    );
                    if let Some(close) = closest(id, KNOWN_INVARIANTS.iter().copied()) {
                        msg.push_str(&format!("; did you mean \"{close}\"?"));
                    }
                    return self.err(format!("expect.{field}[{i}]"), msg);
                }
                if field == "hold" && e.violated.contains(id) {
                    return self.err(
                        format!("expect.hold[{i}]"),
                        format!("\"{id}\" is also expected to be violated"),
                    );
                }
            }
        }
        let mut metrics = Vec::new();
        for (path, b) in &e.metrics {
            let p = format!("expect.metrics.\"{path}\"");
            if path.is_empty() || path.split('.').any(str::is_empty) {
                return self.err(p, "name a metric by its dot path in the summary's metrics, as \"availability\" or \"blast_radius.customers\"");
            }
            match (b.min, b.max) {
                (None, None) => return self.err(p, "give min, max or both"),
                (Some(lo), Some(hi)) if lo > hi => {
                    return self.err(p, format!("min {} is above max {}", num(lo), num(hi)))
                }
                (lo, hi)
                    if lo.is_some_and(|x| !x.is_finite()) || hi.is_some_and(|x| !x.is_finite()) =>
                {
                    return self.err(p, "bounds must be finite numbers")
                }
                _ => {}
            }
            metrics.push((path.clone(), b.min, b.max));
        }
        Ok(Expect { violated: e.violated, hold: e.hold, metrics })
    }

    pub(super) fn variants(&self, vs: Vec<crate::scenario::file::VariantFile>) -> R<Vec<Variant>> {
        let mut out: Vec<Variant> = Vec::with_capacity(vs.len());
        for (i, v) in vs.into_iter().enumerate() {
            if v.name.trim().is_empty() {
                return self.err(format!("variants[{i}].name"), "must not be empty");
            }
            if out.iter().any(|o| o.name == v.name) {
                return self.err(
                    format!("variants[{i}].name"),
                    format!("\"{}\" names two variants; each needs its own name", v.name),
                );
            }
            if !v.design.is_object() {
                return self.err(
                    format!("variants[{i}].design"),
                    format!(
                        "expected an object of design settings, found {}",
                        json_type(&v.design)
                    ),
                );
            }
            out.push(Variant { name: v.name, description: v.description, design: v.design });
        }
        Ok(out)
    }
}
