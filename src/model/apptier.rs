//! The application tier of a region: cells of servers, each cell with a bounded FIFO
//! queue, in front of the datastore. A request waits for a free server, occupies it for
//! a service time drawn from the design's distribution, and only then reaches the
//! store. Queueing delay, saturation, timeouts and goodput collapse come out of this,
//! not from formulas. A brownout slows service, removes servers and fails a share of
//! requests; with deadline propagation a server drops work its client gave up on.

use super::types::*;
use crate::engine::{SimDuration, SimTime};
use crate::scenario::{Capacity, Dist, Isolation};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

#[derive(Default)]
pub struct CellQueue {
    pub busy: u32,
    pub queue: VecDeque<Job>,
    /// Crashed servers, by the time each is back.
    pub down: VecDeque<SimTime>,
}

/// A brownout's state: full strength after `ramp` from `start`.
#[derive(Clone, Copy, Debug)]
pub struct Brownout {
    pub latency_factor: f64,
    pub capacity_factor: f64,
    pub error_rate: f64,
    pub start: SimTime,
    pub ramp: SimDuration,
}

impl Brownout {
    fn strength(&self, now: SimTime) -> f64 {
        if self.ramp == SimDuration::ZERO {
            1.0
        } else {
            (now.since(self.start).as_us() as f64 / self.ramp.as_us() as f64).min(1.0)
        }
    }
    pub fn latency(&self, now: SimTime) -> f64 {
        1.0 + (self.latency_factor - 1.0) * self.strength(now)
    }
    pub fn capacity(&self, now: SimTime) -> f64 {
        1.0 - (1.0 - self.capacity_factor) * self.strength(now)
    }
    pub fn errors(&self, now: SimTime) -> f64 {
        self.error_rate * self.strength(now)
    }
}

pub struct AppTier {
    pub cells: Vec<CellQueue>,
    /// The rate limiter's tokens and when they were last topped up.
    tokens: f64,
    refilled: SimTime,
    pub brownout: Option<Brownout>,
    /// Work dropped because its deadline had passed before a server took it.
    pub dropped: u64,
    /// How many times the region has gone down. A service completion carries the
    /// number it started under, so work that died with the region cannot finish later.
    pub incarnation: u32,
}

impl AppTier {
    pub fn new(capacity: &Capacity) -> Self {
        AppTier {
            cells: (0..capacity.cells).map(|_| CellQueue::default()).collect(),
            tokens: capacity.rate_limit_per_s.unwrap_or(0.0),
            refilled: SimTime::ZERO,
            brownout: None,
            dropped: 0,
            incarnation: 0,
        }
    }

    /// Servers a cell has now: a brownout can take some away, and crashed ones are
    /// gone until they restart.
    pub fn servers(&mut self, capacity: &Capacity, cell: usize, now: SimTime) -> u32 {
        let down = &mut self.cells[cell].down;
        while down.front().is_some_and(|t| *t <= now) {
            down.pop_front();
        }
        let f = self.brownout.map_or(1.0, |b| b.capacity(now));
        ((f64::from(capacity.servers) * f).floor() as u32).saturating_sub(down.len() as u32)
    }

    /// The cells a customer may use: all (shared), one (cells), or its shuffle shard.
    pub fn cells_of(&self, capacity: &Capacity, customer: u32) -> Vec<usize> {
        let n = self.cells.len();
        match capacity.isolation {
            Isolation::Shared => (0..n).collect(),
            Isolation::Cells => vec![customer as usize % n],
            Isolation::ShuffleShard { shard_size } => shard(customer, n, shard_size as usize),
        }
    }

    /// The cell a request goes to: among those its customer may use, the one with the
    /// most free servers, then the shortest queue.
    pub fn cell_of(&mut self, capacity: &Capacity, meta: &ReqMeta, now: SimTime) -> usize {
        let options = self.cells_of(capacity, meta.customer);
        let mut best = options[0];
        let mut best_key = (i64::MIN, i64::MIN);
        for cell in options {
            let free =
                i64::from(self.servers(capacity, cell, now)) - i64::from(self.cells[cell].busy);
            let key = (free.max(0), -(self.cells[cell].queue.len() as i64));
            if key > best_key {
                best = cell;
                best_key = key;
            }
        }
        best
    }

    /// A server crashed on a poison request; it is back at `back`.
    pub fn crash(&mut self, cell: usize, back: SimTime) {
        let q = &mut self.cells[cell];
        q.busy = q.busy.saturating_sub(1);
        q.down.push_back(back);
    }

    /// The region went down, and its servers with it. A real outage (power, network
    /// isolation, a failed deployment taking every host) ends the processes: requests
    /// being served and requests queued are lost from memory, and their clients hear
    /// nothing, so they time out and retry elsewhere or fail. When the region comes back
    /// its servers start fresh: all of them free and idle, including any a poison
    /// request had crashed.
    pub fn region_down(&mut self) {
        self.incarnation += 1;
        for q in &mut self.cells {
            q.busy = 0;
            q.queue.clear();
            q.down.clear();
        }
    }

    /// Queues a request, or returns it when the region's rate limit or the cell's queue
    /// is full.
    pub fn admit(&mut self, capacity: &Capacity, job: Job, now: SimTime) -> Result<usize, Job> {
        if let Some(rate) = capacity.rate_limit_per_s {
            self.tokens = (self.tokens + rate * now.since(self.refilled).as_secs_f64()).min(rate);
            self.refilled = now;
            if self.tokens < 1.0 {
                return Err(job);
            }
            self.tokens -= 1.0;
        }
        let cell = self.cell_of(capacity, &job.meta, now);
        let q = &mut self.cells[cell];
        if q.queue.len() >= capacity.queue_max as usize {
            return Err(job);
        }
        q.queue.push_back(job);
        Ok(cell)
    }

    /// Starts queued jobs on free servers; returns `(job, service time)` for each.
    pub fn start(
        &mut self,
        capacity: &Capacity,
        cell: usize,
        now: SimTime,
        rng: &mut ChaCha8Rng,
    ) -> Vec<(Job, SimDuration)> {
        let servers = self.servers(capacity, cell, now);
        let slow = self.brownout.map_or(1.0, |b| b.latency(now));
        let mut started = Vec::new();
        while self.cells[cell].busy < servers {
            let Some(job) = self.cells[cell].queue.pop_front() else { break };
            if capacity.deadline_propagation && now > job.meta.deadline {
                self.dropped += 1;
                continue;
            }
            self.cells[cell].busy += 1;
            let base = draw(capacity.service[job.meta.kind.idx()], rng);
            started.push((job, SimDuration((base.as_us() as f64 * slow).round().max(1.0) as u64)));
        }
        started
    }

    /// A server finished; whether the brownout makes this request fail.
    pub fn finish(&mut self, cell: usize, now: SimTime, rng: &mut ChaCha8Rng) -> bool {
        debug_assert!(self.cells[cell].busy > 0, "a server finished that was not busy");
        self.cells[cell].busy = self.cells[cell].busy.saturating_sub(1);
        let p = self.brownout.map_or(0.0, |b| b.errors(now));
        p > 0.0 && rng.gen_bool(p.min(1.0))
    }

    /// Deepest queue of the region's cells, and how long its oldest job has waited.
    pub fn depth(&self, now: SimTime) -> (usize, SimDuration) {
        let depth = self.cells.iter().map(|c| c.queue.len()).max().unwrap_or(0);
        let oldest = self
            .cells
            .iter()
            .filter_map(|c| c.queue.front())
            .map(|j| now.since(j.enqueued_at))
            .max()
            .unwrap_or_default();
        (depth, oldest)
    }
}

/// A customer's shuffle shard: `k` distinct cells of `n`, from a fixed hash.
pub fn shard(customer: u32, n: usize, k: usize) -> Vec<usize> {
    let mut cells = Vec::with_capacity(k);
    let mut x = u64::from(customer).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xdead_beef;
    while cells.len() < k.min(n) {
        x = (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= x >> 32;
        let c = (x % n as u64) as usize;
        if !cells.contains(&c) {
            cells.push(c);
        }
    }
    cells
}

/// Draws a service time.
pub fn draw(d: Dist, rng: &mut ChaCha8Rng) -> SimDuration {
    let us = match d {
        Dist::Constant { mean } => mean.as_us() as f64,
        Dist::Exponential { mean } => {
            let u: f64 = rng.gen_range(f64::EPSILON..1.0);
            -u.ln() * mean.as_us() as f64
        }
        Dist::Lognormal { mean, sigma } => {
            // Box-Muller for a standard normal; mu chosen so the mean is `mean`.
            let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
            let u2: f64 = rng.gen_range(0.0..1.0);
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            let mu = (mean.as_us() as f64).ln() - sigma * sigma / 2.0;
            (mu + sigma * z).exp()
        }
    };
    SimDuration(us.round().clamp(1.0, 3.6e9) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;
    use crate::scenario::{OpKind, ReadClass, RegionId};

    fn capacity() -> Capacity {
        let text = r#"{"version": 1, "name": "t", "regions": [{"name": "a", "role": "primary"}],
            "design": {"capacity": {"servers": 2, "restart_ms": 60000}}}"#;
        let s = crate::scenario::from_str("t.json", text).expect("valid");
        s.design.capacity.clone().expect("capacity")
    }

    fn job(slot: u32) -> Job {
        let m = ReqMeta {
            op: OpId { slot, gen: 0 },
            attempt: 1,
            token: 1,
            op_key: u64::from(slot),
            idem: false,
            effect: false,
            kind: OpKind::RegisterRead,
            deadline: SimTime(1_000_000),
            customer: 0,
        };
        let req = Req::Read { key: 0, class: ReadClass::Eventual, min_version: Version::default() };
        Job { from: RegionId(0), meta: m, req, enqueued_at: SimTime::ZERO }
    }

    #[test]
    fn a_region_outage_loses_the_work_and_frees_every_server() {
        let c = capacity();
        let mut tier = AppTier::new(&c);
        let mut rng = RngStreams::new(1).stream("apptier");
        for slot in 0..4 {
            tier.admit(&c, job(slot), SimTime::ZERO).expect("room in the queue");
        }
        assert_eq!(tier.start(&c, 0, SimTime::ZERO, &mut rng).len(), 2);
        // A poison request crashes a busy server for a minute: nothing more can start.
        tier.crash(0, SimTime(60_000_000));
        assert_eq!(tier.start(&c, 0, SimTime::ZERO, &mut rng).len(), 0);
        tier.region_down();
        let cell = &tier.cells[0];
        assert_eq!((cell.busy, cell.queue.len(), cell.down.len()), (0, 0, 0));
        assert_eq!(tier.incarnation, 1);
        assert_eq!(tier.servers(&c, 0, SimTime(1_000)), 2, "every server is back with the region");
    }
}
