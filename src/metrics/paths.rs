//! The summary's figures named by dot path ("availability", "blast_radius.customers",
//! "latency.us-east.p99_ms"), as `expect.metrics` names them: every path a run's
//! summary can hold, and the figure at one path of a typed summary. A path walks nested
//! objects down to a number; lists (promotions, runbook steps, series points) are not
//! walked, as they never were when paths were looked up in the summary's JSON. Nothing
//! here changes a summary.

use super::summary::{
    AsyncFallback, BlastRadius, CommitLatency, Conflicts, ErrorBudgetBurn, KindAvailability, Lag,
    Latencies, LatencyQuantiles, Load, OpLatency, QueueDepth, RegionTimeline, Summary,
};
use super::Series;
use crate::scenario::OpKind;
use serde_json::Value;
use std::collections::BTreeMap;

/// A value that can be walked by the segments of a dot path down to a number.
pub trait DotPath {
    /// The number at `path` below this value (an empty path: this value itself).
    fn at(&self, path: &[&str]) -> Option<f64>;
}

impl DotPath for f64 {
    fn at(&self, path: &[&str]) -> Option<f64> {
        // The JSON writes a number that is not finite as null, which names no figure.
        path.is_empty().then_some(*self).filter(|x| x.is_finite())
    }
}

macro_rules! whole_numbers {
    ($($ty:ty),*) => {$(
        impl DotPath for $ty {
            fn at(&self, path: &[&str]) -> Option<f64> {
                path.is_empty().then_some(*self as f64)
            }
        }
    )*};
}
whole_numbers!(u32, u64, usize);

/// Flags and names are not figures.
macro_rules! not_figures {
    ($($ty:ty),*) => {$(
        impl DotPath for $ty {
            fn at(&self, _path: &[&str]) -> Option<f64> {
                None
            }
        }
    )*};
}
not_figures!(bool, &'static str, String);

impl<T: DotPath> DotPath for Option<T> {
    fn at(&self, path: &[&str]) -> Option<f64> {
        self.as_ref()?.at(path)
    }
}

/// Lists are not walked: a dot path has no index.
impl<T> DotPath for Vec<T> {
    fn at(&self, _path: &[&str]) -> Option<f64> {
        None
    }
}

impl<T: DotPath> DotPath for BTreeMap<String, T> {
    fn at(&self, path: &[&str]) -> Option<f64> {
        let (key, rest) = path.split_first()?;
        self.get(*key)?.at(rest)
    }
}

impl DotPath for OpLatency {
    fn at(&self, path: &[&str]) -> Option<f64> {
        match path.split_first() {
            Some((&"by_region", rest)) => self.by_region.at(rest),
            _ => self.all.at(path),
        }
    }
}

impl DotPath for Latencies {
    fn at(&self, path: &[&str]) -> Option<f64> {
        self.entries().at(path)
    }
}

/// Implements `DotPath` for a struct by its serialized field names, which must be
/// every field it serializes (a test compares the two on real runs).
macro_rules! walk_fields {
    ($($ty:ty { $($field:ident),* $(,)? })*) => {$(
        impl DotPath for $ty {
            fn at(&self, path: &[&str]) -> Option<f64> {
                let (head, rest) = path.split_first()?;
                match *head {
                    $(stringify!($field) => self.$field.at(rest),)*
                    _ => None,
                }
            }
        }
    )*};
}

walk_fields! {
    Summary {
        operations, availability, availability_by_region, latency, latency_by_op,
        commit_latency, async_fallback, retry_amplification,
        replication_lag, promotions, log_entries_peak, brownout_detection_ms,
        breaker_transitions, breakers, error_budget_burn, blast_radius, load,
        snapshots_sent, conflicts, by_region, runbook,
    }
    KindAvailability { availability, ok, failed, indeterminate }
    CommitLatency { quorum_wait, commit_wait }
    AsyncFallback { periods, seconds, writes }
    LatencyQuantiles { p50_ms, p99_ms, p999_ms, count }
    Lag { max_ms, p99_ms, down_s, series_ms }
    ErrorBudgetBurn { slo, by_region }
    BlastRadius { error_rate_threshold, customers, customers_hit, cells, cells_hit }
    Load {
        offered_per_s, goodput_per_s, attempts_per_s, retry_amplification_per_s,
        queue_depth, queue_oldest_ms,
    }
    QueueDepth { max, series }
    Conflicts { superseded_unobserved, remote_updates_merged, conditional_writes_refused }
    RegionTimeline {
        ok_per_s, failed_per_s, error_rate, latency_p50_ms, latency_p99_ms, writer,
        routes_writes_to,
    }
    Series { bucket_us, points }
}

impl Summary {
    /// The figure at a dot path, as `expect.metrics` names it; `None` when the path
    /// names nothing, names something other than a number, or names a figure this run
    /// did not measure (no brownout detected, say).
    pub fn metric(&self, path: &str) -> Option<f64> {
        let segments: Vec<&str> = path.split('.').collect();
        self.at(&segments)
    }

    /// A summary with every map key a run over `regions` can hold and every optional
    /// figure present, so its JSON shows every path there is.
    fn example(regions: &[&str]) -> Summary {
        fn each<T>(regions: &[&str], value: impl Fn() -> T) -> BTreeMap<String, T> {
            regions.iter().map(|r| (r.to_string(), value())).collect()
        }
        let kinds = || {
            OpKind::ALL
                .iter()
                .map(|k| (k.name().to_string(), KindAvailability::default()))
                .collect()
        };
        let pairs = regions.iter().flat_map(|a| regions.iter().map(move |b| format!("{a}->{b}")));
        let latency = each(regions, LatencyQuantiles::default).into_iter().collect();
        Summary {
            availability_by_region: each(regions, kinds),
            latency: Latencies::new(LatencyQuantiles::default(), latency),
            replication_lag: each(regions, Lag::default),
            brownout_detection_ms: Some(0.0),
            breakers: pairs.map(|k| (k, Series::default())).collect(),
            error_budget_burn: ErrorBudgetBurn {
                by_region: each(regions, || 0.0),
                ..Default::default()
            },
            load: Load {
                queue_depth: each(regions, QueueDepth::default),
                queue_oldest_ms: each(regions, || 0.0),
                ..Load::default()
            },
            by_region: each(regions, RegionTimeline::default),
            ..Summary::default()
        }
    }
}

/// Every dot path to a number that the summary of a run over `regions` can hold, in
/// sorted order: what `expect.metrics` may name. Read from the summary's own serialization,
/// so a field added to the summary is listed without being named here.
pub fn metric_paths(regions: &[&str]) -> Vec<String> {
    let example = serde_json::to_value(Summary::example(regions)).expect("a summary serializes");
    let mut out = Vec::new();
    numbers(&example, "", &mut out);
    out.sort();
    out
}

/// Collects the dot paths of every number below `v`, objects only. A key with a dot in
/// it (operation kinds such as `account.credit`) cannot be named by a dot path, so
/// nothing below it is listed.
fn numbers(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(fields) => {
            for (key, child) in fields.iter().filter(|(key, _)| !key.contains('.')) {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                numbers(child, &path, out);
            }
        }
        Value::Number(_) => out.push(prefix.to_string()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The number at `path` in the summary's JSON, as paths were looked up before the
    /// summary was typed.
    fn in_json(v: &Value, path: &str) -> Option<f64> {
        path.split('.').try_fold(v, |v, k| v.get(k)).and_then(Value::as_f64)
    }

    /// Every path listed resolves on the typed summary to what its JSON holds there:
    /// the field lists `walk_fields!` names are the fields serde writes.
    #[test]
    fn every_listed_path_resolves_as_in_the_json() {
        let regions = ["us-east", "eu-west"];
        let mut example = Summary::example(&regions);
        // Distinct figures, so a path resolving to the wrong field shows.
        example.availability = 0.5;
        example.blast_radius.cells = 0.25;
        example.load.queue_oldest_ms.insert("eu-west".into(), 7.0);
        let json = serde_json::to_value(&example).unwrap();
        let paths = metric_paths(&regions);
        assert!(paths.len() > 50, "{} paths", paths.len());
        for p in &paths {
            assert_eq!(example.metric(p), in_json(&json, p), "{p}");
            assert!(example.metric(p).is_some(), "{p}");
        }
        for p in ["availability", "blast_radius.customers", "latency.all.p99_ms"] {
            assert!(paths.iter().any(|x| x == p), "{p} listed");
        }
    }

    /// Objects, lists, names and unknown paths are not figures.
    #[test]
    fn paths_to_anything_but_a_number_name_nothing() {
        let s = Summary::example(&["us-east"]);
        for p in ["latency", "promotions", "runbook", "load.offered_per_s.points", "nope", ""] {
            assert_eq!(s.metric(p), None, "{p}");
        }
        assert_eq!(s.metric("brownout_detection_ms"), Some(0.0));
        assert_eq!(Summary::default().metric("brownout_detection_ms"), None);
    }
}
