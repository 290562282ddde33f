//! Why a design is less available than another, in the words the data supports. A
//! safer design is often less available on purpose: it answers "no" to a write it cannot
//! make safe where the other design accepts it, or leaves it in doubt. The summary can
//! show that much (completions by outcome per operation kind, how long no write was
//! acknowledged around a promotion, breaker changes), so this says it instead of
//! leaving a reader to think the mitigations made things worse. It never guesses: a
//! sentence appears only when the figures behind it are there.
//!
//! It reads each design's full run on the comparison's first seed (the one the plots
//! draw), and says so.

use super::Comparison;
use crate::metrics::Summary;
use crate::scenario::{OpKind, Workload};

/// Completions of one class of operations (reads or writes), every client region.
#[derive(Clone, Copy, Default)]
struct Tally {
    ok: u64,
    failed: u64,
    /// The client gave up without knowing whether the write happened.
    unanswered: u64,
}

impl Tally {
    fn total(self) -> u64 {
        self.ok + self.failed + self.unanswered
    }

    /// "120 of 9,000 failed (1.3%), 40 without an answer".
    fn text(self) -> String {
        let share = |n: u64| 100.0 * n as f64 / self.total().max(1) as f64;
        let mut t =
            format!("{} of {} failed ({:.1}%)", self.failed, self.total(), share(self.failed));
        if self.unanswered > 0 {
            t += &format!(
                ", {} without an answer ({:.1}%)",
                self.unanswered,
                share(self.unanswered)
            );
        }
        t
    }
}

/// Reads (`reads`) or writes of a run, summed over client regions and kinds.
/// The summary names kinds as outputs do (by label, if the workload gave one).
fn tally(m: &Summary, w: &Workload, reads: bool) -> Tally {
    let mut t = Tally::default();
    let kind_of = |name: &str| OpKind::ALL.into_iter().find(|k| w.op_name(*k) == name);
    for kinds in m.availability_by_region.values() {
        for (kind, k) in kinds {
            if kind_of(kind).is_some_and(|op| op.is_read() == reads) {
                t.ok += k.ok;
                t.failed += k.failed;
                t.unanswered += k.indeterminate;
            }
        }
    }
    t
}

/// The longest time around a promotion with no write acknowledged, in seconds.
fn write_gap_s(m: &Summary) -> Option<f64> {
    m.promotions.iter().filter_map(|p| p.write_rto_ms).reduce(f64::max).map(|ms| ms / 1e3)
}

/// For each design less available than `better` (by the comparison's own rule:
/// `worse`), sentences on where its failures are and why, when the data shows it.
pub fn less_available(comparison: &Comparison, better: usize, worse: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    let seed = comparison.seeds[0];
    let (b, bm) = (&comparison.designs[better].name, &comparison.first[better].metrics);
    for &w in worse {
        let (n, wm) = (&comparison.designs[w].name, &comparison.first[w].metrics);
        out.push(format!(
            "{n} is less available than {b}: on seed {seed}, {:.2}% of operations succeeded against {:.2}%.",
            wm.availability * 100.0,
            bm.availability * 100.0
        ));
        let wl = &comparison.scenario.workload;
        let (ww, bw) = (tally(wm, wl, false), tally(bm, wl, false));
        let (wr, br) = (tally(wm, wl, true), tally(bm, wl, true));
        if ww.total() > 0 {
            out.push(format!("  writes: {n} {}; {b} {}.", ww.text(), bw.text()));
        }
        if wr.total() > 0 {
            out.push(format!("  reads: {n} {}; {b} {}.", wr.text(), br.text()));
        }
        out.extend(reasons(n, wm, ww, b, bm, bw));
    }
    out
}

/// The causes the figures show, one sentence each.
fn reasons(n: &str, wm: &Summary, ww: Tally, b: &str, bm: &Summary, bw: Tally) -> Vec<String> {
    let mut out = Vec::new();
    if ww.failed > bw.failed && ww.unanswered < bw.unanswered {
        out.push(format!(
            "  {n} says no to writes rather than leave them in doubt: it refused {} where {b} \
             left {} without an answer, whose client cannot know whether they happened.",
            ww.failed, bw.unanswered
        ));
    }
    if let (Some(gw), Some(gb)) = (write_gap_s(wm), write_gap_s(bm)) {
        if gw >= gb + 1.0 {
            out.push(format!(
                "  around its promotion {n} acknowledged no write for {gw:.1} s (from the last \
                 write before it to the first after), against {gb:.1} s for {b}."
            ));
        }
    }
    if wm.breaker_transitions > 0 && bm.breaker_transitions == 0 {
        out.push(format!(
            "  {n}'s circuit breakers changed state {}; an open breaker fails calls at once \
             instead of sending them to a struggling region.",
            crate::report::words::count(wm.breaker_transitions as usize, "time", "times")
        ));
    }
    out
}
