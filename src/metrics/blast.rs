//! Blast radius in words: which customers were hit (failed more than the threshold of
//! their operations) and why, from what the run counted. With cells, a customer's
//! requests go only to its cells, so the hit customers are those whose cells failed or
//! crashed, and the rest were spared by isolation; without cells, every customer's
//! requests reach every server of a region, so what is hit is a region, not a set of
//! customers.

use super::{Metrics, BLAST_ERROR_RATE};
use crate::model::apptier::shard;
use crate::scenario::Isolation;

/// The most customers a summary names.
const NAMED_MAX: usize = 20;

impl Metrics {
    /// The hit customers (by error rate, highest first, at most `NAMED_MAX`) and the
    /// sentence that says why they were hit.
    pub(super) fn blast_why(&self) -> (Vec<u32>, String) {
        let rate = |(ok, bad): (u64, u64)| bad as f64 / (ok + bad).max(1) as f64;
        let mut hit: Vec<(u32, f64)> = self
            .by_customer
            .iter()
            .enumerate()
            .filter(|(_, c)| c.0 + c.1 > 0 && rate(**c) > BLAST_ERROR_RATE)
            .map(|(i, c)| (i as u32, rate(*c)))
            .collect();
        let total_hit = hit.len();
        if total_hit == 0 {
            return (
                Vec::new(),
                format!(
                    "no customer failed more than {:.0}% of its operations",
                    BLAST_ERROR_RATE * 100.0
                ),
            );
        }
        hit.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let named: Vec<u32> = hit.iter().take(NAMED_MAX).map(|(c, _)| *c).collect();
        let served = self.by_customer.iter().filter(|c| c.0 + c.1 > 0).count();
        let threshold = BLAST_ERROR_RATE * 100.0;
        let who = if total_hit == served {
            format!("all {served} customers failed more than {threshold:.0}% of their operations")
        } else if total_hit * 2 > served {
            // Most were hit: a list of some of them says nothing.
            format!(
                "{total_hit} of {served} customers failed more than {threshold:.0}% of their operations"
            )
        } else {
            format!(
                "{total_hit} of {served} customers failed more than {threshold:.0}% of their operations ({}{})",
                list(&named),
                if total_hit > named.len() { ", ..." } else { "" }
            )
        };
        (named.clone(), format!("{who}: {}", self.cause(&named)))
    }

    /// Why the named customers were hit: their cells, or the region that failed.
    fn cause(&self, named: &[u32]) -> String {
        let cells_hit = self.hit_cells();
        match self.isolation {
            Some((iso, cells)) if iso != Isolation::Shared && !cells_hit.is_empty() => {
                let of = |c: u32| match iso {
                    Isolation::Cells => vec![c as usize % cells as usize],
                    Isolation::ShuffleShard { shard_size } => {
                        shard(c, cells as usize, shard_size as usize)
                    }
                    Isolation::Shared => (0..cells as usize).collect(),
                };
                let cells_named = self.cells_text(&cells_hit);
                let all_in_hit_cells = named
                    .iter()
                    .filter(|c| of(**c).iter().all(|k| cells_hit.iter().any(|(_, h)| h == k)))
                    .count();
                let isolation = match iso {
                    Isolation::ShuffleShard { shard_size } => {
                        format!("a shuffle shard of {shard_size} of {cells} cells")
                    }
                    _ => format!("one of {cells} cells"),
                };
                format!(
                    "each customer's requests go to {isolation}, and {} failed ({}); {all_in_hit_cells} of the {} named had every one of their cells among them, and customers with a healthy cell were spared",
                    plural(cells_hit.len(), "cell", "cells"),
                    cells_named,
                    named.len()
                )
            }
            Some((_, cells)) if !cells_hit.is_empty() => {
                let cells_named = self.cells_text(&cells_hit);
                format!(
                    "any customer's request may go to any of a region's {cells} cells (isolation \"shared\"), so {} failing ({}) exposed customers across the board",
                    plural(cells_hit.len(), "cell", "cells"),
                    cells_named
                )
            }
            _ => {
                let Some((region, share)) = self.worst_region() else {
                    return "their operations failed".into();
                };
                if share < 0.6 {
                    return format!(
                        "failed operations came from every client region (at most {:.0}%, from {region}), and no cell isolation confined them: the failure hit every customer alike",
                        share * 100.0
                    );
                }
                let shared = match self.isolation {
                    Some((Isolation::Shared, _)) | None => "every customer's requests there share its servers (no cell isolation)",
                    Some(_) => "no cell failed on its own: the whole region did, and cells cannot confine that",
                };
                format!(
                    "{:.0}% of the failed operations were sent from {region}, and {shared}: the failure hit a region, not particular customers, and any customer with operations there was exposed",
                    share * 100.0
                )
            }
        }
    }

    /// Cells hit, as (region index, cell index).
    fn hit_cells(&self) -> Vec<(usize, usize)> {
        let per = self.cells_per_region.max(1);
        self.by_cell
            .iter()
            .zip(&self.cell_crashed)
            .enumerate()
            .filter(|(_, ((ok, bad), crashed))| {
                **crashed || *bad as f64 > BLAST_ERROR_RATE * (ok + bad) as f64
            })
            .map(|(i, _)| (i / per, i % per))
            .collect()
    }

    /// The first few cells hit, in words.
    fn cells_text(&self, cells: &[(usize, usize)]) -> String {
        const SHOWN: usize = 4;
        let mut t: Vec<String> = cells.iter().take(SHOWN).map(|c| self.cell_text(*c)).collect();
        if cells.len() > SHOWN {
            t.push(format!("{} more", cells.len() - SHOWN));
        }
        t.join("; ")
    }

    fn cell_text(&self, (region, cell): (usize, usize)) -> String {
        let i = region * self.cells_per_region.max(1) + cell;
        let (ok, bad) = self.by_cell[i];
        let name = self.regions.get(region).map_or("?", String::as_str);
        if self.cell_crashed[i] {
            format!("{name} cell {cell}: servers crashed")
        } else {
            format!(
                "{name} cell {cell}: {:.0}% failed",
                bad as f64 / (ok + bad).max(1) as f64 * 100.0
            )
        }
    }

    /// The client region most failed operations were sent from, and its share of them.
    fn worst_region(&self) -> Option<(String, f64)> {
        let failed: Vec<u64> =
            self.counts.iter().map(|ks| ks.iter().map(|c| c.failed + c.unknown).sum()).collect();
        let total: u64 = failed.iter().sum();
        let (i, most) = failed.iter().enumerate().max_by_key(|(i, f)| (**f, usize::MAX - i))?;
        (total > 0).then(|| (self.regions[i].clone(), *most as f64 / total as f64))
    }
}

fn list(ids: &[u32]) -> String {
    ids.iter().map(|c| format!("#{c}")).collect::<Vec<_>>().join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
