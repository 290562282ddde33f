//! A client region's guards on each target region: a circuit breaker (closed, open,
//! half-open with probes) fed by the outcome of every attempt, a brownout detector fed
//! by the latency of successful ones, and health checks on a cheap path that does not
//! touch the application tier (so a slow region passes them). The router reads them;
//! they only ever see outcomes, never the faults behind them.

use super::obs::BreakerPhase;
use crate::engine::{SimDuration, SimTime};
use crate::scenario::{BreakerDesign, DetectionDesign};
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open { until: SimTime },
    HalfOpen { probes_left: u32, successes: u32 },
}

impl BreakerState {
    /// The phase without its timers, as observations carry it.
    pub fn phase(self) -> BreakerPhase {
        match self {
            BreakerState::Closed => BreakerPhase::Closed,
            BreakerState::Open { .. } => BreakerPhase::Open,
            BreakerState::HalfOpen { .. } => BreakerPhase::HalfOpen,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Breaker {
    pub state: BreakerState,
    outcomes: VecDeque<bool>,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker { state: BreakerState::Closed, outcomes: VecDeque::new() }
    }
}

impl Breaker {
    /// Outcomes in the current window (for tests and reports).
    pub fn window_len(&self) -> usize {
        self.outcomes.len()
    }

    /// Whether an attempt may go to this target now. An open breaker turns half-open
    /// when its time is up and lets `probes` attempts through.
    pub fn allow(&mut self, now: SimTime, c: &BreakerDesign) -> bool {
        if let BreakerState::Open { until } = self.state {
            if now < until {
                return false;
            }
            self.state = BreakerState::HalfOpen { probes_left: c.probes, successes: 0 };
        }
        match &mut self.state {
            BreakerState::Closed => true,
            BreakerState::HalfOpen { probes_left, .. } if *probes_left > 0 => {
                *probes_left -= 1;
                true
            }
            _ => false,
        }
    }

    /// Records an attempt's outcome; returns the new state when it changed.
    pub fn record(&mut self, now: SimTime, ok: bool, c: &BreakerDesign) -> Option<BreakerState> {
        let before = self.state;
        match &mut self.state {
            BreakerState::Closed => {
                if self.outcomes.len() == c.window as usize {
                    self.outcomes.pop_front();
                }
                self.outcomes.push_back(ok);
                let failed = self.outcomes.iter().filter(|o| !**o).count();
                if self.outcomes.len() == c.window as usize
                    && failed as f64 >= c.failure_rate * c.window as f64
                {
                    self.state = BreakerState::Open { until: now + c.open };
                }
            }
            BreakerState::HalfOpen { successes, .. } => {
                if ok {
                    *successes += 1;
                    if *successes >= c.probes {
                        self.state = BreakerState::Closed;
                        self.outcomes.clear();
                    }
                } else {
                    self.state = BreakerState::Open { until: now + c.open };
                }
            }
            BreakerState::Open { .. } => {}
        }
        (self.state.phase() != before.phase()).then_some(self.state)
    }
}

/// Marks a target degraded when the p99 latency of its recent successes exceeds the
/// design's threshold, or its recent error rate does; healthy again below both.
#[derive(Clone, Debug, Default)]
pub struct Detector {
    latencies_us: VecDeque<u64>,
    outcomes: VecDeque<bool>,
    /// Failures among `outcomes`, and the two largest latencies in the window, kept as
    /// outcomes arrive so a verdict costs no pass over the window (mostly).
    failures: usize,
    top: (u64, u64),
    pub degraded: bool,
}

/// Outcomes a detector remembers.
const DETECTOR_WINDOW: usize = 100;

impl Detector {
    /// Records an outcome; returns the new verdict when it changed.
    pub fn record(&mut self, ok: bool, latency: SimDuration, c: &DetectionDesign) -> Option<bool> {
        if self.outcomes.len() == DETECTOR_WINDOW && !self.outcomes.pop_front().unwrap_or(true) {
            self.failures -= 1;
        }
        self.outcomes.push_back(ok);
        if !ok {
            self.failures += 1;
        }
        if ok {
            let x = latency.as_us();
            let mut rescan = false;
            if self.latencies_us.len() == DETECTOR_WINDOW {
                let gone = self.latencies_us.pop_front().unwrap_or(0);
                rescan = gone >= self.top.1;
            }
            self.latencies_us.push_back(x);
            if rescan {
                self.top = top_two(&self.latencies_us);
            } else if x > self.top.0 {
                self.top = (x, self.top.0);
            } else if x > self.top.1 {
                self.top.1 = x;
            }
        }
        let n = self.latencies_us.len();
        let above = if n == 0 { 0 } else { n - 1 - (n - 1) * 99 / 100 };
        let p99 = if above == 0 || n == 1 { self.top.0 } else { self.top.1 };
        debug_assert_eq!(p99, p99_of(&self.latencies_us));
        let errors = self.failures as f64 / self.outcomes.len() as f64;
        let enough = self.outcomes.len() >= DETECTOR_WINDOW / 5;
        let bad = enough && (p99 > c.latency_p99.as_us() || errors > c.error_rate);
        if bad != self.degraded {
            self.degraded = bad;
            return Some(bad);
        }
        None
    }
}

/// The two largest values of a window.
fn top_two(window: &VecDeque<u64>) -> (u64, u64) {
    let (mut first, mut second) = (0u64, 0u64);
    for &x in window {
        if x > first {
            second = first;
            first = x;
        } else if x > second {
            second = x;
        }
    }
    (first, second)
}

/// The 99th percentile (nearest rank below) of a window of at most `DETECTOR_WINDOW`:
/// at that size it is the largest or the second largest value, found in one pass
/// without sorting on every outcome.
fn p99_of(window: &VecDeque<u64>) -> u64 {
    let n = window.len();
    if n == 0 {
        return 0;
    }
    let above = n - 1 - (n - 1) * 99 / 100;
    debug_assert!(above <= 1, "the window is small enough for one pass");
    let (first, second) = top_two(window);
    if above == 0 || n == 1 {
        first
    } else {
        second
    }
}

/// Health checks on a cheap path: a target is down after `threshold` failed probes in a
/// row, and up at the first success.
#[derive(Clone, Debug, Default)]
pub struct Health {
    pub failures: u32,
    pub down: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design() -> BreakerDesign {
        BreakerDesign { failure_rate: 0.5, window: 4, open: SimDuration::from_ms(100), probes: 2 }
    }

    #[test]
    fn a_breaker_opens_probes_and_closes() {
        let c = design();
        let mut b = Breaker::default();
        let t = SimTime(0);
        assert_eq!(b.record(t, true, &c), None);
        assert_eq!(b.record(t, false, &c), None);
        assert_eq!(b.record(t, true, &c), None);
        // Two failures in the last four: half of the window fails, so it opens.
        assert_eq!(b.record(t, false, &c), Some(BreakerState::Open { until: SimTime(100_000) }));
        assert!(!b.allow(SimTime(50_000), &c));
        // Time is up: two probes go through, a third waits.
        assert!(b.allow(SimTime(100_000), &c));
        assert!(b.allow(SimTime(100_000), &c));
        assert!(!b.allow(SimTime(100_000), &c));
        assert_eq!(b.record(SimTime(100_001), true, &c), None);
        assert_eq!(b.record(SimTime(100_002), true, &c), Some(BreakerState::Closed));
    }

    #[test]
    fn a_failed_probe_opens_the_breaker_again() {
        let c = design();
        let mut b = Breaker {
            state: BreakerState::HalfOpen { probes_left: 1, successes: 0 },
            outcomes: VecDeque::new(),
        };
        assert_eq!(
            b.record(SimTime(5), false, &c),
            Some(BreakerState::Open { until: SimTime(100_005) })
        );
    }

    #[test]
    fn p99_of_a_small_window_matches_sorting() {
        for n in [1usize, 2, 50, 99, 100] {
            let w: VecDeque<u64> = (0..n as u64).map(|i| (i * 7919) % 1000).collect();
            let mut sorted: Vec<u64> = w.iter().copied().collect();
            sorted.sort_unstable();
            assert_eq!(p99_of(&w), sorted[(n - 1) * 99 / 100], "n = {n}");
        }
    }

    #[test]
    fn a_detector_sees_slow_successes_and_recovers() {
        let c = DetectionDesign { latency_p99: SimDuration::from_ms(100), error_rate: 0.5 };
        let mut d = Detector::default();
        for _ in 0..30 {
            assert_eq!(d.record(true, SimDuration::from_ms(10), &c), None);
        }
        let mut flipped = None;
        for _ in 0..30 {
            flipped = flipped.or(d.record(true, SimDuration::from_ms(900), &c));
        }
        assert_eq!(flipped, Some(true));
        let mut back = None;
        for _ in 0..200 {
            back = back.or(d.record(true, SimDuration::from_ms(10), &c));
        }
        assert_eq!(back, Some(false));
    }
}
