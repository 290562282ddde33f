//! `append_integrity`: lists behave like lists, judged from client results alone, in
//! the manner of Jepsen's Elle list-append: no bookkeeping of the model's is read,
//! not even the ledger. Every append adds a unique element (its operation's number);
//! reads return the whole list. It is violated when
//! - a read lists one element twice (an append applied twice),
//! - two reads of one list disagree on its order (neither is a prefix of the other),
//! - a read that began after an append was acknowledged lacks it, at the read's class:
//!   strong reads must have it, bounded reads once the bound has passed, and the final
//!   reads (every list from every region, after the liveness phase) whatever their
//!   class, since by then every acknowledged append must be everywhere.
//!
//! Memory is bounded by the lists: each holds at most `workload.list_length_max`
//! elements, so the longest read and the acknowledged appends kept per list are too.

use super::freshness::{bound_us, class_name};
use super::{Details, Finding, Invariant, View};
use crate::engine::SimTime;
use crate::model::obs::{Obs, ReadResult};
use crate::model::types::Key;
use crate::scenario::{OpKind, ReadClass, RegionId, Scenario};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the checker knows of one list.
#[derive(Default)]
struct ListLog {
    /// The longest list any read returned: every read must agree with it where both
    /// have elements.
    longest: Vec<u64>,
    /// Acknowledged appends: element and when it was acknowledged.
    acked: Vec<(u64, SimTime)>,
}

pub struct AppendIntegrity {
    lists: BTreeMap<Key, ListLog>,
    /// When the final reads began.
    final_since: Option<SimTime>,
    reads: u64,
    final_reads: u64,
    duplicates: u64,
    disordered: u64,
    missing: u64,
    missing_final: u64,
}

/// What `append_integrity` reports: list reads judged and what they found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppendIntegrityDetails {
    pub acknowledged_appends_missing: u64,
    pub acknowledged_appends_missing_at_the_end: u64,
    pub duplicated_elements: u64,
    pub final_reads: u64,
    pub list_reads: u64,
    pub order_disagreements: u64,
}

impl AppendIntegrity {
    /// What the summary reports, as it stands.
    pub fn figures(&self) -> AppendIntegrityDetails {
        AppendIntegrityDetails {
            list_reads: self.reads,
            final_reads: self.final_reads,
            duplicated_elements: self.duplicates,
            order_disagreements: self.disordered,
            acknowledged_appends_missing: self.missing,
            acknowledged_appends_missing_at_the_end: self.missing_final,
        }
    }

    pub fn new(_s: &Scenario) -> Self {
        AppendIntegrity {
            lists: BTreeMap::new(),
            final_since: None,
            reads: 0,
            final_reads: 0,
            duplicates: 0,
            disordered: 0,
            missing: 0,
            missing_final: 0,
        }
    }

    /// One read of list `key` returned `r`.
    #[allow(clippy::too_many_arguments)]
    fn read(
        &mut self,
        view: &View,
        key: Key,
        r: &ReadResult,
        elements: &[u64],
        class: ReadClass,
        invoked_at: SimTime,
        region: RegionId,
        op_key: u64,
        found: &mut Vec<Finding>,
    ) {
        let is_final = self.final_since.is_some_and(|t| invoked_at >= t);
        self.reads += 1;
        self.final_reads += u64::from(is_final);
        let list = key - view.scenario.workload.list_base();
        let who = format!(
            "{} #{op_key} of list {list} (from {}, served by {})",
            view.op_word(OpKind::ListRead, "read"),
            view.region_name(region),
            view.region_name(r.served_by)
        );
        let regions = vec![region, r.served_by];
        let mut finding = |what: String| {
            found.push(Finding { at: view.at, what, regions: regions.clone() });
        };
        // An element listed twice.
        let mut sorted = elements.to_vec();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            self.duplicates += 1;
            finding(format!("{who} lists element #{} twice: the append was applied twice", w[0]));
        }
        // Order: the two must agree wherever both have an element.
        let log = self.lists.entry(key).or_default();
        if let Some(p) = log.longest.iter().zip(elements).position(|(a, b)| a != b) {
            self.disordered += 1;
            finding(format!(
                "{who} disagrees with an earlier read on the order: position {p} holds #{} there and #{} here",
                log.longest[p], elements[p]
            ));
        } else if elements.len() > log.longest.len() {
            log.longest = elements.to_vec();
        }
        // Acknowledged appends the read should hold.
        let bound = if is_final { Some(0) } else { bound_us(class) };
        let Some(b) = bound else { return };
        let missed = log.acked.iter().find(|(e, acked_at)| {
            *acked_at < invoked_at
                && invoked_at.since(*acked_at).as_us() > b
                && !elements.contains(e)
        });
        if let Some(&(e, acked_at)) = missed {
            let how = if is_final {
                self.missing_final += 1;
                "a final read, after the liveness phase".to_string()
            } else {
                self.missing += 1;
                format!("a {} read", class_name(class))
            };
            finding(format!(
                "{who} lacks element #{e}, whose append was acknowledged at {acked_at}, {:.1} ms before the read began ({how})",
                invoked_at.since(acked_at).as_us() as f64 / 1e3
            ));
        }
    }
}

impl Invariant for AppendIntegrity {
    fn id(&self) -> &'static str {
        "append_integrity"
    }

    fn observe(&mut self, obs: &Obs, view: &View, found: &mut Vec<Finding>) {
        match obs {
            Obs::FinalReads => self.final_since = Some(view.at),
            Obs::Complete { kind: OpKind::ListAppend, write: Some(_), key, op_key, .. } => {
                self.lists.entry(*key).or_default().acked.push((*op_key, view.at));
            }
            Obs::Complete {
                kind: OpKind::ListRead,
                key,
                read: Some(r),
                invoked_at,
                region,
                op_key,
                ..
            } => {
                let Some(elements) = &r.list else { return };
                let class = if self.final_since.is_some_and(|t| *invoked_at >= t) {
                    ReadClass::Eventual
                } else {
                    view.scenario.workload.read_class[OpKind::ListRead.idx()]
                };
                self.read(view, *key, r, elements, class, *invoked_at, *region, *op_key, found);
            }
            _ => {}
        }
    }

    fn details(&self) -> Option<Details> {
        Some(self.figures().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit::Harness;
    use crate::check::testkit_obs::{acked, read, seen};

    const A: RegionId = RegionId(0);
    const B: RegionId = RegionId(1);

    /// Judged from client results alone: a doubled element, two reads that disagree on
    /// the order, a strong read that lacks an acknowledged append, and a final read that
    /// lacks one whatever its class; a read that agrees with everything passes.
    #[test]
    fn lists_are_judged_from_client_results_alone() {
        let mut h = Harness::new("scenarios/list-append-async-failover.json");
        let mut c = AppendIntegrity::new(&h.scenario.clone());
        let key = h.scenario.workload.list_base() + 2;
        let list_read = |op, at: SimTime, elements: Vec<u64>| {
            read(A, B, OpKind::ListRead, key, op, at, seen(&[]), Some(elements))
        };
        h.at = SimTime(1_000);
        for e in [1, 2] {
            h.feed(&mut c, &acked(A, OpKind::ListAppend, key, e, 0));
        }
        h.at = SimTime(2_000);
        h.feed(&mut c, &list_read(10, SimTime(1_500), vec![1, 2, 3]));
        h.feed(&mut c, &list_read(11, SimTime(1_500), vec![1, 2]));
        assert!(h.found.is_empty(), "{:?}", h.what());
        h.feed(&mut c, &list_read(12, SimTime(1_500), vec![1, 2, 2]));
        h.feed(&mut c, &list_read(13, SimTime(1_500), vec![1, 3, 2]));
        h.at = SimTime(2_200);
        h.feed(&mut c, &acked(A, OpKind::ListAppend, key, 3, 0));
        h.at = SimTime(3_000);
        h.feed(&mut c, &list_read(14, SimTime(2_500), vec![1, 2]));
        let what = h.what();
        assert_eq!(what.len(), 4, "{what:#?}");
        assert!(what[0].contains("lists element #2 twice"), "{}", what[0]);
        assert!(what[1].contains("position 2 holds #3 there and #2 here"), "{}", what[1]);
        assert!(what[2].contains("position 1 holds #2 there and #3 here"), "{}", what[2]);
        assert!(what[3].contains("lacks element #3"), "{}", what[3]);
        assert!(what[3].contains("(a strong read)"), "{}", what[3]);
        // Final reads need every acknowledged append, whatever their class.
        h.found.clear();
        h.feed(&mut c, &Obs::FinalReads);
        h.at = SimTime(4_000);
        h.feed(&mut c, &list_read(15, SimTime(3_500), vec![1, 2, 3]));
        h.feed(&mut c, &list_read(16, SimTime(3_500), vec![1, 2]));
        assert_eq!(h.what().len(), 1);
        assert!(h.what()[0].contains("(a final read, after the liveness phase)"));
        let d = c.figures();
        assert_eq!(d.acknowledged_appends_missing_at_the_end, 1);
        assert_eq!(d.duplicated_elements, 1);
    }
}
