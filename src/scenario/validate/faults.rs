//! The drill: fixed faults (each validated by its kind in `crate::fault`) and swarm
//! blocks.

use super::super::file::*;
use super::super::types::*;
use super::super::ScenarioError;
use super::{Validator, R, SWARM_FAULTS_MAX};
use crate::engine::SimDuration;
use crate::fault::file::FaultFile;
use crate::field::num;

impl Validator<'_> {
    pub(super) fn faults(
        &self,
        fs: &[FaultFile],
        regions: &[RegionSpec],
        duration: SimDuration,
        design: &Design,
    ) -> R<Vec<Fault>> {
        let mut out = Vec::with_capacity(fs.len());
        for (i, f) in fs.iter().enumerate() {
            out.push(self.fault(&format!("faults[{i}]"), f, regions, duration, design)?);
        }
        // A stable sort keeps file order among faults that start together.
        out.sort_by_key(|f: &Fault| f.at);
        Ok(out)
    }

    /// One fault, validated by its kind.
    pub(super) fn fault(
        &self,
        path: &str,
        fault: &FaultFile,
        regions: &[RegionSpec],
        duration: SimDuration,
        design: &Design,
    ) -> R<Fault> {
        let fencing = design.fencing;
        let consensus = design.consensus.is_some();
        let cx = crate::fault::Context { path, regions, fencing, consensus };
        self.field(crate::fault::validate(fault, &cx, duration))
    }

    pub(super) fn swarm(
        &self,
        sw: Option<SwarmFile>,
        regions: &[RegionSpec],
        duration: SimDuration,
        design: &Design,
    ) -> R<Option<Swarm>> {
        let Some(sw) = sw else { return Ok(None) };
        let run_s = duration.as_secs_f64();
        if sw.faults.is_empty() {
            return self.err("swarm.faults", "list at least one fault kind to draw from");
        }
        let count = self.range("swarm.count", sw.count, (1.0, 4.0), 0.0)?;
        if count.1 > SWARM_FAULTS_MAX as f64 || count.0.fract() != 0.0 || count.1.fract() != 0.0 {
            return self.err(
                "swarm.count",
                format!("min and max are whole numbers of faults up to {SWARM_FAULTS_MAX}"),
            );
        }
        let at_s = self.range("swarm.at_s", sw.at_s, (0.0, run_s * 0.8), 0.0)?;
        if at_s.1 >= run_s {
            return self.err(
                "swarm.at_s.max",
                format!("faults must start before the run ends at {} s", num(run_s)),
            );
        }
        let for_s = self.range("swarm.for_s", sw.for_s, (1.0, (run_s / 4.0).max(1.0)), 0.001)?;
        let max_concurrent = sw.max_concurrent.unwrap_or(2);
        if max_concurrent == 0 {
            return self.err("swarm.max_concurrent", "must be at least 1");
        }
        let draw = Draw { regions, duration, design, at_s: at_s.0, for_s: for_s.0 };
        let mut kinds = Vec::with_capacity(sw.faults.len());
        for (i, k) in sw.faults.iter().enumerate() {
            kinds.push(self.swarm_kind(&format!("swarm.faults[{i}]"), k, &draw)?);
        }
        // Each weight may be finite and their sum not: the sampler draws below the sum.
        let total: f64 = kinds.iter().map(|k| k.weight).sum();
        if !total.is_finite() {
            return self.err(
                "swarm.faults",
                "the weights add up to more than a number can hold; they are relative (1 and 3 mean one draw in four), so use small ones",
            );
        }
        Ok(Some(Swarm {
            kinds,
            count: (count.0 as u32, count.1 as u32),
            max_concurrent,
            at_s,
            for_s,
            regions_down: sw.tolerance.and_then(|t| t.regions_down),
        }))
    }

    /// A swarm range: `lo <= min <= max`, or the default.
    fn range(&self, path: &str, r: Option<RangeFile>, d: (f64, f64), lo: f64) -> R<(f64, f64)> {
        let r = r.map_or(d, |r| (r.min, r.max));
        if !(r.0.is_finite() && r.1.is_finite()) || r.0 < lo || r.1 < r.0 {
            return self.err(
                path,
                format!("needs {lo} <= min <= max, got min {} max {}", num(r.0), num(r.1)),
            );
        }
        Ok(r)
    }

    /// One kind a swarm draws from: its weight, its own fields, and the targets it may
    /// take, each tried so that no seed can draw an invalid fault.
    fn swarm_kind(&self, path: &str, k: &SwarmFaultFile, draw: &Draw) -> R<SwarmKind> {
        if !k.weight.is_finite() || k.weight <= 0.0 {
            return self.err(format!("{path}.weight"), "must be a positive number");
        }
        for reserved in ["kind", "at_s", "for_s", "region", "between"] {
            if k.with.contains_key(reserved) {
                return self.err(
                    format!("{path}.with.{reserved}"),
                    "is drawn by the swarm; set the kind's other fields here (factor, latency_factor, ...)",
                );
            }
        }
        let mut with = k.with.clone();
        with.insert("kind".into(), serde_json::to_value(k.kind).expect("a kind serializes"));
        with.insert("at_s".into(), 0.0.into());
        let template: FaultFile =
            serde_json::from_value(serde_json::Value::Object(with)).map_err(|e| {
                ScenarioError::Invalid {
                    file: self.file.to_string(),
                    path: format!("{path}.with"),
                    msg: e.to_string(),
                }
            })?;
        let mut sk = SwarmKind { kind: k.kind, weight: k.weight, regions: Vec::new(), template };
        sk.regions = match &k.regions {
            None => self.every_target(&sk, path, draw)?,
            Some(names) => self.named_targets(&sk, path, names, draw)?,
        };
        Ok(sk)
    }

    /// A fault of `sk` aimed at `target`, validated as a file's fault would be.
    fn probe(&self, sk: &SwarmKind, path: &str, target: RegionId, draw: &Draw) -> R<()> {
        let f = sk.fault_file(draw.regions, draw.at_s, draw.for_s, target);
        let at = format!("{path}.with");
        self.fault(&at, &f, draw.regions, draw.duration, draw.design).map(|_| ())
    }

    /// Left without `regions`, a kind draws every region it can act on.
    fn every_target(&self, sk: &SwarmKind, path: &str, draw: &Draw) -> R<Vec<RegionId>> {
        let mut ids = Vec::with_capacity(draw.regions.len());
        let mut first_err = None;
        // One target per region: its zone 0 (a fault acts on the whole region).
        for r in (0..draw.regions.len()).filter(|r| draw.regions[*r].zone == 0) {
            match self.probe(sk, path, RegionId(r as u8), draw) {
                Ok(()) => ids.push(RegionId(r as u8)),
                Err(e) => first_err = first_err.or(Some(e)),
            }
        }
        match (ids.is_empty(), first_err) {
            (true, Some(e)) => Err(e),
            _ => Ok(ids),
        }
    }

    /// Named targets must each be one the kind can take.
    fn named_targets(
        &self,
        sk: &SwarmKind,
        path: &str,
        names: &[String],
        draw: &Draw,
    ) -> R<Vec<RegionId>> {
        let mut ids = Vec::with_capacity(names.len());
        for (j, n) in names.iter().enumerate() {
            let Some(r) = crate::region::find(draw.regions, n) else {
                return self.err(
                    format!("{path}.regions[{j}]"),
                    format!(
                        "unknown region \"{n}\"; known: {}",
                        crate::region::names(draw.regions)
                    ),
                );
            };
            if let Err(ScenarioError::Invalid { msg, .. }) = self.probe(sk, path, r, draw) {
                return self.err(
                    format!("{path}.regions[{j}]"),
                    format!("is not a target {} can take: {msg}", sk.name()),
                );
            }
            ids.push(r);
        }
        if ids.is_empty() {
            return self.err(
                format!("{path}.regions"),
                "name at least one region, or leave it out for all",
            );
        }
        Ok(ids)
    }
}

/// What a swarm's trial faults need: the regions, the run, and the earliest draw.
struct Draw<'a> {
    regions: &'a [RegionSpec],
    duration: SimDuration,
    design: &'a Design,
    at_s: f64,
    for_s: f64,
}
