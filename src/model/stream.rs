//! The event stream and its workers. Effectful operations publish an event in the same
//! commit as their write (the log is the outbox). Each region has a worker pool; only
//! the writer region's pool consumes, from the log position after its committed
//! consumer offset, which lives in the datastore and so replicates (and lags). Each
//! event's effect is performed in the outside world (the external ledger, observed as
//! `Obs::Effect`). With a worker record in the datastore, a worker first writes a durable
//! record for the operation and performs the effect once the record is as replicated as
//! the design's writes; an event whose record it finds is skipped.

use super::obs::*;
use super::provider::Provider;
use super::store::Store;
use super::types::*;
use super::Out;
use crate::engine::{SimDuration, SimTime};
use crate::scenario::{Design, PoisonPolicy, RegionId, StepKind, WorkerRecord};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// Effects waiting for their record to replicate; past this many the pool stops taking
/// new events until some are released.
const AWAITING_MAX: usize = 10_000;
/// Quarantined poison messages kept for a later retry.
const PARKED_MAX: usize = 10_000;

pub struct Workers {
    pub region: RegionId,
    /// The pool runs (not crashed).
    pub up: bool,
    /// The pool is consuming: its region's store is the writer.
    pub active: bool,
    /// A newly promoted writer's pool waits for the runbook's queue step.
    pub paused: bool,
    /// The last log position processed (in memory; the committed offset is durable).
    pub pos: u64,
    /// The writer epoch the pool activated under.
    epoch: u32,
    since_commit: u32,
    awaiting: VecDeque<(u64, u64)>,
    /// The poison message's log position while a poison fault lasts, and tries so far.
    pub poison: Option<(u64, u32)>,
    poison_active: bool,
    parked: Vec<u64>,
    pub duplicate_probability: f64,
    /// Epoch whose queue step (drain or quarantine) the runbook has already run here.
    released_epoch: u32,
    quarantine_on_activation: bool,
    budget: f64,
}

impl Workers {
    pub fn new(region: RegionId) -> Self {
        Workers {
            region,
            up: true,
            active: false,
            paused: false,
            pos: 0,
            epoch: 0,
            since_commit: 0,
            awaiting: VecDeque::new(),
            poison: None,
            poison_active: false,
            parked: Vec::new(),
            duplicate_probability: 0.0,
            released_epoch: 0,
            quarantine_on_activation: false,
            budget: 0.0,
        }
    }

    /// Whether the pool has nothing left to do: every event its writer holds processed.
    pub fn drained(&self, store: &Store) -> bool {
        !store.primary
            || (self.active
                && !self.paused
                && self.awaiting.is_empty()
                && self.pos >= store.applied_lsn)
    }

    pub fn crash(&mut self) {
        self.up = false;
        self.active = false;
        self.awaiting.clear();
    }

    pub fn restart(&mut self) {
        self.up = true;
    }

    /// The runbook's queue step reached this region.
    #[allow(clippy::too_many_arguments)]
    pub fn release(
        &mut self,
        epoch: u32,
        quarantine: bool,
        store: &mut Store,
        now: SimTime,
        local_us: i64,
        design: &Design,
        out: &mut Out,
    ) {
        self.released_epoch = self.released_epoch.max(epoch);
        if self.active && self.paused {
            self.paused = false;
            if quarantine {
                self.quarantine_backlog(store, now, local_us, design, out);
            }
        } else {
            self.quarantine_on_activation = quarantine;
        }
    }

    fn quarantine_backlog(
        &mut self,
        store: &mut Store,
        now: SimTime,
        local_us: i64,
        design: &Design,
        out: &mut Out,
    ) {
        let skipped =
            store.events_between(self.pos + 1, store.applied_lsn, usize::MAX).len() as u64;
        self.pos = store.applied_lsn;
        out.obs.push(Obs::Quarantined { region: self.region, events: skipped });
        store.commit_internal(now, local_us, design, EntryOp::Offset, self.pos as i64, out);
    }

    /// The poison fault starts: the next event this pool would process fails.
    pub fn poison_next(&mut self, store: &Store) {
        self.poison_active = true;
        self.poison =
            store.events_between(self.pos + 1, store.applied_lsn, 1).first().map(|e| (e.0, 0));
    }

    /// The poison fault heals: the message processes normally, and quarantined ones
    /// are retried.
    pub fn cure(&mut self, out: &mut Out) {
        self.poison_active = false;
        self.poison = None;
        for op_key in std::mem::take(&mut self.parked) {
            out.obs.push(Obs::Effect { region: self.region, op_key });
        }
    }

    /// Rewinds the consumer by `events` events, or to the first entry committed at or
    /// after `to`; it cannot go before the start of the log it still holds.
    pub fn rewind(&mut self, store: &Store, events: Option<u64>, to: Option<SimTime>) {
        let start = store.first_lsn().saturating_sub(1);
        let all = store.events_between(start + 1, store.applied_lsn, usize::MAX);
        let target = match (events, to) {
            (Some(n), _) => {
                let before: Vec<&(u64, u64)> = all.iter().filter(|e| e.0 <= self.pos).collect();
                let k = before.len().saturating_sub(n as usize);
                before.get(k).map_or(start, |e| e.0 - 1)
            }
            (None, Some(t)) => (start + 1..=store.applied_lsn)
                .find(|l| store.commit_at(*l).is_some_and(|c| c >= t))
                .map_or(self.pos, |l| l - 1),
            (None, None) => self.pos,
        };
        self.pos = target.min(self.pos).max(start);
    }

    /// One round of work: activate if this region is the writer, release effects whose
    /// records replicated, then process events within the pool's capacity.
    #[allow(clippy::too_many_arguments)]
    pub fn tick(
        &mut self,
        st: &mut Store,
        provider: &mut Provider,
        now: SimTime,
        local_us: i64,
        design: &Design,
        tick: SimDuration,
        rng: &mut ChaCha8Rng,
        out: &mut Out,
    ) {
        if !design.stream.side_effects || !self.up || !st.up {
            return;
        }
        if !st.primary || !st.ready {
            self.active = false;
            return;
        }
        // Workers write through the store (offsets, records): where a client write would
        // be refused (no lease, stopped by the runbook), they wait.
        if !st.writable(local_us, design) {
            return;
        }
        if !self.active || self.epoch != st.epoch {
            self.activate(st, now, local_us, design, out);
        }
        if self.paused {
            return;
        }
        while let Some(&(mark, op_key)) = self.awaiting.front() {
            if !st.replicated(mark, design) {
                break;
            }
            // The record is written; the call may still fail, and is then made again.
            let call = provider.call(op_key, false, now, rng);
            if call.performed {
                out.obs.push(Obs::Effect { region: self.region, op_key });
            }
            if !call.answered {
                return;
            }
            self.awaiting.pop_front();
        }
        // A slow provider holds each worker longer: fewer calls get through.
        let rate = design.stream.effects_per_s * provider.pace();
        self.budget = (self.budget + rate * tick.as_secs_f64()).min(rate);
        // Only events as replicated as an acknowledged write are consumed, so no effect
        // follows a write that a failover could still discard (in async mode, all are).
        let hw = st.high_watermark(design);
        let events = st.events_between(self.pos + 1, hw, self.budget.floor() as usize);
        let scanned_all = events.len() < self.budget.floor() as usize;
        for (lsn, op_key) in events {
            if self.awaiting.len() >= AWAITING_MAX
                || !self.process(st, provider, lsn, op_key, now, local_us, design, rng, out)
            {
                return;
            }
            self.budget -= 1.0;
        }
        if scanned_all && self.poison.is_none() {
            self.pos = self.pos.max(hw);
        }
    }

    fn activate(
        &mut self,
        st: &mut Store,
        now: SimTime,
        local_us: i64,
        design: &Design,
        out: &mut Out,
    ) {
        self.active = true;
        self.epoch = st.epoch;
        // A pool that takes over starts from the committed offset its store holds,
        // which lags the old writer's by however much replication lagged.
        self.pos = st.consumer_offset;
        self.since_commit = 0;
        self.awaiting.clear();
        let queue_step = design
            .runbook
            .iter()
            .any(|s| matches!(s.kind, StepKind::DrainQueues | StepKind::QuarantineQueues));
        self.paused = st.epoch > 1 && queue_step && self.released_epoch < st.epoch;
        out.obs.push(Obs::WorkersStart {
            region: self.region,
            from: self.pos,
            paused: self.paused,
        });
        if !self.paused && self.quarantine_on_activation {
            self.quarantine_on_activation = false;
            self.quarantine_backlog(st, now, local_us, design, out);
        }
    }

    /// Processes one event; returns false when the pool is stuck on it.
    #[allow(clippy::too_many_arguments)]
    fn process(
        &mut self,
        store: &mut Store,
        provider: &mut Provider,
        lsn: u64,
        op_key: u64,
        now: SimTime,
        local_us: i64,
        design: &Design,
        rng: &mut ChaCha8Rng,
        out: &mut Out,
    ) -> bool {
        if let Some((p, tries)) = self.poison {
            if p == lsn && self.poison_active {
                match design.stream.poison {
                    PoisonPolicy::RetryForever => {
                        self.poison = Some((p, tries + 1));
                        return false;
                    }
                    PoisonPolicy::DeadLetter { after } => {
                        if tries + 1 < after {
                            self.poison = Some((p, tries + 1));
                            return false;
                        }
                        out.obs.push(Obs::DeadLettered { region: self.region, op_key });
                    }
                    PoisonPolicy::Quarantine => {
                        if self.parked.len() < PARKED_MAX {
                            self.parked.push(op_key);
                        }
                    }
                }
                self.poison = None;
                self.advance(store, lsn, now, local_us, design, out);
                return true;
            }
        }
        let deliveries = if self.duplicate_probability > 0.0
            && rng.gen_bool(self.duplicate_probability.min(1.0))
        {
            2
        } else {
            1
        };
        for _ in 0..deliveries {
            // A call without an answer leaves the pool on this event: it calls again.
            if !self.deliver(store, provider, op_key, now, local_us, design, rng, out) {
                return false;
            }
        }
        self.advance(store, lsn, now, local_us, design, out);
        true
    }

    /// One delivery of an event to a worker: with a record, check it first. False when
    /// the worker called the provider and heard no success.
    #[allow(clippy::too_many_arguments)]
    fn deliver(
        &mut self,
        store: &mut Store,
        provider: &mut Provider,
        op_key: u64,
        now: SimTime,
        local_us: i64,
        design: &Design,
        rng: &mut ChaCha8Rng,
        out: &mut Out,
    ) -> bool {
        let keyed = match design.stream.worker_record {
            WorkerRecord::None => false,
            // The provider remembers keys; a key it has seen changes nothing.
            WorkerRecord::ProviderKey => true,
            WorkerRecord::Datastore => {
                let (at, local) = (now, local_us);
                return self.record_then_call(store, provider, op_key, at, local, design, rng, out);
            }
        };
        let call = provider.call(op_key, keyed, now, rng);
        if call.performed {
            out.obs.push(Obs::Effect { region: self.region, op_key });
        }
        call.answered
    }

    /// With a record in the datastore: skip an event whose record exists, else write
    /// the record; the call follows once the record is as replicated as the design's
    /// writes (see `tick`).
    #[allow(clippy::too_many_arguments)]
    fn record_then_call(
        &mut self,
        store: &mut Store,
        provider: &mut Provider,
        op_key: u64,
        now: SimTime,
        local_us: i64,
        design: &Design,
        rng: &mut ChaCha8Rng,
        out: &mut Out,
    ) -> bool {
        if store.records.get(EFFECT_RECORD_BIT | op_key).is_some() {
            return true;
        }
        let mark = store.commit_internal(now, local_us, design, EntryOp::Mark, op_key as i64, out);
        if !store.replicated(mark.lsn, design) {
            self.awaiting.push_back((mark.lsn, op_key));
            return true;
        }
        let call = provider.call(op_key, false, now, rng);
        if call.performed {
            out.obs.push(Obs::Effect { region: self.region, op_key });
        }
        // The record is written: a call without an answer is made again from `awaiting`.
        if !call.answered {
            self.awaiting.push_back((mark.lsn, op_key));
        }
        true
    }

    fn advance(
        &mut self,
        store: &mut Store,
        lsn: u64,
        now: SimTime,
        local_us: i64,
        design: &Design,
        out: &mut Out,
    ) {
        self.pos = self.pos.max(lsn);
        self.since_commit += 1;
        if self.since_commit >= design.stream.offset_commit_every {
            self.since_commit = 0;
            store.commit_internal(now, local_us, design, EntryOp::Offset, self.pos as i64, out);
        }
    }
}
