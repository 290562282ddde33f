//! `linearizable`: the strong-class register history (strong reads, writes and cas,
//! each logical operation its own process, each register its own key) is
//! linearizable. Each register's history is checked as the run goes, one segment at a
//! time between moments when none of its operations is in flight (`segment`), with
//! the Wing-Gong/Lowe search of `linearizability` under a step limit (no wall clock, so
//! the verdict is as deterministic as the run); what is decided is dropped, so memory
//! is bounded by the operations in flight, not by simulated time. Operations whose
//! outcome the client never learned may take effect at any point after their
//! invocation, or never. A register that never pauses has its segment cut where it
//! stands at `SEGMENT_OPS_MAX` operations, so what is held stays bounded even then.
//! Past the limits the verdict is `unknown`, reported in the
//! details, and the invariant is not counted as violated: it cannot show a violation
//! it did not find.

mod segment;
#[cfg(test)]
mod tests;

use super::register_history::{RegisterEvent, RegisterHistory};
use super::{Details, Finding, Invariant, View};
use crate::engine::SimTime;
use crate::history::{Func, Outcome, Value};
use crate::model::obs::Obs;
use crate::scenario::Scenario;
pub use segment::SEGMENT_OPS_MAX;
use segment::{KeyLog, SegmentVerdict};
use serde::Serialize;
use std::collections::BTreeMap;

/// Operations held at most (in segments not yet checked, all registers together);
/// past it recording stops and the history is checked up to there.
pub const HISTORY_OPS_MAX: usize = 200_000;

/// The verdict on the recorded history, written in summary.json in these words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LinearizableVerdict {
    #[serde(rename = "linearizable")]
    Linearizable,
    /// No strong register operation was recorded: nothing to check.
    #[serde(rename = "empty")]
    Empty,
    /// Past the step limit, or the search failed: not violated, not vouched for.
    #[serde(rename = "unknown")]
    Unknown,
    #[serde(rename = "not linearizable")]
    NotLinearizable,
}

/// What `linearizable` reports: the verdict, the history's size, why it is unknown,
/// and a counterexample (text, and a timeline as SVG) when it is not linearizable.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinearizableDetails {
    pub counterexample: Option<String>,
    pub counterexample_svg: Option<String>,
    pub operations: usize,
    /// Segments checked: stretches of one register's history between moments when
    /// none of its operations was in flight.
    pub segments: u64,
    /// Set when the operations held at once reached `HISTORY_OPS_MAX` and later
    /// operations were left out.
    pub truncated_at: Option<usize>,
    pub unknown_reason: Option<String>,
    pub verdict: LinearizableVerdict,
}

pub struct Linearizable {
    translate: RegisterHistory,
    keys: BTreeMap<i64, KeyLog>,
    /// Operations recorded, and held in segments not yet checked.
    operations: usize,
    held: usize,
    /// The most operations held at once.
    held_max: usize,
    segments: u64,
    /// Recording stopped: the held operations reached the cap, or a violation was found.
    stopped: bool,
    truncated: bool,
    verdict: LinearizableVerdict,
    reason: String,
    summary: String,
    svg: String,
}

impl Linearizable {
    pub fn new(scenario: &Scenario) -> Self {
        Linearizable {
            translate: RegisterHistory::new(scenario),
            keys: BTreeMap::new(),
            operations: 0,
            held: 0,
            held_max: 0,
            segments: 0,
            stopped: false,
            truncated: false,
            verdict: LinearizableVerdict::Linearizable,
            reason: String::new(),
            summary: String::new(),
            svg: String::new(),
        }
    }

    /// Checks `key`'s open segment and drops it; `last` at the end of the run.
    fn close(&mut self, key: i64, last: bool, found: &mut Vec<Finding>) {
        let Some(log) = self.keys.get_mut(&key) else { return };
        self.held -= log.recorded();
        self.segments += 1;
        match log.close(!last) {
            SegmentVerdict::Linearizable => {}
            SegmentVerdict::Unknown(reason) => {
                if self.verdict == LinearizableVerdict::Linearizable {
                    self.verdict = LinearizableVerdict::Unknown;
                    self.reason = format!("register {key}: {reason}");
                }
            }
            SegmentVerdict::NotLinearizable(f) => {
                self.report(key, &f, found);
                // The verdict is final: stop recording, and free what is held.
                self.stopped = true;
                self.keys.clear();
                self.held = 0;
            }
        }
    }

    fn report(&mut self, key: i64, f: &segment::Failure, found: &mut Vec<Finding>) {
        self.verdict = LinearizableVerdict::NotLinearizable;
        let (h, cx) = (&f.history, &f.cx);
        let op = h.op(cx.unplaceable);
        let at = op.completion.and_then(|c| c.at.time).or(op.invoke.time).unwrap_or(0);
        let since = format!(
            "checked from {:.3} s, when no operation on register {key} was in flight and it held {}",
            f.since_us as f64 / 1e6,
            or_list(&f.starts)
        );
        // Each operation is its own process here, numbered as the trails number it.
        let name = |op: &crate::history::Op| {
            let what = op.describe();
            let what = what.split_once(' ').map_or(what.as_str(), |d| d.1);
            format!("operation #{} ({what})", op.process.0)
        };
        self.summary = format!("{since}\n{}", cx.summary_naming(h, &name));
        self.svg = cx.svg_of_operations(h);
        found.push(Finding {
            at: SimTime(at.max(0) as u64),
            what: format!(
                "the strong register history is not linearizable: operation #{} ({}) cannot be placed after the {} operations before it; {} operations are not linearizable on their own ({since})",
                op.process.0,
                // The history names the operation by its process, which is the operation.
                op.describe().split_once(' ').map_or(String::new(), |d| d.1.to_string()),
                cx.prefix.len(),
                cx.minimal.len()
            ),
            regions: Vec::new(),
        });
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[Value]) -> String {
    let items: Vec<String> = items.iter().map(|v| v.to_string()).collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

impl Invariant for Linearizable {
    fn id(&self) -> &'static str {
        "linearizable"
    }

    fn observe(&mut self, obs: &Obs, view: &View, found: &mut Vec<Finding>) {
        let now = view.at.as_us() as i64;
        match self.translate.translate(obs) {
            Some(RegisterEvent::Invoke { process, func: f, key, value }) => {
                self.operations += 1;
                if self.stopped {
                    return;
                }
                if self.held >= HISTORY_OPS_MAX {
                    self.truncated = true;
                    self.stopped = true;
                    return;
                }
                if self.keys.get(&key).is_some_and(|l| l.recorded() >= SEGMENT_OPS_MAX) {
                    // The register has not paused for a whole segment: cut it here.
                    self.close(key, false, found);
                    if self.stopped {
                        return;
                    }
                }
                self.held += 1;
                self.held_max = self.held_max.max(self.held);
                let log = self.keys.entry(key).or_insert_with(|| KeyLog::new(key, Value::Int(0)));
                log.invoke(process, f, value, now);
            }
            Some(RegisterEvent::Complete { process, func: f, outcome, value, key }) => {
                // Only a read's completion carries an output the model checks.
                let output = (f == Func::Read && outcome == Outcome::Ok).then_some(value);
                let Some(log) = self.keys.get_mut(&key) else { return };
                if log.complete(process, outcome, output, now) {
                    self.close(key, false, found);
                }
            }
            None => {}
        }
    }

    /// Operations held at once in open segments.
    fn held_max(&self) -> usize {
        self.held_max
    }

    fn undecided(&self) -> bool {
        self.verdict == LinearizableVerdict::Unknown
    }

    fn finish(&mut self, _view: &View, found: &mut Vec<Finding>) {
        // Segments still open: their pending operations count as given up on.
        let open: Vec<i64> =
            self.keys.iter().filter(|(_, l)| l.recorded() > 0).map(|(k, _)| *k).collect();
        for key in open {
            if self.verdict == LinearizableVerdict::NotLinearizable {
                break;
            }
            self.close(key, true, found);
        }
        if self.operations == 0 {
            self.verdict = LinearizableVerdict::Empty;
        }
    }

    fn details(&self) -> Option<Details> {
        let text = |s: &String| (!s.is_empty()).then(|| s.clone());
        let details = LinearizableDetails {
            verdict: self.verdict,
            operations: self.operations,
            segments: self.segments,
            truncated_at: self.truncated.then_some(HISTORY_OPS_MAX),
            unknown_reason: text(&self.reason),
            counterexample: text(&self.summary),
            counterexample_svg: text(&self.svg),
        };
        Some(details.into())
    }
}
