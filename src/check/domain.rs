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

use super::{Finding, Invariant};
use crate::engine::SimTime;
use crate::model::types::{Key, Obs, Version, NO_KEY};
use crate::model::World;
use crate::scenario::{workflow_legal, KeyKind, OpKind, Scenario};
use serde_json::json;
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
    /// Per permission key, the newest acknowledged revoke: its version and ack time.
    revokes: BTreeMap<Key, (Version, SimTime)>,
}

impl Domain {
    pub fn new(s: &Scenario) -> Self {
        let w = &s.workload;
        Domain {
            account_base: w.account_base(),
            accounts: w.accounts,
            initial_total: w.initial_balance * i64::from(w.accounts),
            acked_net: 0,
            unknown_pos: 0,
            unknown_neg: 0,
            final_total: None,
            negative: 0,
            oversold: 0,
            illegal: 0,
            revoked_used: 0,
            revokes: BTreeMap::new(),
        }
    }

    fn commit(&mut self, w: &World, obs: &Obs, found: &mut Vec<Finding>) {
        let Obs::Commit { region, entry, before, after } = obs else { return };
        let wl = &w.s.workload;
        let rname = w.s.region_name(*region);
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
            found.push(Finding { at: w.now, what, regions: vec![*region] });
        }
    }

    /// An active-active region applied another region's write: balances and stock
    /// must stay non-negative there too.
    fn merged(
        &mut self,
        w: &World,
        region: crate::scenario::RegionId,
        after: &[(Key, i64); 2],
        found: &mut Vec<Finding>,
    ) {
        let wl = &w.s.workload;
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
                        w.s.region_name(region)
                    )
                }
                KeyKind::Item => {
                    self.oversold += 1;
                    format!(
                        "item {} is oversold ({v}) in {} after merging another region's write",
                        k - wl.item_base(),
                        w.s.region_name(region)
                    )
                }
                _ => continue,
            };
            found.push(Finding { at: w.now, what, regions: vec![region] });
        }
    }

    fn permission(&mut self, w: &World, obs: &Obs, found: &mut Vec<Finding>) {
        let Obs::Complete { kind, key, version, read, invoked_at, region, .. } = obs else {
            return;
        };
        match (kind, version, read) {
            (OpKind::PermissionRevoke, Some(v), _) => {
                let e = self.revokes.entry(*key).or_insert((*v, w.now));
                if *v >= e.0 {
                    *e = (*v, w.now);
                }
            }
            (OpKind::PermissionCheck, _, Some((seen, 1))) => {
                let Some(&(rv, acked_at)) = self.revokes.get(key) else { return };
                if acked_at < *invoked_at && *seen < rv {
                    self.revoked_used += 1;
                    found.push(Finding {
                        at: w.now,
                        what: format!(
                            "permission {} granted to a check from {} that began at {} after its revoke was acknowledged at {} (the check saw epoch {} lsn {}, the revoke is epoch {} lsn {})",
                            key - w.s.workload.permission_base(),
                            w.s.region_name(*region),
                            invoked_at,
                            acked_at,
                            seen.epoch,
                            seen.lsn,
                            rv.epoch,
                            rv.lsn
                        ),
                        regions: vec![*region],
                    });
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

    fn observe(&mut self, obs: &Obs, w: &World, found: &mut Vec<Finding>) {
        match obs {
            Obs::Commit { .. } => self.commit(w, obs, found),
            Obs::Merged { region, after } => self.merged(w, *region, after, found),
            Obs::Complete { version, delta, .. } => {
                if version.is_some() {
                    self.acked_net += delta;
                }
                self.permission(w, obs, found);
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

    fn finish(&mut self, w: &World, found: &mut Vec<Finding>) {
        let auth = w.authoritative();
        let lo = self.account_base as usize;
        let total: i64 = auth.cells[lo..lo + self.accounts as usize].iter().map(|c| c.value).sum();
        self.final_total = Some(total);
        let expected = self.initial_total + self.acked_net;
        let (min, max) = (expected + self.unknown_neg, expected + self.unknown_pos);
        if total < min || total > max {
            found.push(Finding {
                at: w.now,
                what: format!(
                    "money is not conserved: {} holds {total} in all accounts; acknowledged operations allow {min}..={max}",
                    w.s.region_name(auth.region)
                ),
                regions: w.s.region_ids().collect(),
            });
        }
    }

    fn details(&self) -> serde_json::Value {
        json!({
            "negative_balances": self.negative,
            "oversold": self.oversold,
            "illegal_transitions": self.illegal,
            "revoked_access_used": self.revoked_used,
            "initial_total": self.initial_total,
            "acked_net": self.acked_net,
            "final_total": self.final_total,
        })
    }
}
