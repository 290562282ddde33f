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
//! A register may never be quiescent: under a retry storm its operations overlap without
//! a gap for the rest of the run. So a segment is also cut where it stands once it holds
//! `SEGMENT_OPS_MAX` operations, and the operations in flight there are treated as given
//! up on (below): on the cut's near side they are pending (each may take effect or not),
//! on its far side they are carried (each may take effect later, or not), and their
//! completions are not recorded. A real linearization places each of them on one side,
//! so both sides' checks admit it; the states the register may hold at the cut are
//! every value the writes that could be last leave, each confirmed by a probe. What is
//! lost is only the check of those operations' own results (a read in flight at the cut
//! is not checked), never soundness: memory stays bounded by the segment cap, and a
//! linearizable history is still never called a violation.
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
/// Operations one register's open segment may hold before it is cut where it stands. It
/// bounds what is held (64 registers hold at most 65,536 operations, about what
/// retry-storm held at the end of its 60 s before) and the size of each memo entry of a
/// segment's search (one bit per operation). Bundled scenarios reach it only where a
/// register never pauses, and once in standby-flush (a segment of 1,109 operations: it
/// checks one segment more, and its verdict stays unknown).
pub const SEGMENT_OPS_MAX: usize = 1024;
/// Memo bytes one segment's search remembers (by default a search keeps everything up
/// to 1 GiB, meant for one history checked alone). Past it the search goes on without
/// remembering more: only its step limit decides when it gives up. Every bundled
/// segment decided within its steps needs a few MiB at most; the ones that need more
/// run out of steps either way.
pub const SEGMENT_MEMO_KEEP_BYTES_MAX: usize = 8 << 20;

/// The limits of one segment's search, or of a probe of `steps_max` steps.
fn segment_limits(steps_max: u64) -> Limits {
    Limits { memo_keep_bytes_max: SEGMENT_MEMO_KEEP_BYTES_MAX, ..Limits::deterministic(steps_max) }
}

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
    /// starts the next one from the states it may end in; `ends_needed` is false at the
    /// end of the run, when no segment follows.
    pub fn close(&mut self, ends_needed: bool) -> SegmentVerdict {
        if self.seg.ops().is_empty() {
            return SegmentVerdict::Linearizable;
        }
        let seg = std::mem::take(&mut self.seg);
        let h = self.with_carried(&seg);
        self.carry(&seg);
        // What the writes that could be last leave: one value at a quiescent point, any
        // of several where the segment is cut with writes in flight.
        let mut lasts: Vec<Value> = self.frontier.drain(..).map(|(_, v)| v).collect();
        lasts.sort();
        lasts.dedup();
        self.latest_invoke = None;
        let (mut ends, mut unknown, mut failure) = (Vec::new(), None, None);
        for s in &self.starts {
            let model = Model::Register { init: s.clone() };
            let from_start = std::slice::from_ref(s);
            let candidates = end_candidates(&h, if lasts.is_empty() { from_start } else { &lasts });
            let limits = segment_limits(SEGMENT_STEPS_MAX);
            let checked = lin::check_with(&h, &CheckConfig::new(model.clone(), limits));
            let spent = checked.as_ref().map_or(0, |r| r.steps);
            match checked.map(|r| r.verdict) {
                Ok(Verdict::Linearizable) if candidates.len() == 1 || !ends_needed => {
                    ends.extend(candidates)
                }
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
        let mut h = History::new();
        let key = Some(Value::Int(self.key));
        let at = Some(self.since_us);
        let mut process = u64::MAX;
        for (c, n) in self.offered(seg) {
            for _ in 0..n {
                let p = ProcessId(process);
                process -= 1;
                let _ = h.invoke_at(p, c.func, key.clone(), c.value.clone(), at, 0);
                let _ = h.complete_at(p, None, Outcome::Info, None, at, 0);
            }
        }
        replay(seg, &mut h);
        h
    }

    /// How many times each carried operation is offered to `seg`: as many as there are
    /// observations of the value it leaves, at most as many as were given up on. A value
    /// needs taking effect again only before something observes it (writing the value
    /// the register holds changes nothing), so this is all a linearization can use, and
    /// what is offered is bounded by the segment, not by how long the run has gone on.
    /// A cas that may take effect (given up on here, or carried and offered) needs its
    /// expected value too, which may bring in another carried operation that leaves that
    /// value: repeated until nothing changes.
    fn offered(&self, seg: &History) -> Vec<(&Carried, u32)> {
        let mut seen = observations(seg);
        for op in seg.ops().iter().filter(|o| o.outcome() == Outcome::Info) {
            if let (Func::Cas, Value::List(v)) = (op.func, &op.value) {
                *seen.entry(v[0].clone()).or_insert(0) += 1;
            }
        }
        let mut offered: BTreeMap<&Carried, u32> = BTreeMap::new();
        let mut changed = true;
        while changed {
            changed = false;
            for (c, n) in &self.carried {
                let want = (*n).min(seen.get(c.leaves()).copied().unwrap_or(0));
                let had = offered.get(c).copied().unwrap_or(0);
                if want <= had {
                    continue;
                }
                offered.insert(c, want);
                changed = true;
                if let (Func::Cas, Value::List(v)) = (c.func, &c.value) {
                    *seen.entry(v[0].clone()).or_insert(0) += want - had;
                }
            }
        }
        offered.into_iter().collect()
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
/// expected, each with how many operations observed it.
fn observations(seg: &History) -> BTreeMap<Value, u32> {
    let mut seen: BTreeMap<Value, u32> = BTreeMap::new();
    for op in seg.ops().iter().filter(|o| o.outcome() == Outcome::Ok) {
        let v = match (op.func, &op.output, &op.value) {
            (Func::Read, Some(v), _) => v,
            (Func::Cas, _, Value::List(v)) if !op.is_failed_compare() && v.len() == 2 => &v[0],
            _ => continue,
        };
        *seen.entry(v.clone()).or_insert(0) += 1;
    }
    seen
}

/// The values the segment's operations observe, in order.
fn observed(seg: &History) -> Vec<Value> {
    observations(seg).into_keys().collect()
}

/// Values the register may hold after `h`: what the last write or cas that took effect
/// left (any of `lasts`, the values the writes that could be last leave, or the start
/// state when none took effect), or what an operation given up on leaves, if it took
/// effect after it and the segment observed its value. (One whose value no operation of
/// the segment observed is left out: it is carried into the next segment, where taking
/// effect first is the same as having taken effect last here.)
fn end_candidates(h: &History, lasts: &[Value]) -> Vec<Value> {
    let seen = observed(h);
    let mut out = lasts.to_vec();
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
            let mut cfg = CheckConfig::new(model.clone(), segment_limits(left));
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
