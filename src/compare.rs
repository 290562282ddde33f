//! `gameday compare`: runs several designs against one scenario's workload, fault
//! timeline and seeds, and gathers what each run found, design by design. A design is
//! a JSON merge patch over the scenario's `design` (from a file, or a `variants`
//! entry), so two designs differ in exactly what their files say.
//!
//! Computing a comparison never depends on how it is shown: the headline metrics each
//! run keeps are whatever the caller's summary function returns (the report's
//! `key_metrics`), and `report::compare` renders the result.

use crate::check::Status;
use crate::engine::SimDuration;
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
    let text = scenario::read_text(path)?;
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
/// `M` is the run's headline metrics, as the caller's summary function gives them.
#[derive(Clone, Debug)]
pub struct Outcome<M> {
    pub seed: u64,
    pub trace_hash: u64,
    /// `(invariant, violated, count)` in the checkers' order.
    pub invariants: Vec<(&'static str, bool, u64)>,
    pub metrics: M,
}

impl<M> Outcome<M> {
    fn of(run: &RunResult, headline: impl Fn(&RunResult) -> M) -> Self {
        Outcome {
            seed: run.seed,
            trace_hash: run.trace_hash,
            invariants: run
                .invariants
                .iter()
                .map(|i| (i.id, i.status == Status::Violated, i.count))
                .collect(),
            metrics: headline(run),
        }
    }
}

/// Everything a comparison found.
pub struct Comparison<M> {
    pub scenario: Arc<Scenario>,
    pub designs: Vec<DesignSpec>,
    pub seeds: Vec<u64>,
    /// `outcomes[d][i]`: design `d` on `seeds[i]`.
    pub outcomes: Vec<Vec<Outcome<M>>>,
    /// Each design's full run on the first seed, for the overlaid plots.
    pub first: Vec<RunResult>,
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{0}")]
    Input(#[from] ScenarioError),
    #[error(
        "compare needs at least two designs (--design FILE, twice or more, or `variants` in \
         {path}); got {count}"
    )]
    TooFewDesigns { path: String, count: usize },
    #[error("at most {DESIGNS_MAX} designs per comparison; got {count}")]
    TooManyDesigns { count: usize },
    #[error(
        "two designs are named \"{name}\" ({first} and {second}); give each design file its \
         own \"name\""
    )]
    DuplicateName { name: String, first: String, second: String },
    #[error("design {design}, seed {seed}: {err}")]
    Run { design: String, seed: u64, err: SimError },
}

/// What one design's run on one seed leaves: its outcome, and the whole run when the
/// seed is the first (the overlaid plots draw it).
type Kept<M> = (Outcome<M>, Option<RunResult>);

/// Runs every design on every seed (in parallel; the result does not depend on how
/// many threads ran it) against the scenario at `path`, keeping `headline(run)` of
/// each run.
pub fn compare<M: Send>(
    path: &str,
    designs: Vec<DesignSpec>,
    seeds: Vec<u64>,
    duration: Option<SimDuration>,
    headline: impl Fn(&RunResult) -> M + Sync,
) -> Result<Comparison<M>, CompareError> {
    check_designs(path, &designs)?;
    let text = scenario::read_text(path)?;
    let base = crate::sim::from_str(path, &text)?;
    let source = scenario::parse_file(path, &text)?;
    let scenarios: Vec<Scenario> = designs
        .iter()
        .map(|d| {
            let label = if d.origin == path { path } else { d.origin.as_str() };
            scenario::with_design(&source, path, base.source_hash, label, &d.patch)
        })
        .collect::<Result<_, _>>()?;
    // Every (design, seed index) pair, design by design: the order results are kept in.
    let jobs: Vec<(usize, usize)> =
        (0..designs.len()).flat_map(|d| (0..seeds.len()).map(move |i| (d, i))).collect();
    let results: Vec<Result<Kept<M>, CompareError>> = jobs
        .par_iter()
        .map(|&(design, seed_index)| {
            let seed = seeds[seed_index];
            let opts = RunOptions { seed: Some(seed), duration, ..Default::default() };
            let run = sim::run(&scenarios[design], &opts).map_err(|err| CompareError::Run {
                design: designs[design].name.clone(),
                seed,
                err,
            })?;
            Ok((Outcome::of(&run, &headline), (seed_index == 0).then_some(run)))
        })
        .collect();
    let mut outcomes: Vec<Vec<Outcome<M>>> = Vec::with_capacity(designs.len());
    outcomes.resize_with(designs.len(), || Vec::with_capacity(seeds.len()));
    let mut first = Vec::with_capacity(designs.len());
    for (&(design, _), result) in jobs.iter().zip(results) {
        let (outcome, run) = result?;
        outcomes[design].push(outcome);
        if let Some(run) = run {
            first.push(run);
        }
    }
    Ok(Comparison { scenario: Arc::new(base), designs, seeds, outcomes, first })
}

/// Two to `DESIGNS_MAX` designs, each with a name of its own.
fn check_designs(path: &str, designs: &[DesignSpec]) -> Result<(), CompareError> {
    if designs.len() < 2 {
        return Err(CompareError::TooFewDesigns { path: path.to_string(), count: designs.len() });
    }
    if designs.len() > DESIGNS_MAX {
        return Err(CompareError::TooManyDesigns { count: designs.len() });
    }
    for (i, d) in designs.iter().enumerate() {
        if let Some(earlier) = designs[..i].iter().find(|e| e.name == d.name) {
            return Err(CompareError::DuplicateName {
                name: d.name.clone(),
                first: earlier.origin.clone(),
                second: d.origin.clone(),
            });
        }
    }
    Ok(())
}

/// A `--seeds` value that is not a range of seeds gameday can run.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum SeedsError {
    #[error("--seeds {spec:?}: expected A..B (both included, e.g. 1..100) or one seed N")]
    Malformed { spec: String },
    #[error("--seeds {spec:?}: the range is empty ({to} is below {from})")]
    Empty { spec: String, from: u64, to: u64 },
    #[error("--seeds {spec:?}: at most {SEEDS_MAX} seeds per run; split the range")]
    TooMany { spec: String },
}

/// Parses `A..B` (inclusive: `1..100` is a hundred seeds) or a single seed `N`.
pub fn parse_seeds(spec: &str) -> Result<Vec<u64>, SeedsError> {
    let malformed = || SeedsError::Malformed { spec: spec.to_string() };
    let (from, to) = match spec.split_once("..") {
        Some((from, to)) => (from.trim(), to.trim().trim_start_matches('=')),
        None => (spec.trim(), spec.trim()),
    };
    let from: u64 = from.parse().map_err(|_| malformed())?;
    let to: u64 = to.parse().map_err(|_| malformed())?;
    if to < from {
        return Err(SeedsError::Empty { spec: spec.to_string(), from, to });
    }
    if to - from >= SEEDS_MAX {
        return Err(SeedsError::TooMany { spec: spec.to_string() });
    }
    Ok((from..=to).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_include_both_ends() {
        assert_eq!(parse_seeds("3..5").unwrap(), vec![3, 4, 5]);
        assert_eq!(parse_seeds("3..=5").unwrap(), vec![3, 4, 5]);
        assert_eq!(parse_seeds("7").unwrap(), vec![7]);
        assert!(parse_seeds("5..3").unwrap_err().to_string().contains("empty"));
        assert!(parse_seeds("a..3").unwrap_err().to_string().contains("A..B"));
        assert!(parse_seeds("0..200000").unwrap_err().to_string().contains("at most"));
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut t = serde_json::json!({"a": 1, "b": {"c": 2, "d": 3}});
        scenario::merge_patch(&mut t, &serde_json::json!({"a": null, "b": {"c": 5}, "e": [1]}));
        assert_eq!(t, serde_json::json!({"b": {"c": 5, "d": 3}, "e": [1]}));
    }
}
