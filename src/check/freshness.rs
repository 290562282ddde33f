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
use super::{Details, Finding, Invariant, View};
use crate::engine::SimTime;
use crate::model::obs::Obs;
use crate::model::types::Key;
use crate::scenario::{OpKind, ReadClass, RegionId, Scenario};
use hdrhistogram::Histogram;
use serde::Serialize;

/// A read that missed a write, until the write's fate decides whether it was stale.
struct Missed {
    at: SimTime,
    kind: OpKind,
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

/// What `freshness` reports: reads judged, the stale ones and how stale they were.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FreshnessDetails {
    pub reads: u64,
    pub stale_reads: u64,
    pub staleness_ms_max: f64,
    pub staleness_ms_p50: f64,
    pub staleness_ms_p99: f64,
    /// Reads whose verdict waited on a write's fate past the waiting list's bound.
    pub unjudged_reads: u64,
}

impl Freshness {
    /// What the summary reports, as it stands.
    pub fn figures(&self) -> FreshnessDetails {
        let h = &self.staleness_us;
        let stale = h.len();
        let q = |p: f64| if stale == 0 { 0.0 } else { h.value_at_quantile(p) as f64 / 1e3 };
        FreshnessDetails {
            reads: self.reads,
            stale_reads: stale,
            staleness_ms_p50: q(0.5),
            staleness_ms_p99: q(0.99),
            staleness_ms_max: if stale == 0 { 0.0 } else { h.max() as f64 / 1e3 },
            unjudged_reads: self.waiting.dropped,
        }
    }

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
                "{} {} #{} of key {} (from {}, served by {}) missed write {}, acknowledged {:.1} ms before the read began (bound {:.1} ms)",
                class_name(m.class),
                view.op_word(m.kind, "read"),
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
            kind: *kind,
            class: view.scenario.workload.read_class[kind.idx()],
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

    fn details(&self) -> Option<Details> {
        Some(self.figures().into())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit::Harness;
    use crate::check::testkit_obs::{acked, commit, read, seen};
    use crate::model::store::Journaled;
    use crate::model::types::WriteId;

    const A: RegionId = RegionId(0);
    const B: RegionId = RegionId(1);
    const C: RegionId = RegionId(2);
    const S: fn(u64) -> SimTime = |ms| SimTime(ms * 1_000);

    /// A strong read that began after a write was acknowledged and does not reflect it
    /// is stale by the time between the two, but only once the write is known to
    /// survive: while only the writer holds it, the verdict waits; if it is then lost,
    /// the read was not stale (the loss is acked_durability's finding).
    #[test]
    fn a_stale_read_is_judged_once_the_write_it_missed_survives() {
        let mut h = Harness::new("scenarios/fenced-async-promotion.json");
        let mut c = Freshness::new(&h.scenario.clone());
        let key = 3;
        for op in [10, 11] {
            h.probe.journal.push(A, Journaled::Held(WriteId::new(op, 1)));
            h.at = S(1_000 + op);
            h.feed(&mut c, &commit(A, key, op, h.at));
            h.feed(&mut c, &acked(A, crate::scenario::OpKind::RegisterWrite, key, op, 0));
        }
        // B serves strong reads from a state with neither write (its value lists none).
        h.at = S(2_000);
        let nothing = seen(&[]);
        let kind = crate::scenario::OpKind::RegisterRead;
        h.feed(&mut c, &read(B, B, kind, key, 20, S(1_500), nothing, None));
        h.sample(&mut c);
        assert!(h.found.is_empty(), "the write's fate is open: {:?}", h.what());
        // Write 10 reaches every store; write 11 leaves the only store that had it.
        for r in [B, C] {
            h.probe.journal.push(r, Journaled::Held(WriteId::new(10, 1)));
        }
        h.probe.journal.push(A, Journaled::Replaced { from: B, upto: 1 });
        h.sample(&mut c);
        let what = h.what();
        assert_eq!(what.len(), 1, "{what:?}");
        assert_eq!(
            what[0],
            "strong read #20 of key 3 (from eu-west, served by eu-west) missed write #10 attempt 1, acknowledged 490.0 ms before the read began (bound 0.0 ms)"
        );
        // A later read that missed only the lost write is not stale at all.
        h.feed(&mut c, &read(B, B, kind, key, 21, S(1_600), seen(&[(10, S(1_200))]), None));
        h.sample(&mut c);
        assert_eq!(h.found.len(), 1);
        assert_eq!(c.figures().stale_reads, 1);
    }

    /// A value that lists `SEEN_MAX` writes may reflect older ones it no longer lists:
    /// it misses a write only if its oldest listed write was applied before that write
    /// was committed. Bounded reads may miss writes younger than their bound.
    #[test]
    fn what_a_read_reflects_is_judged_from_what_it_lists() {
        let mut h = Harness::new("scenarios/stale-bounded-read.json");
        let mut c = Freshness::new(&h.scenario.clone());
        let key = 1;
        h.at = S(1_000);
        h.feed(&mut c, &commit(A, key, 5, h.at));
        h.feed(&mut c, &acked(A, crate::scenario::OpKind::RegisterWrite, key, 5, 0));
        let kind = crate::scenario::OpKind::RegisterRead;
        let full_after = seen(&[(6, S(1_001)), (7, S(1_002)), (8, S(1_003)), (9, S(1_004))]);
        let full_before = seen(&[(1, S(900)), (2, S(901)), (3, S(902)), (4, S(903))]);
        h.at = S(5_000);
        h.feed(&mut c, &read(B, B, kind, key, 30, S(4_000), full_after, None));
        assert!(h.found.is_empty(), "write 5 may be among the older writes it reflects");
        h.feed(&mut c, &read(B, B, kind, key, 31, S(4_000), full_before, None));
        let class = h.scenario.workload.read_class[kind.idx()];
        assert!(matches!(class, ReadClass::Bounded(b) if b.as_us() < 3_000_000), "{class:?}");
        assert_eq!(h.found.len(), 1, "3 s stale, beyond the bound: {:?}", h.what());
        h.feed(&mut c, &read(B, B, kind, key, 32, S(1_001), full_before, None));
        assert_eq!(h.found.len(), 1, "1 ms stale, within the bound");
        assert_eq!(c.figures().stale_reads, 2);
    }
}
