//! The network between regions: a directed link per ordered pair with a one-way delay of
//! RTT/2 plus heavy-tailed jitter, times the link's slow factor. A link delivers in FIFO
//! order (like a TCP connection); a cut link loses what is sent on it.

use crate::engine::{SimDuration, SimTime};
use crate::scenario::{RegionId, Scenario};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Cap on one jitter draw, as a multiple of its mean: the Pareto tail is heavy but a
/// single message is never delayed without bound.
const JITTER_CAP_X: f64 = 50.0;
/// Pareto shape: 2.5 gives a finite mean and variance with a visible tail.
const PARETO_ALPHA: f64 = 2.5;

pub struct Network {
    regions: usize,
    one_way_us: Vec<u64>,
    /// How many active faults cut each directed link (faults may overlap).
    cuts: Vec<u16>,
    slow: Vec<f64>,
    /// Probability that a message on the link is lost (active packet-loss faults).
    loss: Vec<f64>,
    last_delivery: Vec<SimTime>,
    jitter_mean_us: f64,
    rng: ChaCha8Rng,
}

impl Network {
    pub fn new(scenario: &Scenario, rng: ChaCha8Rng) -> Self {
        let regions = scenario.regions.len();
        let mut one_way_us = vec![0; regions * regions];
        for a in 0..regions {
            for b in 0..regions {
                one_way_us[a * regions + b] = scenario.rtt_us[a][b] / 2;
            }
        }
        Network {
            regions,
            one_way_us,
            cuts: vec![0; regions * regions],
            slow: vec![1.0; regions * regions],
            loss: vec![0.0; regions * regions],
            last_delivery: vec![SimTime::ZERO; regions * regions],
            jitter_mean_us: scenario.jitter_mean_us as f64,
            rng,
        }
    }

    fn link(&self, from: RegionId, to: RegionId) -> usize {
        from.idx() * self.regions + to.idx()
    }

    pub fn is_cut(&self, from: RegionId, to: RegionId) -> bool {
        self.cuts[self.link(from, to)] > 0
    }

    /// The base one-way delay, for routers choosing the nearest region.
    pub fn base_one_way(&self, from: RegionId, to: RegionId) -> u64 {
        self.one_way_us[self.link(from, to)]
    }

    /// When a message sent now from `from` to `to` arrives, or `None` if it is lost.
    pub fn send(&mut self, now: SimTime, from: RegionId, to: RegionId) -> Option<SimTime> {
        let l = self.link(from, to);
        if self.cuts[l] > 0 {
            return None;
        }
        if self.loss[l] > 0.0 && self.rng.gen_bool(self.loss[l].min(1.0)) {
            return None;
        }
        let jitter = if self.jitter_mean_us > 0.0 {
            // Pareto with mean `jitter_mean_us`: scale x_m = mean * (alpha - 1) / alpha.
            let xm = self.jitter_mean_us * (PARETO_ALPHA - 1.0) / PARETO_ALPHA;
            let u: f64 = self.rng.gen_range(f64::EPSILON..1.0);
            (xm * u.powf(-1.0 / PARETO_ALPHA)).min(self.jitter_mean_us * JITTER_CAP_X)
        } else {
            0.0
        };
        let delay = ((self.one_way_us[l] as f64 + jitter) * self.slow[l]).round() as u64;
        let at = (now + SimDuration(delay.max(1))).max(self.last_delivery[l]);
        self.last_delivery[l] = at;
        Some(at)
    }

    /// The directed links from every region in `from` to every one in `to`, and back
    /// unless one-way.
    fn links(&self, from: &[RegionId], to: &[RegionId], one_way: bool) -> Vec<usize> {
        let mut out = Vec::new();
        for &a in from {
            for &b in to {
                out.push(self.link(a, b));
                if !one_way {
                    out.push(self.link(b, a));
                }
            }
        }
        out
    }

    /// Cuts (or, with `heal`, restores) the links between `from` and `to`.
    pub fn set_cut(&mut self, from: &[RegionId], to: &[RegionId], one_way: bool, heal: bool) {
        for l in self.links(from, to, one_way) {
            if heal {
                debug_assert!(self.cuts[l] > 0, "healing a link that is not cut");
                self.cuts[l] = self.cuts[l].saturating_sub(1);
            } else {
                self.cuts[l] += 1;
            }
        }
    }

    /// Adds (or, with `heal`, removes) a loss probability on the links.
    pub fn set_loss(
        &mut self,
        from: &[RegionId],
        to: &[RegionId],
        one_way: bool,
        loss: f64,
        heal: bool,
    ) {
        for l in self.links(from, to, one_way) {
            self.loss[l] = if heal { (self.loss[l] - loss).max(0.0) } else { self.loss[l] + loss };
        }
    }

    /// Multiplies (or, with `heal`, divides) the delay of the links by `factor`.
    pub fn set_slow(
        &mut self,
        from: &[RegionId],
        to: &[RegionId],
        one_way: bool,
        factor: f64,
        heal: bool,
    ) {
        for l in self.links(from, to, one_way) {
            if heal {
                self.slow[l] /= factor;
            } else {
                self.slow[l] *= factor;
            }
        }
    }
}
