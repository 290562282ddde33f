//! Metrics: availability per region and operation kind, client latency including
//! retries, retry amplification, replication lag over time, and write RTO after each
//! promotion. Fed by the same observations as the checkers, and by periodic samples.
//! Memory is bounded: histograms have fixed size and series are downsampled.
//!
//! `Metrics` gathers during the run; `report` turns it into the typed `Summary`
//! (`summary`) that `summary.json` and every report read; `paths` names and resolves
//! the summary's figures by dot path, as `expect.metrics` does; `series` holds the
//! bounded time series. Metrics never feed anything back into the model.

use crate::engine::SimTime;
use crate::model::obs::{GuardState, Obs};
use crate::model::World;
use crate::scenario::{OpKind, Scenario};
use hdrhistogram::Histogram;

mod blast;
mod paths;
mod report;
mod series;
mod summary;

pub use paths::metric_paths;
pub use series::{Series, SERIES_POINTS_MAX};
pub use summary::{
    BandSpan, BlastRadius, Conflicts, ErrorBudgetBurn, KindAvailability, Lag, Latencies,
    LatencyQuantiles, Load, Promotion, QueueDepth, RegionTimeline, RunbookStep, Summary,
};

/// The availability objective error-budget burn is measured against: a burn of 1 spends
/// the budget exactly; 10 spends it ten times as fast.
pub const ERROR_BUDGET_SLO: f64 = 0.999;

/// Error rate above which a customer or cell counts as hit, for blast radius.
pub const BLAST_ERROR_RATE: f64 = 0.1;

/// The share of those with any requests whose error rate exceeded `threshold`.
pub fn blast_radius(counts: &[(u64, u64)], threshold: f64) -> (f64, usize) {
    let active: Vec<&(u64, u64)> = counts.iter().filter(|(ok, bad)| ok + bad > 0).collect();
    let hit = active.iter().filter(|(ok, bad)| *bad as f64 > threshold * (ok + bad) as f64).count();
    (if active.is_empty() { 0.0 } else { hit as f64 / active.len() as f64 }, hit)
}

fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds")
}

#[derive(Clone, Copy, Default)]
struct Counts {
    ok: u64,
    failed: u64,
    unknown: u64,
}

/// A promotion as it is being followed: its write RTO is known at the first write
/// acknowledged under its epoch.
struct PromotionTrack {
    epoch: u32,
    at: SimTime,
    region: String,
    by: crate::model::obs::Grantor,
    detected_at: Option<SimTime>,
    last_write_before: Option<SimTime>,
    rto_us: Option<u64>,
}

/// One operation kind's latency: over every client region, and per client region.
type KindLatency = (Histogram<u64>, Vec<Histogram<u64>>);

pub struct Metrics {
    regions: Vec<String>,
    /// What outputs call each operation kind (its label, if the workload gave one).
    op_names: Vec<String>,
    counts: Vec<[Counts; OpKind::COUNT]>,
    latency: Vec<Histogram<u64>>,
    latency_all: Histogram<u64>,
    /// Per operation kind, over every client region and per client region (made when
    /// the kind first completes).
    latency_by_op: Vec<Option<KindLatency>>,
    /// Consensus: from a leader taking a write to a majority holding it, and (commit
    /// wait) from then to its being shown.
    quorum_wait: Option<Histogram<u64>>,
    /// `async_fallback_ms`: per region, since when its primary is fallen back; the
    /// totals so far.
    fallback_since: Vec<Option<SimTime>>,
    fallback: Option<summary::AsyncFallback>,
    /// The time of the latest observation.
    last_seen: SimTime,
    commit_wait: Option<Histogram<u64>>,
    ops: u64,
    attempts: u64,
    /// Operations that sent at least one attempt.
    attempted_ops: u64,
    lag: Vec<Series>,
    lag_hist: Vec<Histogram<u64>>,
    /// Per region, the samples taken while its replica was down.
    lag_down_samples: Vec<u64>,
    last_write_ack: Option<SimTime>,
    promotions: Vec<PromotionTrack>,
    log_entries_peak: usize,
    /// Per second: operations offered, completed successfully, and attempts reaching a
    /// region (retry amplification over time).
    offered: Series,
    goodput: Series,
    attempts_series: Series,
    /// Per region: deepest cell queue and its oldest wait (ms), sampled.
    queue_depth: Vec<Series>,
    queue_oldest_ms: Vec<Series>,
    /// Per customer and per (region, cell): requests that succeeded and failed.
    by_customer: Vec<(u64, u64)>,
    by_cell: Vec<(u64, u64)>,
    /// A cell that lost servers to crashes counts as hit, whatever its error rate.
    cell_crashed: Vec<bool>,
    cells_per_region: usize,
    /// How customers map to cells, and cells per region (with an application tier).
    isolation: Option<(crate::scenario::Isolation, u32)>,
    brownout_started: Option<SimTime>,
    detected: Option<crate::engine::SimDuration>,
    /// Breaker state over time per "client->target" (0 closed, 1 half-open, 2 open).
    breakers: Vec<(String, Series)>,
    breaker_transitions: u64,
    /// Active-active conflict resolutions: writes superseded unobserved, remote
    /// updates merged, conditional writes refused.
    superseded: u64,
    merged: u64,
    snapshots: u64,
    conflicts_rejected: u64,
    /// Runbook steps as `(step, started, ended)`, at most `RUNBOOK_STEPS_MAX`.
    runbook: Vec<(&'static str, SimTime, Option<SimTime>)>,
    /// Per client region, per second: operations that succeeded, and that failed or
    /// ended indeterminate.
    ok_per_s: Vec<Series>,
    err_per_s: Vec<Series>,
    /// Per client region: latency p50 and p99 of each second's successes, and the
    /// histogram of the second in progress (its start in µs).
    lat_p50: Vec<Series>,
    lat_p99: Vec<Series>,
    lat_window: Vec<(u64, Histogram<u64>)>,
    /// Per region: when its store believed it was the writer, and in which epoch.
    ownership: Vec<Vec<Segment>>,
    /// Per client region: where its router sent writes, and the epoch it had learned.
    routing: Vec<Vec<Segment>>,
    /// Whether `ownership` holds the initial roles yet (read from the first sample).
    roles_seen: bool,
}

/// A span of a timeline band: from, until (`None`: still open), epoch, and a region
/// (the routing target; the region itself for ownership).
#[derive(Clone, Copy, Debug)]
struct Segment {
    from: SimTime,
    until: Option<SimTime>,
    epoch: u32,
    region: usize,
}

/// Segments kept per band; a run changing roles more often keeps the first ones.
const SEGMENTS_MAX: usize = 256;

/// Closes the open segment of `band` at `now` and, when `next` is set, opens it.
fn band_switch(band: &mut Vec<Segment>, now: SimTime, next: Option<(u32, usize)>) {
    if let Some(last) = band.last_mut().filter(|s| s.until.is_none()) {
        if next.is_some_and(|(e, r)| e == last.epoch && r == last.region) {
            return;
        }
        last.until = Some(now);
    }
    if let Some((epoch, region)) = next {
        if band.len() < SEGMENTS_MAX {
            band.push(Segment { from: now, until: None, epoch, region });
        }
    }
}

/// Latency window width for the per-region p50/p99 series.
const LATENCY_WINDOW_US: u64 = 1_000_000;

fn window_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("valid bounds")
}

/// `(p50, p99)` in ms of a window, if it saw anything.
fn window_quantiles(hist: &Histogram<u64>) -> Option<(f64, f64)> {
    (!hist.is_empty()).then(|| {
        (hist.value_at_quantile(0.5) as f64 / 1e3, hist.value_at_quantile(0.99) as f64 / 1e3)
    })
}

/// Runbook steps recorded per run; a run promoting more often keeps the first ones.
const RUNBOOK_STEPS_MAX: usize = 256;

impl Metrics {
    pub fn new(scenario: &Scenario) -> Self {
        let n = scenario.regions.len();
        Metrics {
            regions: scenario.regions.iter().map(|r| r.name.clone()).collect(),
            op_names: OpKind::ALL
                .iter()
                .map(|k| scenario.workload.op_name(*k).to_string())
                .collect(),
            counts: vec![[Counts::default(); OpKind::COUNT]; n],
            latency: (0..n).map(|_| hist()).collect(),
            latency_all: hist(),
            latency_by_op: (0..OpKind::COUNT).map(|_| None).collect(),
            quorum_wait: scenario.design.consensus.as_ref().map(|_| hist()),
            fallback_since: vec![None; n],
            last_seen: SimTime::ZERO,
            fallback: scenario.design.async_fallback.map(|_| summary::AsyncFallback::default()),
            commit_wait: scenario
                .design
                .consensus
                .as_ref()
                .and_then(|c| c.commit_wait)
                .map(|_| hist()),
            ops: 0,
            attempts: 0,
            attempted_ops: 0,
            lag: (0..n).map(|_| Series::new(100_000)).collect(),
            lag_hist: (0..n).map(|_| hist()).collect(),
            lag_down_samples: vec![0; n],
            last_write_ack: None,
            promotions: Vec::new(),
            log_entries_peak: 0,
            offered: Series::counts(1_000_000),
            goodput: Series::counts(1_000_000),
            attempts_series: Series::counts(1_000_000),
            queue_depth: (0..n).map(|_| Series::new(100_000)).collect(),
            by_customer: vec![(0, 0); scenario.workload.customers as usize],
            by_cell: vec![
                (0, 0);
                n * scenario.design.capacity.as_ref().map_or(0, |c| c.cells as usize)
            ],
            cell_crashed: vec![
                false;
                n * scenario.design.capacity.as_ref().map_or(0, |c| c.cells as usize)
            ],
            brownout_started: None,
            detected: None,
            breakers: Vec::new(),
            breaker_transitions: 0,
            cells_per_region: scenario.design.capacity.as_ref().map_or(0, |c| c.cells as usize),
            isolation: scenario.design.capacity.as_ref().map(|c| (c.isolation, c.cells)),
            queue_oldest_ms: (0..n).map(|_| Series::new(100_000)).collect(),
            superseded: 0,
            merged: 0,
            snapshots: 0,
            conflicts_rejected: 0,
            runbook: Vec::new(),
            ok_per_s: (0..n).map(|_| Series::counts(1_000_000)).collect(),
            err_per_s: (0..n).map(|_| Series::counts(1_000_000)).collect(),
            lat_p50: (0..n).map(|_| Series::new(LATENCY_WINDOW_US)).collect(),
            lat_p99: (0..n).map(|_| Series::new(LATENCY_WINDOW_US)).collect(),
            lat_window: (0..n).map(|_| (0, window_hist())).collect(),
            ownership: vec![Vec::new(); n],
            routing: (0..n)
                .map(|_| {
                    vec![Segment {
                        from: SimTime(0),
                        until: None,
                        epoch: 1,
                        region: scenario.primary().idx(),
                    }]
                })
                .collect(),
            roles_seen: false,
        }
    }

    /// Records a success's latency in its region's current window, first closing the
    /// window when `now` is past it.
    fn window_latency(&mut self, r: usize, now: SimTime, lat_us: u64) {
        let (start, h) = &mut self.lat_window[r];
        let bucket = now.as_us() / LATENCY_WINDOW_US * LATENCY_WINDOW_US;
        if bucket != *start {
            if let Some((p50, p99)) = window_quantiles(h) {
                self.lat_p50[r].push(SimTime(*start), p50);
                self.lat_p99[r].push(SimTime(*start), p99);
            }
            h.reset();
            *start = bucket;
        }
        let _ = h.record(lat_us);
    }

    /// A latency series with the window in progress appended.
    fn latency_series(&self, r: usize, p99: bool) -> Series {
        let mut s = if p99 { self.lat_p99[r].clone() } else { self.lat_p50[r].clone() };
        let (start, h) = &self.lat_window[r];
        if let Some((p50, q99)) = window_quantiles(h) {
            s.push(SimTime(*start), if p99 { q99 } else { p50 });
        }
        s
    }

    pub fn observe(&mut self, obs: &Obs, world: &World) {
        if is_final_read(obs, world) {
            return;
        }
        self.guard(obs, world);
        self.last_seen = world.now;
        match obs {
            Obs::Invoke { .. } => {
                self.ops += 1;
                self.offered.push(world.now, 1.0);
            }
            Obs::Attempt { .. } => {
                self.attempts_series.push(world.now, 1.0);
            }
            Obs::Sent { first } => {
                self.attempts += 1;
                self.attempted_ops += u64::from(*first);
            }
            Obs::Served { region, cell, ok, crashed, .. } => {
                let i = region.idx() * self.cells_per_region + *cell as usize;
                let counts = &mut self.by_cell[i];
                *(if *ok { &mut counts.0 } else { &mut counts.1 }) += 1;
                self.cell_crashed[i] |= *crashed;
            }
            Obs::Complete { .. } => self.complete(obs, world.now),
            Obs::RunbookStep { .. } => self.runbook_step(obs, world.now),
            Obs::Commit { .. } | Obs::Shown { .. } => {
                self.commit_latency(obs, world.now);
                self.fallback(obs, world.now);
            }
            Obs::SyncFallback { .. } => self.fallback(obs, world.now),
            Obs::Superseded { .. } => self.superseded += 1,
            Obs::SnapshotSent { .. } => self.snapshots += 1,
            Obs::Merged { .. } => self.merged += 1,
            Obs::ConflictRejected { .. } => self.conflicts_rejected += 1,
            Obs::Indeterminate { kind, region, op_key, .. } => {
                let customers = self.by_customer.len() as u32;
                let cust = crate::model::client::customer_of(*op_key, customers) as usize;
                self.by_customer[cust].1 += 1;
                self.counts[region.idx()][kind.idx()].unknown += 1;
                self.err_per_s[region.idx()].push(world.now, 1.0);
            }
            Obs::RoleChange { region, primary, epoch } => {
                let r = region.idx();
                band_switch(&mut self.ownership[r], world.now, primary.then_some((*epoch, r)));
            }
            Obs::RoutingChanged { region, writer, epoch } => {
                band_switch(
                    &mut self.routing[region.idx()],
                    world.now,
                    Some((*epoch, writer.idx())),
                );
            }
            Obs::EpochGranted { epoch, region, by, detected_at, .. } => {
                self.promotions.push(PromotionTrack {
                    epoch: *epoch,
                    at: world.now,
                    region: world.scenario.region_name(*region).to_string(),
                    by: *by,
                    detected_at: *detected_at,
                    last_write_before: self.last_write_ack,
                    rto_us: None,
                })
            }
            _ => {}
        }
    }

    /// `async_fallback_ms`: periods, their time, and the writes acknowledged in them.
    fn fallback(&mut self, obs: &Obs, now: SimTime) {
        let Some(f) = &mut self.fallback else { return };
        match obs {
            Obs::SyncFallback { region, on: true, released, .. } => {
                f.periods += 1;
                f.writes += u64::from(*released);
                self.fallback_since[region.idx()] = Some(now);
            }
            Obs::SyncFallback { region, on: false, .. } => {
                if let Some(since) = self.fallback_since[region.idx()].take() {
                    f.seconds += now.since(since).as_secs_f64();
                }
            }
            Obs::Commit { region, entry, .. }
                if self.fallback_since[region.idx()].is_some() && !entry.write().is_none() =>
            {
                f.writes += 1;
            }
            _ => {}
        }
    }

    /// Consensus: a write's wait for its majority (seen at its commit) and, with commit
    /// wait, for its uncertainty (seen when it is shown).
    fn commit_latency(&mut self, obs: &Obs, now: SimTime) {
        match obs {
            Obs::Commit { entry, .. } if !entry.write().is_none() => {
                if let Some(h) = &mut self.quorum_wait {
                    let _ = h.record(now.since(entry.commit_at).as_us().max(1));
                }
            }
            Obs::Shown { waited, .. } => {
                if let Some(h) = &mut self.commit_wait {
                    let _ = h.record(waited.as_us().max(1));
                }
            }
            _ => {}
        }
    }

    /// A runbook step starts or ends.
    fn runbook_step(&mut self, obs: &Obs, now: SimTime) {
        match obs {
            Obs::RunbookStep { step, start: true } if self.runbook.len() < RUNBOOK_STEPS_MAX => {
                self.runbook.push((step.name(), now, None));
            }
            Obs::RunbookStep { step, start: false } => {
                if let Some(r) =
                    self.runbook.iter_mut().rev().find(|r| r.0 == step.name() && r.2.is_none())
                {
                    r.2 = Some(now);
                }
            }
            _ => {}
        }
    }

    /// A completed operation: goodput, latency, per-customer and per-kind counts, and
    /// the recovery time of every promotion still waiting for its first write.
    fn complete(&mut self, obs: &Obs, now: SimTime) {
        let Obs::Complete { kind, region, ok, version, invoked_at, op_key, .. } = obs else {
            return;
        };
        let cust =
            crate::model::client::customer_of(*op_key, self.by_customer.len() as u32) as usize;
        if *ok {
            self.by_customer[cust].0 += 1;
        } else {
            self.by_customer[cust].1 += 1;
        }
        let c = &mut self.counts[region.idx()][kind.idx()];
        if *ok {
            self.goodput.push(now, 1.0);
            c.ok += 1;
            let lat = now.since(*invoked_at).as_us().max(1);
            let _ = self.latency[region.idx()].record(lat);
            let _ = self.latency_all.record(lat);
            let regions = self.regions.len();
            let (all, by_region) = self.latency_by_op[kind.idx()]
                .get_or_insert_with(|| (hist(), (0..regions).map(|_| hist()).collect()));
            let _ = all.record(lat);
            let _ = by_region[region.idx()].record(lat);
            self.ok_per_s[region.idx()].push(now, 1.0);
            self.window_latency(region.idx(), now, lat);
        } else {
            c.failed += 1;
            self.err_per_s[region.idx()].push(now, 1.0);
        }
        if let Some(v) = version {
            self.last_write_ack = Some(now);
            for p in &mut self.promotions {
                if p.rto_us.is_none() && v.epoch >= p.epoch {
                    let from = p.last_write_before.unwrap_or(p.at);
                    p.rto_us = Some(now.since(from).as_us());
                }
            }
        }
    }

    /// When the drill's latest brownout began, and how long until a client region's
    /// detector first marked the region degraded.
    fn guard(&mut self, obs: &Obs, world: &World) {
        match obs {
            Obs::FaultStarted { index } => {
                if matches!(
                    world.scenario.faults[*index].kind,
                    crate::scenario::FaultKind::RegionBrownout { .. }
                ) {
                    self.brownout_started = Some(world.now);
                    self.detected = None;
                }
            }
            Obs::Guard { region, target, state } => {
                if *state == (GuardState::Detector { degraded: true }) && self.detected.is_none() {
                    if let Some(b) = self.brownout_started {
                        self.detected = Some(world.now.since(b));
                    }
                }
                if let GuardState::Breaker(phase) = state {
                    let level = phase.level();
                    let key = format!(
                        "{}->{}",
                        world.scenario.region_name(*region),
                        world.scenario.region_name(*target)
                    );
                    let series = match self.breakers.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, s)) => s,
                        None => {
                            self.breakers.push((key, Series::new(100_000)));
                            &mut self.breakers.last_mut().expect("just pushed").1
                        }
                    };
                    series.push(world.now, level);
                    self.breaker_transitions += 1;
                }
            }
            _ => {}
        }
    }

    /// Attempts per offered operation, second by second (the two series share buckets
    /// while neither has been downsampled; otherwise the attempts' own buckets are used).
    fn amplification_series(&self) -> Vec<(u64, f64)> {
        self.attempts_series
            .points
            .iter()
            .filter_map(|(t, a)| {
                let o = self.offered.points.iter().find(|(to, _)| to == t)?.1;
                (o > 0.0).then_some((*t, a / o))
            })
            .collect()
    }

    /// Cells that crashed, or failed more than the threshold of what they served.
    fn cells_hit(&self) -> usize {
        self.by_cell
            .iter()
            .zip(&self.cell_crashed)
            .filter(|((ok, bad), crashed)| {
                **crashed || *bad as f64 > BLAST_ERROR_RATE * (ok + bad) as f64
            })
            .count()
    }

    pub fn sample(&mut self, world: &World) {
        if !self.roles_seen {
            self.roles_seen = true;
            for (r, st) in world.stores.iter().enumerate() {
                if st.primary && self.ownership[r].is_empty() {
                    band_switch(&mut self.ownership[r], SimTime(0), Some((st.epoch, r)));
                }
            }
        }
        for r in world.scenario.region_ids() {
            // A replica that is down has no lag to speak of: it is down (and its
            // series has a gap there).
            if world.stores[r.idx()].up {
                let lag = world.true_lag_us(r);
                self.lag[r.idx()].push(world.now, lag as f64 / 1e3);
                let _ = self.lag_hist[r.idx()].record(lag.max(1));
            } else {
                self.lag_down_samples[r.idx()] += 1;
            }
            self.log_entries_peak = self.log_entries_peak.max(world.stores[r.idx()].log_len());
            if let Some(tier) = world.regions.tiers.get(r.idx()) {
                let (depth, oldest) = tier.depth(world.now);
                self.queue_depth[r.idx()].push(world.now, depth as f64);
                self.queue_oldest_ms[r.idx()].push(world.now, oldest.as_ms_f64());
            }
        }
    }
}

/// The final reads check the end state; they are not load.
fn is_final_read(obs: &Obs, world: &World) -> bool {
    matches!(world.phase, crate::model::Phase::FinalReads { .. } | crate::model::Phase::Done)
        && matches!(
            obs,
            Obs::Invoke { .. } | Obs::Complete { .. } | Obs::Attempt { .. } | Obs::Sent { .. }
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blast_radius_counts_those_over_the_threshold() {
        // Four customers with requests: 0% , 5%, 20% and 100% errors; one idle.
        let counts = [(100, 0), (95, 5), (80, 20), (0, 3), (0, 0)];
        assert_eq!(blast_radius(&counts, 0.1), (0.5, 2));
        assert_eq!(blast_radius(&counts, 0.01), (0.75, 3));
        assert_eq!(blast_radius(&[], 0.1), (0.0, 0));
    }
}
