//! `gameday compare`: runs several designs against one scenario's workload, fault
//! timeline and seeds, and gathers what each run found, design by design. A design is
//! a JSON merge patch over the scenario's `design` (from a file, or a `variants`
//! entry), so two designs differ in exactly what their files say.

use crate::check::Status;
use crate::engine::SimDuration;
use crate::report::{key_metrics, KeyMetric};
use crate::scenario::{self, Scenario, ScenarioError};
use crate::sim::{self, RunOptions, RunResult, SimError};
use rayon::prelude::*;
use serde_json::Value;
use std::sync::Arc;

/// Designs compared at most in one report: past it the tables stop being readable.
pub const DESIGNS_MAX: usize = 8;

/// Seeds per design at most.
pub const SEEDS_MAX: u64 = 100_000;

/// One design under comparison.
#[derive(Clone, Debug)]
pub struct DesignSpec {
    pub name: String,
    pub description: String,
    /// Where it came from: a file path, or `variants[i]` of the scenario.
    pub origin: String,
    /// The merge patch over the scenario's design (empty: the scenario's own).
    pub patch: Value,
}

/// Reads a design file: `{"name"?, "description"?, "design": {...}}`, or a bare design
/// object. The name defaults to the file's stem.
pub fn load_design(path: &str) -> Result<DesignSpec, ScenarioError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::Io { file: path.to_string(), reason: e.to_string() })?;
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let invalid = |p: &str, msg: String| ScenarioError::Invalid {
        file: path.to_string(),
        path: p.to_string(),
        msg,
    };
    if body.trim().is_empty() {
        return Err(invalid(
            "(file)",
            "the file is empty; a design file is a JSON object such as {\"name\": \"fenced\", \"design\": {\"fencing\": true}}".into(),
        ));
    }
    let v: Value = serde_json::from_str(body).map_err(|e| ScenarioError::Syntax {
        file: path.to_string(),
        line: e.line(),
        column: e.column(),
        msg: e.to_string().split(" at line ").next().unwrap_or("").to_string(),
    })?;
    let Value::Object(o) = &v else {
        return Err(invalid(
            "(file)",
            "expected a JSON object: {\"name\": ..., \"design\": {...}} or the design settings themselves".into(),
        ));
    };
    let stem = std::path::Path::new(path)
        .file_stem()
        .map_or("design".to_string(), |s| s.to_string_lossy().into_owned());
    if !o.contains_key("design") {
        return Ok(DesignSpec {
            name: stem,
            description: String::new(),
            origin: path.to_string(),
            patch: v,
        });
    }
    for k in o.keys() {
        if !matches!(k.as_str(), "name" | "description" | "design" | "$schema") {
            return Err(invalid(
                k,
                "unknown field; a design file has \"name\", \"description\" and \"design\"".into(),
            ));
        }
    }
    let text_field = |k: &str| match o.get(k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(k, "expected a string".into())),
    };
    let name = text_field("name")?.unwrap_or(stem);
    if name.trim().is_empty() {
        return Err(invalid("name", "must not be empty".into()));
    }
    Ok(DesignSpec {
        name,
        description: text_field("description")?.unwrap_or_default(),
        origin: path.to_string(),
        patch: o["design"].clone(),
    })
}

/// The designs a scenario declares in `variants`, after its own design ("baseline").
pub fn variants(s: &Scenario) -> Vec<DesignSpec> {
    let mut out = vec![DesignSpec {
        name: "baseline".into(),
        description: "the scenario's own design".into(),
        origin: s.source_path.clone(),
        patch: Value::Object(Default::default()),
    }];
    for (i, v) in s.variants.iter().enumerate() {
        out.push(DesignSpec {
            name: v.name.clone(),
            description: v.description.clone(),
            origin: format!("{} variants[{i}]", s.source_path),
            patch: v.design.clone(),
        });
    }
    out
}

/// What one run of one design found, in a form that is cheap to keep for many seeds.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub seed: u64,
    pub trace_hash: u64,
    /// `(invariant, violated, count)` in the checkers' order.
    pub invariants: Vec<(&'static str, bool, u64)>,
    pub metrics: Vec<KeyMetric>,
}

impl Outcome {
    fn of(r: &RunResult) -> Self {
        Outcome {
            seed: r.seed,
            trace_hash: r.trace_hash,
            invariants: r
                .invariants
                .iter()
                .map(|i| (i.id, i.status == Status::Violated, i.count))
                .collect(),
            metrics: key_metrics(r),
        }
    }
}

/// Everything a comparison found.
pub struct Comparison {
    pub scenario: Arc<Scenario>,
    pub designs: Vec<DesignSpec>,
    pub seeds: Vec<u64>,
    /// `outcomes[d][i]`: design `d` on `seeds[i]`.
    pub outcomes: Vec<Vec<Outcome>>,
    /// Each design's full run on the first seed, for the overlaid plots.
    pub first: Vec<RunResult>,
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{0}")]
    Input(#[from] ScenarioError),
    #[error("{0}")]
    Usage(String),
    #[error("design {design}, seed {seed}: {err}")]
    Run { design: String, seed: u64, err: SimError },
}

/// Runs every design on every seed (in parallel; the result does not depend on how
/// many threads ran it) against the scenario at `path`.
pub fn compare(
    path: &str,
    designs: Vec<DesignSpec>,
    seeds: Vec<u64>,
    duration: Option<SimDuration>,
) -> Result<Comparison, CompareError> {
    if designs.len() < 2 {
        return Err(CompareError::Usage(format!(
            "compare needs at least two designs (--design FILE, twice or more, or `variants` in {path}); got {}",
            designs.len()
        )));
    }
    if designs.len() > DESIGNS_MAX {
        return Err(CompareError::Usage(format!(
            "at most {DESIGNS_MAX} designs per comparison; got {}",
            designs.len()
        )));
    }
    for (i, d) in designs.iter().enumerate() {
        if designs[..i].iter().any(|e| e.name == d.name) {
            return Err(CompareError::Usage(format!(
                "two designs are named \"{}\" ({} and {}); give each design file its own \"name\"",
                d.name,
                designs[..i].iter().find(|e| e.name == d.name).expect("found").origin,
                d.origin
            )));
        }
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::Io { file: path.to_string(), reason: e.to_string() })?;
    let base = scenario::from_str(path, &text)?;
    let scenarios: Vec<Scenario> = designs
        .iter()
        .map(|d| {
            let label = if d.origin == path { path } else { d.origin.as_str() };
            scenario::with_design(path, &text, label, &d.patch)
        })
        .collect::<Result<_, _>>()?;
    let jobs: Vec<(usize, usize)> =
        (0..designs.len()).flat_map(|d| (0..seeds.len()).map(move |i| (d, i))).collect();
    let results: Vec<Result<(Outcome, Option<RunResult>), CompareError>> = jobs
        .par_iter()
        .map(|&(d, i)| {
            let opts = RunOptions { seed: Some(seeds[i]), duration, ..Default::default() };
            let r = sim::run(&scenarios[d], &opts).map_err(|err| CompareError::Run {
                design: designs[d].name.clone(),
                seed: seeds[i],
                err,
            })?;
            let o = Outcome::of(&r);
            Ok((o, (i == 0).then_some(r)))
        })
        .collect();
    let mut outcomes: Vec<Vec<Outcome>> = vec![Vec::with_capacity(seeds.len()); designs.len()];
    let mut first = Vec::with_capacity(designs.len());
    for (&(d, _), res) in jobs.iter().zip(results) {
        let (o, r) = res?;
        outcomes[d].push(o);
        if let Some(r) = r {
            first.push(r);
        }
    }
    Ok(Comparison { scenario: Arc::new(base), designs, seeds, outcomes, first })
}

/// Parses `A..B` (inclusive: `1..100` is a hundred seeds) or a single seed `N`.
pub fn parse_seeds(spec: &str) -> Result<Vec<u64>, String> {
    let bad =
        || format!("--seeds {spec:?}: expected A..B (both included, e.g. 1..100) or one seed N");
    let (a, b) = match spec.split_once("..") {
        Some((a, b)) => (a.trim(), b.trim().trim_start_matches('=')),
        None => (spec.trim(), spec.trim()),
    };
    let a: u64 = a.parse().map_err(|_| bad())?;
    let b: u64 = b.parse().map_err(|_| bad())?;
    if b < a {
        return Err(format!("--seeds {spec:?}: the range is empty ({b} is below {a})"));
    }
    if b - a >= SEEDS_MAX {
        return Err(format!(
            "--seeds {spec:?}: at most {SEEDS_MAX} seeds per run; split the range"
        ));
    }
    Ok((a..=b).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_include_both_ends() {
        assert_eq!(parse_seeds("3..5").unwrap(), vec![3, 4, 5]);
        assert_eq!(parse_seeds("3..=5").unwrap(), vec![3, 4, 5]);
        assert_eq!(parse_seeds("7").unwrap(), vec![7]);
        assert!(parse_seeds("5..3").unwrap_err().contains("empty"));
        assert!(parse_seeds("a..3").unwrap_err().contains("A..B"));
        assert!(parse_seeds("0..200000").unwrap_err().contains("at most"));
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut t = serde_json::json!({"a": 1, "b": {"c": 2, "d": 3}});
        scenario::merge_patch(&mut t, &serde_json::json!({"a": null, "b": {"c": 5}, "e": [1]}));
        assert_eq!(t, serde_json::json!({"b": {"c": 5, "d": 3}, "e": [1]}));
    }
}
