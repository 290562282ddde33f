//! `linearizable`: the strong-class register history (strong reads, writes and cas,
//! each logical operation its own process, each register its own key) is
//! linearizable. The history is recorded as the run goes and checked per key at the
//! end with the Wing-Gong/Lowe search of `linearizability`, under a step limit (no
//! wall clock, so the verdict is as deterministic as the run). Operations whose outcome
//! the client never learned may take effect at any point after their invocation, or
//! never. Past the limits the verdict is `unknown`, reported in the details, and the
//! invariant is not counted as violated: it cannot show a violation it did not find.

use super::linearizability::{self as lin, Limits, Model, Verdict};
use super::{Finding, Invariant};
use crate::engine::SimTime;
use crate::history::{Func, History, ProcessId, Value};
use crate::model::types::{Obs, Req};
use crate::model::World;
use crate::scenario::{OpKind, ReadClass, Scenario};
use serde_json::json;
use std::collections::BTreeSet;

/// Operations recorded at most; a longer run's history is checked up to here.
pub const HISTORY_OPS_MAX: usize = 200_000;

/// Search steps per check (all keys together).
pub const STEPS_MAX: u64 = 5_000_000;

pub struct Linearizable {
    strong_reads: bool,
    h: History,
    pending: BTreeSet<u64>,
    truncated: bool,
    verdict: &'static str,
    reason: String,
    summary: String,
    svg: String,
}

impl Linearizable {
    pub fn new(s: &Scenario) -> Self {
        Linearizable {
            strong_reads: s.workload.read_class[OpKind::RegisterRead.idx()] == ReadClass::Strong,
            h: History::new(),
            pending: BTreeSet::new(),
            truncated: false,
            verdict: "linearizable",
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

    fn observe(&mut self, obs: &Obs, w: &World, _found: &mut Vec<Finding>) {
        let now = w.now.as_us() as i64;
        match obs {
            Obs::Invoke { kind, op_key, req, .. } => {
                let (f, key, value) = match (*kind, *req) {
                    (OpKind::RegisterRead, Req::Read { key, .. }) if self.strong_reads => {
                        (Func::Read, key, Value::Nil)
                    }
                    (OpKind::RegisterWrite, Req::Write { key, value }) => {
                        (Func::Write, key, Value::Int(value))
                    }
                    (OpKind::RegisterCas, Req::Cas { key, expect, new }) => {
                        (Func::Cas, key, Value::List(vec![Value::Int(expect), Value::Int(new)]))
                    }
                    _ => return,
                };
                if self.h.ops().len() >= HISTORY_OPS_MAX {
                    self.truncated = true;
                    return;
                }
                let key = Some(Value::Int(i64::from(key)));
                if self.h.invoke_at(ProcessId(*op_key), f, key, value, Some(now), 0).is_ok() {
                    self.pending.insert(*op_key);
                }
            }
            Obs::Complete { op_key, ok, version, read, .. } if self.pending.remove(op_key) => {
                let p = ProcessId(*op_key);
                let f = self.h.ops().iter().rev().find(|o| o.process == p).map(|o| o.f);
                let outcome = match (f, ok, version, read) {
                    (_, true, _, Some((_, v))) => Some(Value::Int(*v)),
                    (Some(Func::Read), true, _, None) => Some(Value::Int(0)),
                    (_, true, Some(_), _) => None,
                    // A cas the store declined: the compare was seen to fail.
                    (Some(Func::Cas), true, None, None) => {
                        let _ = self.h.complete_at(
                            p,
                            None,
                            crate::history::Outcome::Ok,
                            Some(Value::Bool(false)),
                            Some(now),
                            0,
                        );
                        return;
                    }
                    _ => {
                        let _ = self.h.complete_at(
                            p,
                            None,
                            crate::history::Outcome::Fail,
                            None,
                            Some(now),
                            0,
                        );
                        return;
                    }
                };
                let _ =
                    self.h.complete_at(p, None, crate::history::Outcome::Ok, outcome, Some(now), 0);
            }
            Obs::Indeterminate { op_key, .. } if self.pending.remove(op_key) => {
                let _ = self.h.complete_at(
                    ProcessId(*op_key),
                    None,
                    crate::history::Outcome::Info,
                    None,
                    Some(now),
                    0,
                );
            }
            _ => {}
        }
    }

    fn finish(&mut self, _w: &World, found: &mut Vec<Finding>) {
        if self.h.ops().is_empty() {
            self.verdict = "empty";
            return;
        }
        let model = Model::Register { init: Value::Int(0) };
        match lin::check(&self.h, &model, &Limits::deterministic(STEPS_MAX)) {
            Ok(Verdict::Linearizable) => {}
            Ok(Verdict::Unknown { reason }) => {
                self.verdict = "unknown";
                self.reason = reason;
            }
            Ok(Verdict::NotLinearizable(cx)) => {
                self.verdict = "not linearizable";
                let op = self.h.op(cx.unplaceable);
                let at = op.completion.and_then(|c| c.at.time).or(op.invoke.time).unwrap_or(0);
                self.summary = cx.summary(&self.h);
                self.svg = cx.svg(&self.h);
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
                self.verdict = "unknown";
                self.reason = e.to_string();
            }
        }
    }

    fn details(&self) -> serde_json::Value {
        json!({
            "verdict": self.verdict,
            "operations": self.h.ops().len(),
            "truncated_at": self.truncated.then_some(HISTORY_OPS_MAX),
            "unknown_reason": (!self.reason.is_empty()).then_some(&self.reason),
            "counterexample": (!self.summary.is_empty()).then_some(&self.summary),
            "counterexample_svg": (!self.svg.is_empty()).then_some(&self.svg),
        })
    }
}
