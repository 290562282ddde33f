//! `gameday merge`: shard outputs of one sweep (or one check) into what the whole run
//! writes. Each output is proved before it is taken (`proof`): this gameday wrote it,
//! its shard is a real `I/N`, its records are exactly that shard's; then every shard
//! must be there once (`ShardTally`), so the union is exactly the run's range.

use super::check::{self, CheckRow};
use super::proof;
use super::shard::{MergeError, ShardTally, SweepShown};
use super::sweep::{self, MetricDef, SweepDoc, SweepId};
use serde::Deserialize;
use serde_json::Value;
use std::path::PathBuf;

/// Merges sweep shard outputs into the whole sweep's output, or says why they do not.
pub fn sweeps(parts: Vec<(String, Value)>) -> Result<Value, MergeError> {
    let Some((first_name, _)) = parts.first() else { return Err(MergeError::Nothing) };
    let mut first: Option<SweepDoc> = None;
    let mut shards = ShardTally::new(first_name);
    let mut records = Vec::new();
    for (name, v) in &parts {
        let (doc, shard) = sweep_shard(name, v)?;
        match &first {
            None => first = Some(doc.clone()),
            Some(f) => same_sweep(name, &doc, first_name, f)?,
        }
        shards.take(name, shard.0.into(), shard.1.into())?;
        records.extend(doc.records);
    }
    let (missing, of) = shards.missing();
    if !missing.is_empty() {
        return Err(MergeError::MissingSweepShards { missing, of });
    }
    records.sort_by_key(|r| r.seed);
    let first = first.expect("at least one part");
    Ok(sweep::sweep_json(&first.sweep, None, false, &first.metric_defs, &records))
}

/// One sweep shard, read and proved: its shard, its seeds, its summary.
fn sweep_shard(name: &str, v: &Value) -> Result<(SweepDoc, (u32, u32)), MergeError> {
    if v["kind"] != "gameday-sweep" {
        return Err(MergeError::NotSweep { name: name.to_string() });
    }
    proof::check_versions(name, v, Some(crate::outcome::SUMMARY_SCHEMA_VERSION))?;
    if v["partial"] == true {
        return Err(MergeError::Partial { name: name.to_string() });
    }
    let Some(shard) = proof::read_shard(name, &v["shard"])? else {
        return Err(MergeError::WholeSweep { name: name.to_string() });
    };
    let field = |field: &'static str| {
        move |source| MergeError::Field { name: name.to_string(), field, source }
    };
    let id = SweepId::deserialize(&v["sweep"]).map_err(field("sweep"))?;
    let doc = SweepDoc::deserialize(v).map_err(field("records"))?;
    let seeds: Vec<u64> = doc.records.iter().map(|r| r.seed).collect();
    proof::prove_seeds(name, (id.seeds_from, id.seeds_to), shard, &seeds)?;
    if sweep::summary(&id, &doc.metric_defs, &doc.records) != doc.summary {
        return Err(MergeError::SummaryMismatch { name: name.to_string() });
    }
    Ok((doc, shard))
}

/// Another shard of the same sweep as the first: same scenario, range and metrics.
fn same_sweep(
    name: &str,
    doc: &SweepDoc,
    first_name: &str,
    first: &SweepDoc,
) -> Result<(), MergeError> {
    if doc.sweep != first.sweep {
        let shown = |name: &str, of: &SweepId| {
            Box::new(SweepShown {
                name: name.to_string(),
                file: of.file.clone(),
                seeds_from: of.seeds_from,
                seeds_to: of.seeds_to,
            })
        };
        let (this, first) = (shown(name, &doc.sweep), shown(first_name, &first.sweep));
        return Err(MergeError::OtherSweep { this, first });
    }
    // A shard whose seeds all hit a limit measured nothing, so has no definitions.
    let defined = |d: &[MetricDef]| !d.is_empty();
    if defined(&doc.metric_defs)
        && defined(&first.metric_defs)
        && doc.metric_defs != first.metric_defs
    {
        let (name, first_name) = (name.to_string(), first_name.to_string());
        return Err(MergeError::OtherMetrics { name, first_name });
    }
    Ok(())
}

/// Check shards into one result: every shard of the same file list, once each, each
/// holding exactly its files' rows.
pub fn checks(parts: Vec<(String, Value)>) -> Result<Value, MergeError> {
    let Some((first_name, first)) = parts.first() else { return Err(MergeError::Nothing) };
    let files = first["files"].clone();
    let mut shards = ShardTally::new(first_name);
    let mut rows: Vec<CheckRow> = Vec::new();
    for (name, output) in &parts {
        proof::check_versions(name, output, None)?;
        if output["files"] != files {
            let first_name = first_name.clone();
            return Err(MergeError::OtherFiles { name: name.clone(), first_name });
        }
        let Some(shard) = proof::read_shard(name, &output["shard"])? else {
            return Err(MergeError::WholeCheck { name: name.clone() });
        };
        shards.take(name, shard.0.into(), shard.1.into())?;
        if output["partial"] == true {
            return Err(MergeError::Partial { name: name.clone() });
        }
        let field = |field: &'static str| {
            move |source| MergeError::Field { name: name.clone(), field, source }
        };
        let list = Vec::<String>::deserialize(&output["files"]).map_err(field("files"))?;
        let shard_rows = Vec::<CheckRow>::deserialize(&output["rows"]).map_err(field("rows"))?;
        let row_files: Vec<&str> = shard_rows.iter().map(|r| r.file.as_str()).collect();
        proof::prove_files(name, &list, shard, &row_files)?;
        rows.extend(shard_rows);
    }
    let (missing, of) = shards.missing();
    if !missing.is_empty() {
        return Err(MergeError::MissingCheckShards { missing, of });
    }
    rows.sort_by(|a, b| a.file.cmp(&b.file));
    let all: Vec<PathBuf> = files
        .as_array()
        .map(|a| a.iter().filter_map(|f| f.as_str().map(PathBuf::from)).collect())
        .unwrap_or_default();
    // Every shard skipped the same files (they share the file list): any one says which.
    let skipped: Vec<check::Skipped> =
        serde_json::from_value(first["skipped"].clone()).unwrap_or_default();
    Ok(check::check_json(&all, &skipped, None, false, &rows))
}
