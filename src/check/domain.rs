//! `domain`: the business rules of each entity type.
//! - accounts: no balance is ever negative in a writer's state, and money is conserved:
//!   after convergence the authoritative total equals the initial total plus the
//!   credits and debits clients were told succeeded, give or take the operations whose
//!   outcome they never learned (a write applied twice, or an acknowledged credit that
//!   vanished, moves the total outside that range);
//! - inventory: an item is never oversold (available units never below zero);
//! - permissions: a check that starts after a revoke was acknowledged never finds the
//!   permission granted by a state older than the revoke;
//! - workflows: every committed state change is a legal transition.

use super::ledger::{Deferred, Fate, Ledger, Reflects};
use super::{Details, Finding, Invariant, View};
use crate::engine::SimTime;
use crate::model::obs::Obs;
use crate::model::types::{Key, WriteId, NO_KEY};
use crate::scenario::{workflow_legal, KeyKind, OpKind, Scenario};
use serde::Serialize;
use std::collections::BTreeMap;

pub struct Domain {
    account_base: u32,
    accounts: u32,
    initial_total: i64,
    acked_net: i64,
    unknown_pos: i64,
    unknown_neg: i64,
    final_total: Option<i64>,
    negative: u64,
    oversold: u64,
    illegal: u64,
    revoked_used: u64,
    /// Per permission key, the newest acknowledged revoke: the write and its ack time.
    revokes: BTreeMap<Key, (WriteId, SimTime)>,
    /// Checks that missed a revoke whose fate is still open (a revoke that is lost is
    /// `acked_durability`'s finding).
    waiting: Deferred<Finding>,
}

/// What `domain` reports: each kind of broken business rule, and the money balance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DomainDetails {
    pub acked_net: i64,
    pub final_total: Option<i64>,
    pub illegal_transitions: u64,
    pub initial_total: i64,
    pub negative_balances: u64,
    pub oversold: u64,
    pub revoked_access_used: u64,
    /// Money moved by operations whose client never learned the outcome: the final
    /// total may differ from initial + acked_net by up to these.
    pub unknown_outcome_credits: i64,
    pub unknown_outcome_debits: i64,
}

impl Domain {
    /// What the summary reports, as it stands.
    pub fn figures(&self) -> DomainDetails {
        DomainDetails {
            negative_balances: self.negative,
            oversold: self.oversold,
            illegal_transitions: self.illegal,
            revoked_access_used: self.revoked_used,
            initial_total: self.initial_total,
            acked_net: self.acked_net,
            unknown_outcome_credits: self.unknown_pos,
            unknown_outcome_debits: self.unknown_neg,
            final_total: self.final_total,
        }
    }

    pub fn new(scenario: &Scenario) -> Self {
        let workload = &scenario.workload;
        Domain {
            account_base: workload.account_base(),
            accounts: workload.accounts,
            initial_total: workload.initial_balance * i64::from(workload.accounts),
            acked_net: 0,
            unknown_pos: 0,
            unknown_neg: 0,
            final_total: None,
            negative: 0,
            oversold: 0,
            illegal: 0,
            revoked_used: 0,
            revokes: BTreeMap::new(),
            waiting: Deferred::default(),
        }
    }

    fn commit(&mut self, view: &View, obs: &Obs, found: &mut Vec<Finding>) {
        let Obs::Commit { region, entry, before, after } = obs else { return };
        let wl = &view.scenario.workload;
        let rname = view.region_name(*region);
        for &(k, v) in after {
            if k == NO_KEY {
                continue;
            }
            let what = match wl.key_kind(k) {
                KeyKind::Account if v < 0 => {
                    self.negative += 1;
                    format!("account {} is at {v} after a commit in {rname}: balances must never be negative", k - self.account_base)
                }
                KeyKind::Item if v < 0 => {
                    self.oversold += 1;
                    format!(
                        "item {} is oversold: {v} units available after a commit in {rname}",
                        k - wl.item_base()
                    )
                }
                KeyKind::Workflow
                    if k == entry.key && v != *before && !workflow_legal(*before, v) =>
                {
                    self.illegal += 1;
                    format!("workflow {} moves from state {before} to {v} in {rname}: not a legal transition", k - wl.workflow_base())
                }
                _ => continue,
            };
            found.push(Finding { at: view.at, what, regions: vec![*region] });
        }
    }

    /// An active-active region applied another region's write: balances and stock
    /// must stay non-negative there too.
    fn merged(
        &mut self,
        view: &View,
        region: crate::scenario::RegionId,
        after: &[(Key, i64); 2],
        found: &mut Vec<Finding>,
    ) {
        let wl = &view.scenario.workload;
        for &(k, v) in after {
            if k == NO_KEY || v >= 0 {
                continue;
            }
            let what = match wl.key_kind(k) {
                KeyKind::Account => {
                    self.negative += 1;
                    format!(
                        "account {} is at {v} in {} after merging another region's write",
                        k - self.account_base,
                        view.region_name(region)
                    )
                }
                KeyKind::Item => {
                    self.oversold += 1;
                    format!(
                        "item {} is oversold ({v}) in {} after merging another region's write",
                        k - wl.item_base(),
                        view.region_name(region)
                    )
                }
                _ => continue,
            };
            found.push(Finding { at: view.at, what, regions: vec![region] });
        }
    }

    fn permission(&mut self, view: &View, obs: &Obs, found: &mut Vec<Finding>) {
        let Obs::Complete { kind, key, write, read, invoked_at, region, op_key, .. } = obs else {
            return;
        };
        match (kind, write, read) {
            (OpKind::PermissionRevoke, Some(w), _) => {
                self.revokes.insert(*key, (*w, view.at));
            }
            (OpKind::PermissionCheck, _, Some(r)) if r.value == 1 => {
                let Some(&(revoke, acked_at)) = self.revokes.get(key) else { return };
                let ledger = view.ledger;
                let commit_at = ledger.commit_at(*key, revoke);
                let fate = ledger.fate(revoke);
                if acked_at < *invoked_at
                    && fate != Fate::Lost
                    && Ledger::reflects(&r.seen, revoke, commit_at) == Reflects::No
                {
                    let f = Finding {
                        at: view.at,
                        what: format!(
                            "permission {} granted to {} #{op_key} from {} (served by {}) that began at {} after its {} {revoke} was acknowledged at {}: the check did not see the revoke",
                            key - view.scenario.workload.permission_base(),
                            view.op_word(OpKind::PermissionCheck, "check"),
                            view.region_name(*region),
                            view.region_name(r.served_by),
                            invoked_at,
                            view.op_word(OpKind::PermissionRevoke, "revoke"),
                            acked_at,
                        ),
                        regions: vec![*region, r.served_by],
                    };
                    if fate == Fate::Safe {
                        self.revoked_used += 1;
                        found.push(f);
                    } else {
                        self.waiting.push(revoke, f);
                    }
                }
            }
            _ => {}
        }
    }
}

impl Invariant for Domain {
    fn id(&self) -> &'static str {
        "domain"
    }

    fn observe(&mut self, obs: &Obs, view: &View, found: &mut Vec<Finding>) {
        match obs {
            Obs::Commit { .. } => self.commit(view, obs, found),
            Obs::Merged { region, after } => self.merged(view, *region, after, found),
            Obs::Complete { write, delta, .. } => {
                if write.is_some() {
                    self.acked_net += delta;
                }
                self.permission(view, obs, found);
            }
            Obs::Indeterminate { delta, .. } => {
                if *delta > 0 {
                    self.unknown_pos += delta;
                } else {
                    self.unknown_neg += delta;
                }
            }
            _ => {}
        }
    }

    fn sample(&mut self, view: &View, found: &mut Vec<Finding>) {
        let settled = self.waiting.settle(view.ledger);
        self.revoked_used += settled.len() as u64;
        found.extend(settled);
    }

    fn finish(&mut self, view: &View, found: &mut Vec<Finding>) {
        let settled = self.waiting.finish(view.ledger, view.probe.named_writer());
        self.revoked_used += settled.len() as u64;
        found.extend(settled);
        // The money the region clients write to holds, read through the probe.
        let writer = view.probe.named_writer();
        let lo = self.account_base;
        let total: i64 = (lo..lo + self.accounts).map(|k| view.probe.value(writer, k)).sum();
        self.final_total = Some(total);
        let expected = self.initial_total + self.acked_net;
        let (min, max) = (expected + self.unknown_neg, expected + self.unknown_pos);
        if total < min || total > max {
            found.push(Finding {
                at: view.at,
                what: format!(
                    "money is not conserved: {} holds {total} in all accounts; acknowledged operations allow {min}..={max}",
                    view.region_name(writer)
                ),
                regions: view.scenario.region_ids().collect(),
            });
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
    use crate::model::types::OpId;

    /// Money moved by an operation whose client never learned the outcome may or may
    /// not have moved: conservation accepts both, and nothing beyond.
    #[test]
    fn money_in_flight_with_an_unknown_outcome_may_or_may_not_have_moved() {
        let s = crate::scenario::load("scenarios/aa-accounts-lww.json").unwrap();
        let unknown = |delta: i64, kind| Obs::Indeterminate {
            op: OpId { slot: 0, gen: 0 },
            kind,
            region: crate::scenario::RegionId(0),
            delta,
            invoked_at: SimTime::ZERO,
            op_key: 1,
        };
        // (unknown operations, money that actually moved, conserved?)
        let cases = [
            (vec![], 0, true),
            (vec![], 1, false),
            (vec![unknown(-50, OpKind::AccountDebit)], 0, true),
            (vec![unknown(-50, OpKind::AccountDebit)], -50, true),
            (vec![unknown(-50, OpKind::AccountDebit)], -51, false),
            (vec![unknown(-50, OpKind::AccountDebit)], 1, false),
            (vec![unknown(30, OpKind::AccountCredit)], 30, true),
            (vec![unknown(30, OpKind::AccountCredit)], 0, true),
            (vec![unknown(30, OpKind::AccountCredit)], 31, false),
            (
                vec![unknown(30, OpKind::AccountCredit), unknown(-50, OpKind::AccountDebit)],
                -20,
                true,
            ),
            (
                vec![unknown(30, OpKind::AccountCredit), unknown(-50, OpKind::AccountDebit)],
                -51,
                false,
            ),
        ];
        for (i, (ops, moved, conserved)) in cases.into_iter().enumerate() {
            let mut h = Harness::new("scenarios/aa-accounts-lww.json");
            let mut d = Domain::new(&s);
            for o in &ops {
                h.feed(&mut d, o);
            }
            let writer = h.probe.writer as usize;
            let lo = d.account_base as usize;
            let before: i64 = h.probe.values[writer][lo..lo + d.accounts as usize].iter().sum();
            assert_eq!(before, d.initial_total, "case {i}: the world starts with the money");
            h.probe.values[writer][lo] += moved;
            h.finish(&mut d);
            assert_eq!(h.found.is_empty(), conserved, "case {i}: {:?}", h.what());
        }
    }

    /// An active-active region that applies another region's write can overdraw an
    /// account or oversell an item there; each is a finding of its own kind, and other
    /// keys may go below zero freely.
    #[test]
    fn a_merge_that_overdraws_or_oversells_is_seen() {
        let s = crate::scenario::load("scenarios/stale-entity-checks.json").unwrap();
        let workload = &s.workload;
        assert!(
            workload.accounts > 0 && workload.item_base() < workload.permission_base(),
            "accounts and items"
        );
        let (account, item, register) = (workload.account_base(), workload.item_base(), 0);
        let mut h = Harness::new("scenarios/stale-entity-checks.json");
        let mut d = Domain::new(&s);
        let region = crate::scenario::RegionId(1);
        for after in [
            [(account, 5), (item, 0)],
            [(register, -7), (NO_KEY, -1)],
            [(account, -3), (NO_KEY, 0)],
            [(item + 1, -2), (account, 1)],
        ] {
            h.feed(&mut d, &Obs::Merged { region, after });
        }
        let found = &h.found;
        let what = h.what();
        assert_eq!(what.len(), 2, "{what:?}");
        assert!(what[0].starts_with("account 0 is at -3 in "), "{}", what[0]);
        assert!(what[1].starts_with("item 1 is oversold (-2) in "), "{}", what[1]);
        assert_eq!((d.figures().negative_balances, d.figures().oversold), (1, 1));
        assert!(found.iter().all(|f| f.regions == vec![region]));
    }
}
