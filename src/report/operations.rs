//! The report's table of operations: for each operation the workload ran (by its label,
//! if the workload gave one), how many succeeded, failed or went unanswered, and its
//! latency. An architect reads their own operation names here, not only the model's.

use super::html::escape;
use crate::metrics::Summary;
use crate::scenario::{OpKind, Scenario};
use std::fmt::Write as _;

/// Appends the "By operation" table; nothing when no operation completed.
pub fn html_operations(o: &mut String, scenario: &Scenario, m: &Summary) {
    let w = &scenario.workload;
    let mut rows = String::new();
    for kind in OpKind::ALL {
        let name = w.op_name(kind);
        let (mut ok, mut failed, mut unanswered) = (0u64, 0u64, 0u64);
        for kinds in m.availability_by_region.values() {
            if let Some(k) = kinds.get(name) {
                ok += k.ok;
                failed += k.failed;
                unanswered += k.indeterminate;
            }
        }
        let total = ok + failed + unanswered;
        if total == 0 {
            continue;
        }
        let shown = match &w.labels[kind.idx()] {
            Some(label) => {
                format!("{} <span class=\"muted\">({})</span>", escape(label), kind.name())
            }
            None => kind.name().to_string(),
        };
        let lat = m.latency_by_op.get(name).map(|l| &l.all);
        let ms = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1}"));
        let _ = write!(
            rows,
            "<tr><td>{shown}</td><td>{total}</td><td>{:.2}%</td><td>{failed}</td><td>{unanswered}</td><td>{}</td><td>{}</td></tr>",
            ok as f64 / total as f64 * 100.0,
            ms(lat.map(|l| l.p50_ms)),
            ms(lat.map(|l| l.p99_ms)),
        );
    }
    if rows.is_empty() {
        return;
    }
    o.push_str("<h3>By operation</h3><table><tr><th>operation</th><th>sent</th><th>succeeded</th><th>failed</th><th>no answer</th><th>latency p50 (ms)</th><th>p99</th></tr>");
    o.push_str(&rows);
    o.push_str("</table>");
}
