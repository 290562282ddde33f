//! `domain`: the account rules. No balance is ever negative in any writer's state, and
//! money is conserved: after convergence the authoritative total equals the initial
//! total plus the credits and debits clients were told succeeded, give or take the
//! operations whose outcome they never learned. A write applied twice, or an
//! acknowledged credit that vanished, moves the total outside that range.

use super::{Finding, Invariant};
use crate::model::types::{Obs, NO_KEY};
use crate::model::World;
use crate::scenario::Scenario;
use serde_json::json;

pub struct Domain {
    registers: u32,
    accounts: u32,
    initial_total: i64,
    acked_net: i64,
    unknown_pos: i64,
    unknown_neg: i64,
    final_total: Option<i64>,
    negative: u64,
}

impl Domain {
    pub fn new(s: &Scenario) -> Self {
        Domain {
            registers: s.workload.registers,
            accounts: s.workload.accounts,
            initial_total: s.workload.initial_balance * i64::from(s.workload.accounts),
            acked_net: 0,
            unknown_pos: 0,
            unknown_neg: 0,
            final_total: None,
            negative: 0,
        }
    }
}

impl Invariant for Domain {
    fn id(&self) -> &'static str {
        "domain"
    }

    fn observe(&mut self, obs: &Obs, w: &World, found: &mut Vec<Finding>) {
        match obs {
            Obs::Commit { region, balances, .. } => {
                for &(k, b) in balances {
                    if k != NO_KEY && b < 0 {
                        self.negative += 1;
                        found.push(Finding {
                            at: w.now,
                            what: format!("account {} is at {b} after a commit in {}: balances must never be negative", k - self.registers, w.s.region_name(*region)),
                            regions: vec![*region],
                        });
                    }
                }
            }
            Obs::Complete { version: Some(_), delta, .. } => self.acked_net += delta,
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
        let lo = self.registers as usize;
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
            "initial_total": self.initial_total,
            "acked_net": self.acked_net,
            "final_total": self.final_total,
        })
    }
}
