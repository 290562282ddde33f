//! The strong register history, in one translation from observations: the
//! `linearizable` checker builds its history from it and `run --history` writes it as
//! Jepsen EDN, so what is checked and what is exported cannot disagree. Each logical
//! operation is its own process; its key names the register (registers start at 0).
//!
//! Meanings, as Jepsen and Knossos read them: a read returns the value the client saw;
//! a write or a cas the store acknowledged is `:ok`; a cas the store declined (its
//! expectation did not match), like any definite failure, did not take effect and is
//! `:fail`; an operation whose client gave up without knowing is `:info`.

use crate::history::{Func, Outcome, Value};
use crate::model::obs::Obs;
use crate::model::types::Req;
use crate::scenario::{OpKind, ReadClass, Scenario};
use std::collections::BTreeMap;

/// One line of the register history.
#[derive(Clone, Debug, PartialEq)]
pub enum RegisterEvent {
    Invoke { process: u64, func: Func, key: i64, value: Value },
    Complete { process: u64, func: Func, key: i64, outcome: Outcome, value: Value },
}

impl RegisterEvent {
    /// The event as one EDN op map.
    pub fn edn(&self) -> String {
        let (process, ty, f, key, value) = match self {
            RegisterEvent::Invoke { process, func: f, key, value } => {
                (process, ":invoke", f, key, value)
            }
            RegisterEvent::Complete { process, func: f, key, outcome, value } => {
                let ty = match outcome {
                    Outcome::Ok => ":ok",
                    Outcome::Fail => ":fail",
                    Outcome::Info => ":info",
                };
                (process, ty, f, key, value)
            }
        };
        let f = match f {
            Func::Read => ":read",
            Func::Write => ":write",
            _ => ":cas",
        };
        format!("{{:process {process}, :type {ty}, :f {f}, :key {key}, :value {value}}}")
    }
}

/// Turns observations into register history events, remembering what each operation in
/// flight asked.
pub struct RegisterHistory {
    strong_reads: bool,
    pending: BTreeMap<u64, (Func, i64, Value)>,
}

impl RegisterHistory {
    pub fn new(scenario: &Scenario) -> Self {
        RegisterHistory {
            strong_reads: scenario.workload.read_class[OpKind::RegisterRead.idx()]
                == ReadClass::Strong,
            pending: BTreeMap::new(),
        }
    }

    /// Operations invoked and not yet completed.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    pub fn translate(&mut self, obs: &Obs) -> Option<RegisterEvent> {
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
                    _ => return None,
                };
                let key = i64::from(key);
                self.pending.insert(*op_key, (f, key, value.clone()));
                Some(RegisterEvent::Invoke { process: *op_key, func: f, key, value })
            }
            Obs::Complete { op_key, ok, write, read, .. } => {
                let (f, key, asked) = self.pending.remove(op_key)?;
                let (outcome, value) = match (f, ok, write, read) {
                    (Func::Read, true, _, Some(r)) => (Outcome::Ok, Value::Int(r.value)),
                    (Func::Write | Func::Cas, true, Some(_), _) => (Outcome::Ok, asked),
                    // A declined cas, or any definite failure: it did not happen.
                    (_, false, _, _) | (Func::Cas, true, None, None) => (Outcome::Fail, asked),
                    // An answer that says neither (none exists today): nobody knows.
                    _ => (Outcome::Info, asked),
                };
                Some(RegisterEvent::Complete { process: *op_key, func: f, key, outcome, value })
            }
            Obs::Indeterminate { op_key, .. } => {
                let (f, key, value) = self.pending.remove(op_key)?;
                Some(RegisterEvent::Complete {
                    process: *op_key,
                    func: f,
                    key,
                    outcome: Outcome::Info,
                    value,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit_obs::{acked, read, seen};
    use crate::engine::SimTime;
    use crate::model::types::{OpId, Version};
    use crate::scenario::RegionId;

    /// One translation, as Jepsen reads it: a read of a register nobody wrote returns
    /// 0, a write the store acknowledged is ok, a cas the store declined did not
    /// happen (fail), and an operation whose client gave up is info.
    #[test]
    fn the_register_history_means_what_jepsen_means() {
        let s = crate::scenario::load("scenarios/strong-read-writer.json").unwrap();
        let mut h = RegisterHistory::new(&s);
        let r = RegionId(0);
        let invoke = |op_key, req| Obs::Invoke {
            op: OpId { slot: 0, gen: 0 },
            kind: match req {
                Req::Read { .. } => OpKind::RegisterRead,
                Req::Write { .. } => OpKind::RegisterWrite,
                _ => OpKind::RegisterCas,
            },
            region: r,
            op_key,
            req,
        };
        let read_req =
            Req::Read { key: 2, class: ReadClass::Strong, min_version: Version::default() };
        let mut lines = Vec::new();
        let mut push = |h: &mut RegisterHistory, o: &Obs| {
            if let Some(e) = h.translate(o) {
                lines.push(e.edn());
            }
        };
        push(&mut h, &invoke(1, read_req));
        push(&mut h, &read(r, r, OpKind::RegisterRead, 2, 1, SimTime::ZERO, seen(&[]), None));
        push(&mut h, &invoke(2, Req::Write { key: 2, value: 7 }));
        push(&mut h, &acked(r, OpKind::RegisterWrite, 2, 2, 0));
        push(&mut h, &invoke(3, Req::Cas { key: 2, expect: 5, new: 6 }));
        let declined = Obs::Complete {
            op: OpId { slot: 0, gen: 0 },
            kind: OpKind::RegisterCas,
            region: r,
            ok: true,
            version: None,
            write: None,
            delta: 0,
            invoked_at: SimTime::ZERO,
            attempts: 1,
            op_key: 3,
            key: 2,
            session: 0,
            read: None,
        };
        push(&mut h, &declined);
        push(&mut h, &invoke(4, Req::Write { key: 2, value: 8 }));
        let unknown = Obs::Indeterminate {
            op: OpId { slot: 0, gen: 0 },
            kind: OpKind::RegisterWrite,
            region: r,
            delta: 0,
            invoked_at: SimTime::ZERO,
            op_key: 4,
        };
        push(&mut h, &unknown);
        assert_eq!(h.in_flight(), 0);
        insta::assert_snapshot!(lines.join("\n"), @r"
        {:process 1, :type :invoke, :f :read, :key 2, :value nil}
        {:process 1, :type :ok, :f :read, :key 2, :value 0}
        {:process 2, :type :invoke, :f :write, :key 2, :value 7}
        {:process 2, :type :ok, :f :write, :key 2, :value 7}
        {:process 3, :type :invoke, :f :cas, :key 2, :value [5 6]}
        {:process 3, :type :fail, :f :cas, :key 2, :value [5 6]}
        {:process 4, :type :invoke, :f :write, :key 2, :value 8}
        {:process 4, :type :info, :f :write, :key 2, :value 8}
        ");
    }
}
