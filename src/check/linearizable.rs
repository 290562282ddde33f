//! `linearizable`: the strong-class register history (strong reads, writes and cas,
//! each logical operation its own process, each register its own key) is
//! linearizable. The history is recorded as the run goes and checked per key at the
//! end with the Wing-Gong/Lowe search of `linearizability`, under a step limit (no
//! wall clock, so the verdict is as deterministic as the run). Operations whose outcome
//! the client never learned may take effect at any point after their invocation, or
//! never. Past the limits the verdict is `unknown`, reported in the details, and the
//! invariant is not counted as violated: it cannot show a violation it did not find.

use super::linearizability::{self as lin, Limits, Model, Verdict};
use super::register_history::{RegisterEvent, RegisterHistory};
use super::{Details, Finding, Invariant, View};
use crate::engine::SimTime;
use crate::history::{Func, History, Outcome, ProcessId, Value};
use crate::model::obs::Obs;
use crate::scenario::Scenario;
use serde::Serialize;

/// Operations recorded at most; a longer run's history is checked up to here.
pub const HISTORY_OPS_MAX: usize = 200_000;

/// Search steps per check (all keys together).
pub const STEPS_MAX: u64 = 5_000_000;

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
    /// Set when the history reached `HISTORY_OPS_MAX` and later operations were left out.
    pub truncated_at: Option<usize>,
    pub unknown_reason: Option<String>,
    pub verdict: LinearizableVerdict,
}

pub struct Linearizable {
    translate: RegisterHistory,
    history: History,
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
            history: History::new(),
            truncated: false,
            verdict: LinearizableVerdict::Linearizable,
            reason: String::new(),
            summary: String::new(),
            svg: String::new(),
        }
    }
}

impl Invariant for Linearizable {
    fn id(&self) -> &'static str {
        "linearizable"
    }

    fn observe(&mut self, obs: &Obs, view: &View, _found: &mut Vec<Finding>) {
        let now = Some(view.at.as_us() as i64);
        match self.translate.translate(obs) {
            Some(RegisterEvent::Invoke { process, func: f, key, value }) => {
                if self.history.ops().len() >= HISTORY_OPS_MAX {
                    self.truncated = true;
                    return;
                }
                let key = Some(Value::Int(key));
                let _ = self.history.invoke_at(ProcessId(process), f, key, value, now, 0);
            }
            Some(RegisterEvent::Complete { process, func: f, outcome, value, .. }) => {
                // Only a read's completion carries an output the model checks.
                let output = (f == Func::Read && outcome == Outcome::Ok).then_some(value);
                // An operation invoked past the cap was never recorded: nothing to complete.
                let _ = self.history.complete_at(ProcessId(process), None, outcome, output, now, 0);
            }
            None => {}
        }
    }

    fn undecided(&self) -> bool {
        self.verdict == LinearizableVerdict::Unknown
    }

    fn finish(&mut self, _view: &View, found: &mut Vec<Finding>) {
        if self.history.ops().is_empty() {
            self.verdict = LinearizableVerdict::Empty;
            return;
        }
        let model = Model::Register { init: Value::Int(0) };
        match lin::check(&self.history, &model, &Limits::deterministic(STEPS_MAX)) {
            Ok(Verdict::Linearizable) => {}
            Ok(Verdict::Unknown { reason }) => {
                self.verdict = LinearizableVerdict::Unknown;
                self.reason = reason;
            }
            Ok(Verdict::NotLinearizable(cx)) => {
                self.verdict = LinearizableVerdict::NotLinearizable;
                let op = self.history.op(cx.unplaceable);
                let at = op.completion.and_then(|c| c.at.time).or(op.invoke.time).unwrap_or(0);
                self.summary = cx.summary(&self.history);
                self.svg = cx.svg(&self.history);
                found.push(Finding {
                    at: SimTime(at.max(0) as u64),
                    what: format!(
                        "the strong register history is not linearizable: {} (operation #{}) cannot be placed after the {} operations before it; {} operations are not linearizable on their own",
                        op.describe(),
                        op.process.0,
                        cx.prefix.len(),
                        cx.minimal.len()
                    ),
                    regions: Vec::new(),
                });
            }
            Err(e) => {
                self.verdict = LinearizableVerdict::Unknown;
                self.reason = e.to_string();
            }
        }
    }

    fn details(&self) -> Option<Details> {
        let text = |s: &String| (!s.is_empty()).then(|| s.clone());
        let details = LinearizableDetails {
            verdict: self.verdict,
            operations: self.history.ops().len(),
            truncated_at: self.truncated.then_some(HISTORY_OPS_MAX),
            unknown_reason: text(&self.reason),
            counterexample: text(&self.summary),
            counterexample_svg: text(&self.svg),
        };
        Some(details.into())
    }
}
