//! The comparison as a terminal table: one column per design, each as wide as its
//! widest cell, so long metric labels and seed ranges never push a figure out of its
//! column. The prose around the table is wrapped to `TERMINAL_COLUMNS`; the table is
//! not (a wrapped row is unreadable): when ranges would make it too wide, it shows
//! medians only and says the ranges are in compare.json.

use super::{
    availability_explained, differences, invariant_cell, invariant_rows, metric_cell, metric_rows,
    rule, seeds_text, within_noise, Comparison, MetricRow,
};
use crate::report::{fit, format_metric, TERMINAL_COLUMNS};
use std::fmt::Write as _;

/// The mark after a cell whose design is better beyond noise.
const MARK: &str = " *";

/// Column letter of design `i`: A, B, C...
fn letter(i: usize) -> char {
    (b'A' + i as u8) as char
}

/// The side-by-side table for a terminal: `*` marks a design better beyond run-to-run
/// noise, and the rule that decided is stated below it.
pub fn compare_terminal(comparison: &Comparison) -> String {
    let mut head = String::new();
    let _ = writeln!(
        head,
        "gameday {} · compare · {} · {}",
        env!("CARGO_PKG_VERSION"),
        comparison.scenario.name,
        seeds_text(comparison)
    );
    for (i, d) in comparison.designs.iter().enumerate() {
        let mut patch = d.patch.to_string();
        if patch.chars().count() > 60 {
            patch = patch.chars().take(57).collect::<String>() + "...";
        }
        let _ = writeln!(head, "  {} {}: {patch} ({})", letter(i), d.name, d.origin);
    }
    let rows = metric_rows(comparison);
    let mut table = tables(comparison, &rows, true);
    let mut medians_only = false;
    if comparison.seeds.len() > 1 && widest(&table) > TERMINAL_COLUMNS {
        table = tables(comparison, &rows, false);
        medians_only = true;
    }
    let mut o = fit(&head, TERMINAL_COLUMNS);
    o.push_str(&table);
    o.push_str(&fit(&footer(comparison, &rows, medians_only), TERMINAL_COLUMNS));
    o
}

/// The longest line's width in characters.
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// The invariant and metric tables, sharing their column widths.
fn tables(comparison: &Comparison, rows: &[MetricRow], ranges: bool) -> String {
    let n = comparison.designs.len();
    let mut body: Vec<Vec<String>> = Vec::new();
    let marked = |text: String, best: bool| if best { text + MARK } else { text };
    body.push(header("invariant", n));
    for r in invariant_rows(comparison) {
        let mut row = vec![r.id.to_string()];
        for (i, p) in r.per_design.iter().enumerate() {
            row.push(marked(invariant_cell(comparison, *p), r.best.contains(&i)));
        }
        body.push(row);
    }
    body.push(Vec::new());
    let first = if comparison.seeds.len() == 1 {
        "metric"
    } else if ranges {
        "metric (p50 [min–max])"
    } else {
        "metric (p50)"
    };
    body.push(header(first, n));
    for r in rows.iter().filter(|r| r.per_design.iter().any(Option::is_some)) {
        let unit =
            if r.metric.unit == "share" { String::new() } else { format!(" ({})", r.metric.unit) };
        let mut row = vec![format!("{}{unit}", r.metric.label)];
        for (i, d) in r.per_design.iter().enumerate() {
            let cell = if ranges {
                metric_cell(comparison, &r.metric, *d)
            } else {
                format_metric(&r.metric, d.map(|d| d.p50))
            };
            row.push(marked(cell, r.best.contains(&i)));
        }
        body.push(row);
    }
    render(&body)
}

/// A header row: the first column's title, then each design's letter.
fn header(first: &str, designs: usize) -> Vec<String> {
    std::iter::once(first.to_string()).chain((0..designs).map(|i| letter(i).to_string())).collect()
}

/// Rows as aligned columns, each as wide as its widest cell, two spaces apart; an
/// empty row is a blank line.
fn render(body: &[Vec<String>]) -> String {
    let columns = body.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| body.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    let mut o = String::from("\n");
    for row in body {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let _ = write!(line, "{cell:<w$}  ", w = widths[c]);
        }
        o.push_str(line.trim_end());
        o.push('\n');
    }
    o
}

/// What differs, why a design is less available, what is within noise, and the rule.
fn footer(comparison: &Comparison, rows: &[MetricRow], medians_only: bool) -> String {
    let mut o = String::new();
    if medians_only {
        o.push_str("(medians over seeds; each design's range is in compare.json)\n");
    }
    let diff = differences(comparison);
    o.push('\n');
    if diff.is_empty() {
        o.push_str("the designs agree on every invariant\n");
    } else {
        let what = if diff.len() == 1 { "one invariant" } else { "these invariants" };
        let _ = writeln!(o, "the designs differ on {what}:");
        for d in diff {
            let _ = writeln!(o, "  {d}");
        }
    }
    for line in availability_explained(comparison, rows) {
        let _ = writeln!(o, "{line}");
    }
    let noise = within_noise(rows);
    if !noise.is_empty() {
        let _ = writeln!(o, "no clear difference (within run-to-run noise): {}", noise.join("; "));
    }
    let _ = writeln!(o, "* marks the better design; {}.", rule(comparison).describe());
    o
}
