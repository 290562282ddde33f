//! The workload: the operation mix, entity counts, clients, timeouts and retries, read
//! classes, and whether the design can serve them.

use super::super::file::*;
use super::super::types::*;
use super::{Validator, R};
use super::{KEYS_MAX, LIST_LENGTH_MAX, MONEY_MAX};
use crate::field::num;

impl Validator<'_> {
    pub(super) fn workload(&self, w: &WorkloadFile, regions: &[RegionSpec]) -> R<Workload> {
        if !w.rate_per_s.is_finite() || w.rate_per_s <= 0.0 || w.rate_per_s > 10_000_000.0 {
            return self.err(
                "workload.rate_per_s",
                format!("must be a positive rate up to 10000000, got {}", num(w.rate_per_s)),
            );
        }
        let mix = self.mix(&w.mix)?;
        let client_regions = self.clients(w, regions)?;
        self.counts(w, &mix)?;
        let read_class = self.read_classes(w)?;
        // Fields are checked in the order they are written here, which is the order in
        // which a file's errors are reported: keep it.
        Ok(Workload {
            rate_per_s: w.rate_per_s,
            mix,
            client_regions,
            registers: w.registers,
            accounts: w.accounts,
            items: w.items,
            permissions: w.permissions,
            workflows: w.workflows,
            lists: w.lists,
            list_length_max: w.list_length_max,
            initial_balance: w.initial_balance,
            amount_max: w.amount_max,
            stock: w.stock,
            qty_max: w.qty_max,
            sessions: w.sessions,
            customers: w.customers,
            timeout: self.positive_ms("workload.timeout_ms", w.timeout_ms)?,
            attempts: w.retry.attempts,
            backoff: self.nonneg_ms("workload.retry.backoff_ms", w.retry.backoff_ms)?,
            backoff_max: self.nonneg_ms("workload.retry.backoff_max_ms", w.retry.backoff_max_ms)?,
            jitter: match w.retry.jitter {
                JitterFile::None => Jitter::None,
                JitterFile::Full => Jitter::Full,
                JitterFile::Equal => Jitter::Equal,
                JitterFile::Decorrelated => Jitter::Decorrelated,
            },
            budget: self.budget(w)?,
            read_class,
            labels: self.labels_by_kind(),
        })
    }

    /// The regions whose clients send traffic: all, unless named.
    fn clients(&self, w: &WorkloadFile, regions: &[RegionSpec]) -> R<Vec<RegionId>> {
        let Some(names) = &w.clients else {
            // Clients live in each region's zone 0.
            let zone0 = regions.iter().enumerate().filter(|(_, r)| r.zone == 0);
            return Ok(zone0.map(|(i, _)| RegionId(i as u8)).collect());
        };
        if names.is_empty() {
            return self.err(
                "workload.clients",
                "name at least one region, or leave the field out for all regions",
            );
        }
        let mut ids = Vec::new();
        for (i, n) in names.iter().enumerate() {
            ids.push(self.region(regions, &format!("workload.clients[{i}]"), n)?);
        }
        Ok(ids)
    }

    /// Entity counts, amounts and retry attempts within their bounds.
    fn counts(&self, w: &WorkloadFile, mix: &[(OpKind, u32)]) -> R<()> {
        let counts = [
            ("registers", w.registers),
            ("accounts", w.accounts),
            ("items", w.items),
            ("permissions", w.permissions),
            ("workflows", w.workflows),
            ("lists", w.lists),
            ("sessions", w.sessions),
            ("customers", w.customers),
        ];
        for (field, n) in counts {
            if n == 0 || n > KEYS_MAX {
                return self.err(
                    format!("workload.{field}"),
                    format!("must be between 1 and {KEYS_MAX}, got {n}"),
                );
            }
        }
        if w.list_length_max == 0 || w.list_length_max > LIST_LENGTH_MAX {
            return self.err(
                "workload.list_length_max",
                format!("must be between 1 and {LIST_LENGTH_MAX}, got {}", w.list_length_max),
            );
        }
        if w.accounts < 2 && mix.iter().any(|(k, _)| *k == OpKind::AccountTransfer) {
            return self.err("workload.accounts", "account.transfer needs at least 2 accounts");
        }
        if !(0..=MONEY_MAX).contains(&w.initial_balance) {
            return self.err(
                "workload.initial_balance",
                format!("must be between 0 and {MONEY_MAX}, got {}", w.initial_balance),
            );
        }
        if !(1..=MONEY_MAX).contains(&w.amount_max) {
            return self.err(
                "workload.amount_max",
                format!("must be between 1 and {MONEY_MAX}, got {}", w.amount_max),
            );
        }
        if w.retry.attempts == 0 || w.retry.attempts > 100 {
            return self.err(
                "workload.retry.attempts",
                format!("must be between 1 and 100 (1 means no retry), got {}", w.retry.attempts),
            );
        }
        for (field, n) in [("stock", w.stock), ("qty_max", w.qty_max)] {
            if !(1..=MONEY_MAX).contains(&n) {
                return self.err(
                    format!("workload.{field}"),
                    format!("must be between 1 and {MONEY_MAX}, got {n}"),
                );
            }
        }
        Ok(())
    }

    /// Each read operation's freshness class: strong unless the workload says otherwise.
    fn read_classes(&self, w: &WorkloadFile) -> R<[ReadClass; OpKind::COUNT]> {
        let mut read_class = [ReadClass::Strong; OpKind::COUNT];
        self.once_each("workload.read_classes", &w.read_classes)?;
        for (key, rc) in &w.read_classes {
            let path = format!("workload.read_classes.\"{key}\"");
            let kind = match self.op_kind(key) {
                Some(k) if k.is_read() => k,
                _ => {
                    return self.err(
                        path,
                        "read classes apply to read operations: register.read, account.read, permission.check, workflow.read, list.read",
                    )
                }
            };
            read_class[kind.idx()] = match (rc.class, rc.bound_ms) {
                (ReadClassKindFile::Strong, None) => ReadClass::Strong,
                (ReadClassKindFile::Eventual, None) => ReadClass::Eventual,
                (ReadClassKindFile::Session, None) => ReadClass::Session,
                (ReadClassKindFile::Bounded, Some(ms)) => {
                    ReadClass::Bounded(self.positive_ms(&format!("{path}.bound_ms"), ms)?)
                }
                (ReadClassKindFile::Bounded, None) => {
                    return self.err(format!("{path}.bound_ms"), "class \"bounded\" needs bound_ms")
                }
                (_, Some(_)) => {
                    return self
                        .err(format!("{path}.bound_ms"), "only class \"bounded\" takes bound_ms")
                }
            };
        }
        Ok(read_class)
    }

    fn budget(&self, w: &WorkloadFile) -> R<Option<RetryBudget>> {
        let Some(b) = &w.retry.budget else { return Ok(None) };
        if !b.ratio.is_finite() || b.ratio <= 0.0 || b.ratio > 1.0 {
            return self.err(
                "workload.retry.budget.ratio",
                format!(
                    "the share of successes that may be retried is above 0 and at most 1, got {}",
                    num(b.ratio)
                ),
            );
        }
        if !b.burst.is_finite() || b.burst < 1.0 || b.burst > 1e6 {
            return self.err(
                "workload.retry.budget.burst",
                format!(
                    "the retries that can be saved up are between 1 and 1000000, got {}",
                    num(b.burst)
                ),
            );
        }
        Ok(Some(RetryBudget { ratio: b.ratio, burst: b.burst }))
    }

    pub(super) fn mix(
        &self,
        mix: &std::collections::BTreeMap<String, f64>,
    ) -> R<Vec<(OpKind, u32)>> {
        if mix.is_empty() {
            return self.err("workload.mix", "name at least one operation");
        }
        self.once_each("workload.mix", mix)?;
        let mut out = Vec::new();
        let mut sum = 0.0;
        let mut cumulative: u32 = 0;
        for (key, p) in mix {
            let path = format!("workload.mix.\"{key}\"");
            let Some(kind) = self.op_kind(key) else {
                return self.unknown_op(path, key);
            };
            if !p.is_finite() || !(0.0..=1.0).contains(p) {
                return self.err(
                    path,
                    format!("a share is a probability between 0 and 1, got {}", num(*p)),
                );
            }
            sum += p;
            cumulative += (p * 1e6).round() as u32;
            if *p > 0.0 {
                out.push((kind, cumulative));
            }
        }
        if (sum - 1.0).abs() > 1e-6 {
            let shares: Vec<String> = mix.iter().map(|(k, p)| format!("{k} {}", num(*p))).collect();
            return self.err(
                "workload.mix",
                format!("shares must sum to 1, they sum to {} ({})", num(sum), shares.join(" + ")),
            );
        }
        // Rounding may leave the last bucket a few ppm short; the last entry closes the range.
        if let Some(last) = out.last_mut() {
            last.1 = 1_000_000;
        }
        Ok(out)
    }

    /// Every read class the workload asks for must be one the design can serve: with
    /// every region writing, a strong read needs one region that sees every write to
    /// its key, which only the home-region policy gives. Refused here rather than
    /// quietly served as something weaker.
    pub(super) fn reads_servable(&self, wf: &WorkloadFile, d: &Design, w: &Workload) -> R<()> {
        // A follower read is as stale as the closed timestamp's lag: a tighter bound
        // could never be served by a follower.
        let commit_wait = d.consensus.as_ref().is_some_and(|c| c.commit_wait.is_some());
        if let Some(&(kind, _)) = w.mix.iter().find(|(k, _)| k.entity() == KeyKind::List) {
            if commit_wait {
                return self.err(
                    format!("workload.mix.\"{}\"", self.key_in(&wf.mix, kind)),
                    "lists are not read at timestamps yet; with design.commit_wait use registers, accounts, items, permissions or workflows",
                );
            }
        }
        let lag = d.consensus.as_ref().and_then(|c| c.follower_read_lag);
        if let Some(lag) = lag {
            for &(kind, _) in &w.mix {
                if let ReadClass::Bounded(bound) = w.read_class[kind.idx()] {
                    if bound < lag {
                        return self.err(
                            format!(
                                "workload.read_classes.\"{}\".bound_ms",
                                self.key_in(&wf.read_classes, kind)
                            ),
                            format!(
                                "{} ms is below design.reads.follower_reads.closed_ts_lag_ms ({} ms): a follower read may be that stale; raise the bound or lower the lag",
                                bound.as_us() / 1_000,
                                lag.as_us() / 1_000
                            ),
                        );
                    }
                }
            }
        }
        if d.topology != Topology::ActiveActiveWrites {
            return Ok(());
        }
        for &(kind, _) in &w.mix {
            if !kind.is_read() || w.read_class[kind.idx()] != ReadClass::Strong {
                continue;
            }
            let entity = kind.entity();
            if d.conflicts[entity as usize] == ConflictPolicy::HomeRegion {
                continue;
            }
            let path = match self.file_key(&wf.read_classes, kind) {
                Some(key) => format!("workload.read_classes.\"{key}\""),
                None => format!("workload.mix.\"{}\"", self.key_in(&wf.mix, kind)),
            };
            return self.err(
                path,
                format!(
                    "{} is a strong read (the default class), but with design.topology \"active-active-writes\" and design.conflicts.{} not \"home-region\" no region sees every write to a key, so none can serve it; give it class \"eventual\", \"session\" or \"bounded\" in workload.read_classes, or set design.conflicts.{} to \"home-region\" (strong reads then go to each key's home)",
                    kind.name(),
                    entity.name(),
                    entity.name()
                ),
            );
        }
        Ok(())
    }
}
