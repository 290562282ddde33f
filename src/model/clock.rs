//! Per-region clocks. Leases and timestamps are read on the local clock, which may be
//! offset from true time and drift from it, so fencing is only as good as the clocks.

use crate::engine::SimTime;

/// A region's clock: `local = true + offset + drift * (true - drift_since)`.
#[derive(Clone, Debug)]
pub struct RegionClock {
    offset_us: i64,
    drift_ppm: f64,
    drift_since: SimTime,
    /// Offset accumulated by earlier drift, folded in whenever the drift rate changes.
    drift_acc_us: i64,
    /// The sum of the steps the clock was set by since the start: what a monotonic
    /// clock, which only drift moves, does not see.
    steps_us: i64,
}

impl RegionClock {
    pub fn new(offset_us: i64, drift_ppm: f64) -> Self {
        RegionClock {
            offset_us,
            drift_ppm,
            drift_since: SimTime::ZERO,
            drift_acc_us: 0,
            steps_us: 0,
        }
    }

    /// The local reading at true time `now`, in microseconds (may be negative early on).
    pub fn local(&self, now: SimTime) -> i64 {
        let drifted =
            (now.as_us() - self.drift_since.as_us().min(now.as_us())) as f64 * self.drift_ppm / 1e6;
        now.as_us() as i64 + self.offset_us + self.drift_acc_us + drifted.round() as i64
    }

    /// Jumps the clock by `offset_us` and adds `drift_ppm` to its rate from `now` on.
    pub fn skew(&mut self, now: SimTime, offset_us: i64, drift_ppm: f64) {
        let drifted =
            (now.as_us().saturating_sub(self.drift_since.as_us())) as f64 * self.drift_ppm / 1e6;
        self.drift_acc_us += drifted.round() as i64;
        self.drift_since = now;
        self.drift_ppm += drift_ppm;
        self.offset_us += offset_us;
        self.steps_us += offset_us;
    }

    /// The region's monotonic clock at true time `now`: the wall clock without the
    /// steps it was set by (drift still moves it).
    pub fn monotonic(&self, now: SimTime) -> i64 {
        self.local(now) - self.steps_us
    }

    pub fn error_us(&self, now: SimTime) -> i64 {
        self.local(now) - now.as_us() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_and_drift_compose() {
        let mut c = RegionClock::new(1_000, 0.0);
        assert_eq!(c.local(SimTime(5_000)), 6_000);
        c.skew(SimTime(10_000), -3_000, 100.0);
        assert_eq!(c.local(SimTime(10_000)), 8_000);
        // 100 ppm over one second is 100 µs.
        assert_eq!(c.local(SimTime(1_010_000)), 1_008_000 + 100);
    }

    #[test]
    fn a_monotonic_clock_ignores_steps_but_not_drift() {
        let mut c = RegionClock::new(1_000, 0.0);
        c.skew(SimTime(10_000), -3_000, 100.0);
        assert_eq!(c.monotonic(SimTime(10_000)), 11_000);
        assert_eq!(c.monotonic(SimTime(1_010_000)), 1_011_000 + 100);
    }
}
