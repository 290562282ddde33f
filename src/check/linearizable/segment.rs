//! One register's history, checked a segment at a time so that memory is bounded by
//! the operations in flight, not by the length of the run.
//!
//! A register is *quiescent* when none of its operations is in flight: everything
//! invoked on it so far has completed (ok, failed, or given up on). Every operation
//! before a quiescent point completed before any operation after it was invoked, so
//! real time orders the two groups and the whole history is linearizable exactly when
//! the segment before the point is, ending in some state `s`, and the segment after it
//! is, starting from `s`. A segment closes at a quiescent point where its end state
//! needs no search over the writes that took effect: every write or cas that took
//! effect and could be last (none that took effect was invoked after it completed)
//! leaves one value, or none took effect and the state is the one it started from.
//! Where concurrent writes leave the end open, the segment goes on to the next such
//! point. The segment is checked from each state it may start in (usually one) and
//! dropped; the states it may end in are that value and, when an operation given up on
//! could have taken effect last, that operation's value, each confirmed by a probe
//! read appended after everything else.
//!
//! Operations whose client never learned the outcome (`:info`) may take effect at any
//! later time, in any later segment. Each is kept, as the value it would leave (a few
//! bytes; identical ones as a count), and offered to every later segment that observes
//! that value (a read returning it, a cas expecting it), as an operation invoked when
//! the segment began. This over-approximates one way only: such an operation may be counted as
//! taking effect in more than one segment, so a violation that needs it to take effect
//! exactly once can be missed; nothing that is linearizable is ever called a violation.

use crate::check::linearizability::{
    self as lin, CheckConfig, Counterexample, Limits, Model, Verdict,
};
use crate::history::{Func, History, Outcome, ProcessId, Value};
use std::collections::BTreeMap;

/// Search steps one segment's check may spend.
pub const SEGMENT_STEPS_MAX: u64 = 1_000_000;

/// What a segment's check found.
pub enum SegmentVerdict {
    Linearizable,
    /// A limit was hit: not violated, not vouched for.
    Unknown(String),
    NotLinearizable(Box<Failure>),
}

/// A segment that is not linearizable from its start state, with what a report needs.
pub struct Failure {
    /// The checked history (its carried operations first).
    pub history: History,
    pub cx: Counterexample,
    /// When the segment began (simulated microseconds), and what the register held.
    pub since_us: i64,
    pub starts: Vec<Value>,
}

/// An operation given up on: it may still take effect, in any later segment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Carried {
    func: Func,
    /// The write's value, or the cas's `[expected new]`.
    value: Value,
}

impl Carried {
    fn leaves(&self) -> &Value {
        leaves(self.func, &self.value)
    }
}

/// The value a write or cas leaves in the register if it takes effect.
fn leaves(func: Func, value: &Value) -> &Value {
    match value {
        Value::List(v) if func == Func::Cas && v.len() == 2 => &v[1],
        v => v,
    }
}

/// One register: the segment being recorded, the state it starts from, the operations
/// given up on earlier, and the writes that could be the segment's last.
pub struct KeyLog {
    key: i64,
    seg: History,
    since_us: i64,
    /// The states the register may hold when the segment begins: one, unless an
    /// operation given up on may have been last in the segment before.
    starts: Vec<Value>,
    /// Each distinct operation given up on, with how many there were (two writes of
    /// one value may both take effect).
    carried: BTreeMap<Carried, u32>,
    /// The latest invocation (event index in `seg`) of a write or cas that took effect.
    latest_invoke: Option<u32>,
    /// Writes and cas that took effect and completed after `latest_invoke`: the ones
    /// that could be last (completion index, value left).
    frontier: Vec<(u32, Value)>,
}

impl KeyLog {
    pub fn new(key: i64, init: Value) -> KeyLog {
        KeyLog {
            key,
            seg: History::new(),
            since_us: 0,
            starts: vec![init],
            carried: BTreeMap::new(),
            latest_invoke: None,
            frontier: Vec::new(),
        }
    }

    /// Operations recorded in the open segment.
    pub fn recorded(&self) -> usize {
        self.seg.ops().len()
    }

    pub fn invoke(&mut self, process: u64, func: Func, value: Value, at: i64) {
        if self.seg.ops().is_empty() {
            self.since_us = at;
        }
        let key = Some(Value::Int(self.key));
        let _ = self.seg.invoke_at(ProcessId(process), func, key, value, Some(at), 0);
    }

    /// Records a completion; true when the segment can close: nothing in flight, and
    /// the state it ends in is known.
    pub fn complete(
        &mut self,
        process: u64,
        outcome: Outcome,
        output: Option<Value>,
        at: i64,
    ) -> bool {
        // An operation invoked while recording was stopped has nothing to complete.
        let Ok(id) = self.seg.complete_at(ProcessId(process), None, outcome, output, Some(at), 0)
        else {
            return false;
        };
        let op = self.seg.op(id);
        if outcome == Outcome::Ok && op.func != Func::Read && !op.is_failed_compare() {
            let invoked = op.invoke.index;
            let done = op.completion.map_or(u32::MAX, |c| c.at.index);
            let value = leaves(op.func, &op.value).clone();
            let latest = self.latest_invoke.map_or(invoked, |l| l.max(invoked));
            self.latest_invoke = Some(latest);
            self.frontier.retain(|(c, _)| *c > latest);
            self.frontier.push((done, value));
        }
        self.seg.in_flight() == 0 && self.frontier.iter().all(|(_, v)| *v == self.frontier[0].1)
    }

    /// Checks the open segment (operations still pending count as given up on) and
    /// starts the next one from the states it may end in.
    pub fn close(&mut self) -> SegmentVerdict {
        if self.seg.ops().is_empty() {
            return SegmentVerdict::Linearizable;
        }
        let seg = std::mem::take(&mut self.seg);
        let h = self.with_carried(&seg);
        self.carry(&seg);
        let last = self.frontier.first().map(|(_, v)| v.clone());
        self.latest_invoke = None;
        self.frontier.clear();
        let limits = Limits::deterministic(SEGMENT_STEPS_MAX);
        let (mut ends, mut unknown, mut failure) = (Vec::new(), None, None);
        for s in &self.starts {
            let model = Model::Register { init: s.clone() };
            let candidates = end_candidates(&h, last.as_ref().unwrap_or(s));
            let checked = lin::check_with(&h, &CheckConfig::new(model.clone(), limits.clone()));
            let spent = checked.as_ref().map_or(0, |r| r.steps);
            match checked.map(|r| r.verdict) {
                Ok(Verdict::Linearizable) if candidates.len() == 1 => ends.extend(candidates),
                Ok(Verdict::Linearizable) => {
                    ends.extend(reachable(&h, &model, candidates, spent));
                }
                Ok(Verdict::Unknown { reason }) => {
                    unknown.get_or_insert(reason);
                    ends.extend(candidates);
                }
                Err(e) => {
                    unknown.get_or_insert(e.to_string());
                    ends.extend(candidates);
                }
                Ok(Verdict::NotLinearizable(cx)) => {
                    failure.get_or_insert(cx);
                }
            }
        }
        ends.sort();
        ends.dedup();
        if ends.is_empty() {
            if let Some(cx) = failure {
                return SegmentVerdict::NotLinearizable(Box::new(Failure {
                    history: h,
                    cx: *cx,
                    since_us: self.since_us,
                    starts: self.starts.clone(),
                }));
            }
        }
        if !ends.is_empty() {
            self.starts = ends;
        }
        unknown.map_or(SegmentVerdict::Linearizable, SegmentVerdict::Unknown)
    }

    /// The segment with the carried operations it observes in front, each invoked when
    /// the segment began and never completed.
    fn with_carried(&self, seg: &History) -> History {
        let seen = observed(seg);
        let mut h = History::new();
        let key = Some(Value::Int(self.key));
        let at = Some(self.since_us);
        let mut process = u64::MAX;
        for (c, n) in self.carried.iter().filter(|(c, _)| seen.contains(c.leaves())) {
            for _ in 0..*n {
                let p = ProcessId(process);
                process -= 1;
                let _ = h.invoke_at(p, c.func, key.clone(), c.value.clone(), at, 0);
                let _ = h.complete_at(p, None, Outcome::Info, None, at, 0);
            }
        }
        replay(seg, &mut h);
        h
    }

    /// Keeps the segment's operations given up on for later segments.
    fn carry(&mut self, seg: &History) {
        for op in seg.ops().iter().filter(|o| o.outcome() == Outcome::Info && o.func != Func::Read)
        {
            let c = Carried { func: op.func, value: op.value.clone() };
            *self.carried.entry(c).or_insert(0) += 1;
        }
    }
}

/// Values the segment's operations observe: what ok reads returned and what ok cas
/// expected.
fn observed(seg: &History) -> Vec<Value> {
    let mut seen: Vec<Value> = Vec::new();
    for op in seg.ops().iter().filter(|o| o.outcome() == Outcome::Ok) {
        match (op.func, &op.output, &op.value) {
            (Func::Read, Some(v), _) => seen.push(v.clone()),
            (Func::Cas, _, Value::List(v)) if !op.is_failed_compare() && v.len() == 2 => {
                seen.push(v[0].clone())
            }
            _ => {}
        }
    }
    seen.sort();
    seen.dedup();
    seen
}

/// Values the register may hold after `h`: what the last write or cas that took effect
/// left (`last`, or the start state when none did), or what an operation given up on
/// leaves, if it took effect after it and the segment observed its value. (One whose
/// value no operation of the segment observed is left out: it is carried into the next
/// segment, where taking effect first is the same as having taken effect last here.)
fn end_candidates(h: &History, last: &Value) -> Vec<Value> {
    let seen = observed(h);
    let mut out = vec![last.clone()];
    let given_up = h.ops().iter().filter(|o| o.outcome() == Outcome::Info && o.func != Func::Read);
    out.extend(given_up.map(|o| leaves(o.func, &o.value).clone()).filter(|v| seen.contains(v)));
    out.sort();
    out.dedup();
    out
}

/// Probes past this many candidates, or past their step budget, keep the rest unprobed
/// (a possible state is never dropped without proof).
const PROBES_MAX: usize = 8;
const PROBE_STEPS_PER_CHECK_STEP: u64 = 4;
const PROBE_STEPS_MIN: u64 = 10_000;

/// Of `candidates`, those `h` can end in: it stays linearizable with one more read,
/// after everything else, returning it. A probe past the limits keeps its candidate.
fn reachable(h: &History, model: &Model, candidates: Vec<Value>, spent: u64) -> Vec<Value> {
    let probe = ProcessId(u64::MAX / 2);
    let key = h.ops().first().and_then(|o| o.key.clone());
    // Probes may spend a few times what the segment's own check took: a hard segment
    // keeps its candidates rather than cost far more than its verdict.
    let mut left = spent.saturating_mul(PROBE_STEPS_PER_CHECK_STEP).max(PROBE_STEPS_MIN);
    let mut out = Vec::new();
    for (i, c) in candidates.into_iter().enumerate() {
        if i < PROBES_MAX && left > 0 {
            let mut h2 = h.clone();
            let _ = h2.invoke(probe, Func::Read, key.clone(), Value::Nil);
            let _ = h2.ok(probe, Some(c.clone()));
            let mut cfg = CheckConfig::new(model.clone(), Limits::deterministic(left));
            cfg.minimize = false;
            if let Ok(r) = lin::check_with(&h2, &cfg) {
                left = left.saturating_sub(r.steps);
                if matches!(r.verdict, Verdict::NotLinearizable(_)) {
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// Appends `seg`'s events to `h` in their real-time order.
fn replay(seg: &History, h: &mut History) {
    let mut events: Vec<(u32, usize, bool)> = Vec::with_capacity(seg.ops().len() * 2);
    for (i, op) in seg.ops().iter().enumerate() {
        events.push((op.invoke.index, i, true));
        if let Some(c) = op.completion {
            events.push((c.at.index, i, false));
        }
    }
    events.sort_unstable();
    for (_, i, invoke) in events {
        let op = &seg.ops()[i];
        if invoke {
            let _ = h.invoke_at(
                op.process,
                op.func,
                op.key.clone(),
                op.value.clone(),
                op.invoke.time,
                0,
            );
        } else if let Some(c) = op.completion {
            let _ = h.complete_at(op.process, None, c.outcome, op.output.clone(), c.at.time, 0);
        }
    }
}
