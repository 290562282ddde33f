//! `freshness`: every read is no staler than its class allows, judged from what the
//! client saw. A read returns a value and the writes it reflects (by identity); it is
//! stale by the time between the acknowledgement of the oldest write to its key that it
//! does not reflect and the moment the read began (zero when it missed nothing).
//! Acknowledged anywhere counts, so the same rule holds in every topology: a strong read
//! may miss nothing acknowledged before it began, a bounded read nothing acknowledged
//! more than its bound before. Writes known lost (no store keeps them, or a conflict
//! dropped them) are not missed by anyone: `acked_durability` and `no_lost_update` own
//! them. When a value reflects more writes than it lists and the write may be among
//! them, the read is not counted stale: staleness is understated, never overstated.

use super::ledger::{Ack, Deferred, Fate};
use super::{Finding, Invariant, View};
use crate::engine::SimTime;
use crate::model::types::{Key, Obs};
use crate::scenario::{ReadClass, RegionId, Scenario};
use hdrhistogram::Histogram;
use serde_json::json;

/// A read that missed a write, until the write's fate decides whether it was stale.
struct Missed {
    at: SimTime,
    class: ReadClass,
    op_key: u64,
    key: Key,
    region: RegionId,
    served_by: RegionId,
    ack: Ack,
    staleness_us: u64,
}

pub struct Freshness {
    staleness_us: Histogram<u64>,
    reads: u64,
    waiting: Deferred<Missed>,
}

impl Freshness {
    pub fn new(_s: &Scenario) -> Self {
        Freshness {
            staleness_us: Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("valid bounds"),
            reads: 0,
            waiting: Deferred::default(),
        }
    }

    /// A read missed a write that survives: it was stale, and too stale if beyond its
    /// class's bound.
    fn judge(&mut self, m: Missed, view: &View, found: &mut Vec<Finding>) {
        let _ = self.staleness_us.record(m.staleness_us.max(1));
        let Some(b) = bound_us(m.class) else { return };
        if m.staleness_us <= b {
            return;
        }
        found.push(Finding {
            at: m.at,
            what: format!(
                "{} read #{} of key {} (from {}, served by {}) missed write {}, acknowledged {:.1} ms before the read began (bound {:.1} ms)",
                class_name(m.class),
                m.op_key,
                m.key,
                view.region_name(m.region),
                view.region_name(m.served_by),
                m.ack.write,
                m.staleness_us as f64 / 1e3,
                b as f64 / 1e3,
            ),
            regions: vec![m.region, m.served_by],
        });
    }
}

/// The bound a read class sets on staleness (`None`: no time bound).
pub fn bound_us(class: ReadClass) -> Option<u64> {
    match class {
        ReadClass::Strong => Some(0),
        ReadClass::Bounded(b) => Some(b.as_us()),
        // Session reads answer to the session checker, not to a time bound.
        ReadClass::Eventual | ReadClass::Session => None,
    }
}

impl Invariant for Freshness {
    fn id(&self) -> &'static str {
        "freshness"
    }

    fn observe(&mut self, obs: &Obs, view: &View, found: &mut Vec<Finding>) {
        let Obs::Complete { kind, key, read: Some(r), invoked_at, op_key, region, .. } = obs else {
            return;
        };
        self.reads += 1;
        let Some(ack) = view.ledger.missed(*key, &r.seen, *invoked_at) else { return };
        let m = Missed {
            at: view.at,
            class: view.s.workload.read_class[kind.idx()],
            op_key: *op_key,
            key: *key,
            region: *region,
            served_by: r.served_by,
            ack,
            staleness_us: invoked_at.since(ack.at).as_us(),
        };
        match view.ledger.fate(ack.write) {
            Fate::Safe => self.judge(m, view, found),
            Fate::Open => self.waiting.push(ack.write, m),
            Fate::Lost => {}
        }
    }

    fn sample(&mut self, view: &View, found: &mut Vec<Finding>) {
        for m in self.waiting.settle(view.ledger) {
            self.judge(m, view, found);
        }
    }

    fn finish(&mut self, view: &View, found: &mut Vec<Finding>) {
        for m in self.waiting.finish(view.ledger, view.probe.named_writer()) {
            self.judge(m, view, found);
        }
    }

    fn details(&self) -> serde_json::Value {
        let h = &self.staleness_us;
        let stale = h.len();
        let q = |p: f64| if stale == 0 { 0.0 } else { h.value_at_quantile(p) as f64 / 1e3 };
        json!({
            "reads": self.reads,
            "stale_reads": stale,
            "staleness_ms_p50": q(0.5),
            "staleness_ms_p99": q(0.99),
            "staleness_ms_max": if stale == 0 { 0.0 } else { h.max() as f64 / 1e3 },
            "unjudged_reads": self.waiting.dropped,
        })
    }
}

/// A read class in words.
pub fn class_name(c: ReadClass) -> String {
    match c {
        ReadClass::Strong => "strong".into(),
        ReadClass::Bounded(b) => format!("bounded ({} ms)", b.as_us() as f64 / 1e3),
        ReadClass::Session => "session".into(),
        ReadClass::Eventual => "eventual".into(),
    }
}
