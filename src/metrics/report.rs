//! Builds the typed `Summary` from what `Metrics` gathered during the run. It only
//! reads the collector: calling it twice gives the same summary, and it never feeds
//! anything back into the run.

use super::series::error_rate;
use super::summary::{
    BandSpan, BlastRadius, CommitLatency, Conflicts, ErrorBudgetBurn, KindAvailability, Lag,
    Latencies, LatencyQuantiles, Load, OpLatency, Promotion, QueueDepth, RegionTimeline,
    RunbookStep, Summary,
};
use super::{blast_radius, Metrics, Segment, BLAST_ERROR_RATE, ERROR_BUDGET_SLO};
use crate::engine::SimTime;
use crate::model::obs::Grantor;
use crate::scenario::OpKind;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;

/// A quantile in ms, 0 when the histogram saw nothing.
fn quantile_ms(hist: &Histogram<u64>, q: f64) -> f64 {
    if hist.is_empty() {
        0.0
    } else {
        hist.value_at_quantile(q) as f64 / 1e3
    }
}

fn quantiles(hist: &Histogram<u64>) -> LatencyQuantiles {
    LatencyQuantiles {
        p50_ms: quantile_ms(hist, 0.5),
        p99_ms: quantile_ms(hist, 0.99),
        p999_ms: quantile_ms(hist, 0.999),
        count: hist.len(),
    }
}

fn promotion(p: &super::PromotionTrack) -> Promotion {
    Promotion {
        epoch: p.epoch,
        at_s: p.at.as_secs_f64(),
        region: p.region.clone(),
        by_operator: p.by == Grantor::Operator,
        by: p.by.name(),
        detected_at_s: p.detected_at.map(SimTime::as_secs_f64),
        election_ms: (p.by == Grantor::Election)
            .then(|| p.detected_at.map(|d| p.at.since(d).as_us() as f64 / 1e3))
            .flatten(),
        write_rto_ms: p.rto_us.map(|u| u as f64 / 1e3),
    }
}

/// A band's spans, with region names.
fn band(band: &[Segment], regions: &[String]) -> Vec<BandSpan> {
    band.iter()
        .map(|s| BandSpan {
            from_s: s.from.as_secs_f64(),
            until_s: s.until.map(SimTime::as_secs_f64),
            epoch: s.epoch,
            region: regions[s.region].clone(),
        })
        .collect()
}

impl Metrics {
    /// The run's metrics, for `summary.json` and every report.
    pub fn report(&self) -> Summary {
        let (availability, availability_by_region) = self.availability();
        Summary {
            operations: self.ops,
            availability,
            availability_by_region,
            latency: self.latencies(),
            latency_by_op: self.latency_by_op(),
            commit_latency: self.quorum_wait.as_ref().map(|h| CommitLatency {
                quorum_wait: quantiles(h),
                commit_wait: self.commit_wait.as_ref().map(quantiles),
            }),
            async_fallback: self.fallback.clone().map(|mut f| {
                // Periods still open at the end count up to the last event seen.
                let open = self.fallback_since.iter().flatten();
                f.seconds += open.map(|s| self.last_seen.since(*s).as_secs_f64()).sum::<f64>();
                f
            }),
            // Attempts sent per operation that sent any: 1 means no retries.
            retry_amplification: if self.attempted_ops == 0 {
                1.0
            } else {
                self.attempts as f64 / self.attempted_ops as f64
            },
            replication_lag: self.replication_lag(),
            promotions: self.promotions.iter().map(promotion).collect(),
            log_entries_peak: self.log_entries_peak,
            brownout_detection_ms: self.detected.map(|d| d.as_ms_f64()),
            breaker_transitions: self.breaker_transitions,
            breakers: self.breakers.iter().cloned().collect(),
            error_budget_burn: self.error_budget_burn(),
            blast_radius: self.blast_radius_summary(),
            load: self.load(),
            snapshots_sent: self.snapshots,
            conflicts: Conflicts {
                superseded_unobserved: self.superseded,
                remote_updates_merged: self.merged,
                conditional_writes_refused: self.conflicts_rejected,
            },
            by_region: self.by_region(),
            runbook: self
                .runbook
                .iter()
                .map(|(step, start, end)| RunbookStep {
                    step,
                    start_s: start.as_secs_f64(),
                    end_s: end.map(SimTime::as_secs_f64),
                })
                .collect(),
        }
    }

    /// Overall availability (1 with no completions), and per region and kind for the
    /// regions and kinds that saw any completion.
    #[allow(clippy::type_complexity)]
    fn availability(&self) -> (f64, BTreeMap<String, BTreeMap<String, KindAvailability>>) {
        let mut by_region = BTreeMap::new();
        let (mut ok_all, mut total_all) = (0u64, 0u64);
        for (ri, name) in self.regions.iter().enumerate() {
            let mut per = BTreeMap::new();
            for k in OpKind::ALL {
                let c = self.counts[ri][k.idx()];
                let total = c.ok + c.failed + c.unknown;
                if total == 0 {
                    continue;
                }
                ok_all += c.ok;
                total_all += total;
                let kind = KindAvailability {
                    availability: c.ok as f64 / total as f64,
                    ok: c.ok,
                    failed: c.failed,
                    indeterminate: c.unknown,
                };
                per.insert(self.op_names[k.idx()].clone(), kind);
            }
            if !per.is_empty() {
                by_region.insert(name.clone(), per);
            }
        }
        let overall = if total_all == 0 { 1.0 } else { ok_all as f64 / total_all as f64 };
        (overall, by_region)
    }

    fn latencies(&self) -> Latencies {
        let regions = self
            .regions
            .iter()
            .zip(&self.latency)
            .filter(|(_, h)| !h.is_empty())
            .map(|(name, h)| (name.clone(), quantiles(h)))
            .collect();
        Latencies::new(quantiles(&self.latency_all), regions)
    }

    fn latency_by_op(&self) -> BTreeMap<String, OpLatency> {
        let mut out = BTreeMap::new();
        for (kind, hists) in OpKind::ALL.iter().zip(&self.latency_by_op) {
            let Some((all, by_region)) = hists else { continue };
            let by_region = self
                .regions
                .iter()
                .zip(by_region)
                .filter(|(_, h)| !h.is_empty())
                .map(|(name, h)| (name.clone(), quantiles(h)))
                .collect();
            out.insert(
                self.op_names[kind.idx()].clone(),
                OpLatency { all: quantiles(all), by_region },
            );
        }
        out
    }

    fn replication_lag(&self) -> BTreeMap<String, Lag> {
        self.regions
            .iter()
            .enumerate()
            .map(|(ri, name)| {
                let h = &self.lag_hist[ri];
                let lag = Lag {
                    max_ms: if h.is_empty() { 0.0 } else { h.max() as f64 / 1e3 },
                    p99_ms: quantile_ms(h, 0.99),
                    down_s: self.lag_down_samples[ri] as f64
                        * crate::model::SAMPLE_EVERY.as_secs_f64(),
                    series_ms: self.lag[ri].clone(),
                };
                (name.clone(), lag)
            })
            .collect()
    }

    fn error_budget_burn(&self) -> ErrorBudgetBurn {
        let by_region = self
            .regions
            .iter()
            .zip(&self.counts)
            .map(|(name, counts)| {
                let (ok, bad) = counts
                    .iter()
                    .fold((0u64, 0u64), |(o, b), c| (o + c.ok, b + c.failed + c.unknown));
                let burn = if ok + bad == 0 {
                    0.0
                } else {
                    bad as f64 / (ok + bad) as f64 / (1.0 - ERROR_BUDGET_SLO)
                };
                (name.clone(), burn)
            })
            .collect();
        ErrorBudgetBurn { slo: ERROR_BUDGET_SLO, by_region }
    }

    fn blast_radius_summary(&self) -> BlastRadius {
        let (customers, customers_hit) = blast_radius(&self.by_customer, BLAST_ERROR_RATE);
        let cells_active = self.by_cell.iter().filter(|(ok, bad)| ok + bad > 0).count();
        let (customers_named, why) = self.blast_why();
        BlastRadius {
            error_rate_threshold: BLAST_ERROR_RATE,
            customers,
            customers_hit,
            customers_named,
            why,
            cells: self.cells_hit() as f64 / cells_active.max(1) as f64,
            cells_hit: self.cells_hit(),
        }
    }

    fn load(&self) -> Load {
        let queue_depth = self
            .regions
            .iter()
            .zip(&self.queue_depth)
            .map(|(name, s)| (name.clone(), QueueDepth { max: s.max(), series: s.clone() }))
            .collect();
        let queue_oldest_ms = self
            .regions
            .iter()
            .zip(&self.queue_oldest_ms)
            .map(|(n, s)| (n.clone(), s.max()))
            .collect();
        Load {
            offered_per_s: self.offered.clone(),
            goodput_per_s: self.goodput.clone(),
            attempts_per_s: self.attempts_series.clone(),
            retry_amplification_per_s: self.amplification_series(),
            queue_depth,
            queue_oldest_ms,
        }
    }

    fn by_region(&self) -> BTreeMap<String, RegionTimeline> {
        self.regions
            .iter()
            .enumerate()
            .map(|(ri, name)| {
                let timeline = RegionTimeline {
                    ok_per_s: self.ok_per_s[ri].clone(),
                    failed_per_s: self.err_per_s[ri].clone(),
                    error_rate: error_rate(&self.ok_per_s[ri], &self.err_per_s[ri]),
                    latency_p50_ms: self.latency_series(ri, false),
                    latency_p99_ms: self.latency_series(ri, true),
                    writer: band(&self.ownership[ri], &self.regions),
                    routes_writes_to: band(&self.routing[ri], &self.regions),
                };
                (name.clone(), timeline)
            })
            .collect()
    }
}
