//! Time series with bounded memory: buckets that double in width when the series
//! fills, so a run of any length keeps at most `SERIES_POINTS_MAX` points. A series
//! only ever grows by pushes in time order; it never reads the clock itself.

use crate::engine::SimTime;
use serde::Serialize;

/// Points kept per time series; past it, neighbours merge (keeping the max).
pub const SERIES_POINTS_MAX: usize = 2_048;

/// A time series over buckets that double in width when it fills: each bucket keeps
/// the maximum of what was pushed (gauges) or the sum (counts, with `counting`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Series {
    pub bucket_us: u64,
    pub points: Vec<(u64, f64)>,
    #[serde(skip)]
    counting: bool,
}

impl Series {
    pub fn new(bucket_us: u64) -> Self {
        Series { bucket_us, points: Vec::new(), counting: false }
    }

    pub fn counts(bucket_us: u64) -> Self {
        Series { bucket_us, points: Vec::new(), counting: true }
    }

    fn merge(&self, a: f64, b: f64) -> f64 {
        if self.counting {
            a + b
        } else {
            a.max(b)
        }
    }

    pub fn push(&mut self, at: SimTime, v: f64) {
        let b = at.as_us() / self.bucket_us * self.bucket_us;
        let counting = self.counting;
        match self.points.last_mut() {
            Some((t, x)) if *t == b => *x = if counting { *x + v } else { x.max(v) },
            _ => self.points.push((b, v)),
        }
        if self.points.len() > SERIES_POINTS_MAX {
            self.bucket_us *= 2;
            let bu = self.bucket_us;
            let mut merged: Vec<(u64, f64)> = Vec::with_capacity(self.points.len() / 2 + 1);
            for &(t, x) in &self.points {
                let nb = t / bu * bu;
                match merged.last_mut() {
                    Some((mt, mx)) if *mt == nb => *mx = self.merge(*mx, x),
                    _ => merged.push((nb, x)),
                }
            }
            self.points = merged;
        }
    }

    /// The points with their times in seconds, as plots and phase detection read them.
    pub fn seconds(&self) -> Vec<(f64, f64)> {
        self.points.iter().map(|&(t, x)| (t as f64 / 1e6, x)).collect()
    }

    /// The largest value pushed (0 for an empty series), as gauges report their peak.
    pub fn max(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(0.0, f64::max)
    }
}

/// `points` summed into buckets of `bucket_us` (a multiple of theirs).
fn rebucket(points: &[(u64, f64)], bucket_us: u64) -> Vec<(u64, f64)> {
    let mut out: Vec<(u64, f64)> = Vec::new();
    for &(t, x) in points {
        let b = t / bucket_us * bucket_us;
        match out.last_mut() {
            Some((lt, lx)) if *lt == b => *lx += x,
            _ => out.push((b, x)),
        }
    }
    out
}

/// Failures over all completions, per bucket, of two counting series.
pub fn error_rate(ok: &Series, err: &Series) -> Series {
    let bucket_us = ok.bucket_us.max(err.bucket_us);
    let (ok, err) = (rebucket(&ok.points, bucket_us), rebucket(&err.points, bucket_us));
    let mut times: Vec<u64> = ok.iter().chain(&err).map(|p| p.0).collect();
    times.sort_unstable();
    times.dedup();
    let at = |v: &[(u64, f64)], t: u64| v.iter().find(|p| p.0 == t).map_or(0.0, |p| p.1);
    let points = times
        .into_iter()
        .map(|t| {
            let (o, e) = (at(&ok, t), at(&err, t));
            (t, if o + e > 0.0 { e / (o + e) } else { 0.0 })
        })
        .collect();
    Series { bucket_us, points, counting: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_series_sum_and_gauges_keep_the_max() {
        let mut c = Series::counts(1_000);
        let mut g = Series::new(1_000);
        for t in [0, 10, 999, 1_000] {
            c.push(SimTime(t), 1.0);
            g.push(SimTime(t), t as f64);
        }
        assert_eq!(c.points, vec![(0, 3.0), (1_000, 1.0)]);
        assert_eq!(g.points, vec![(0, 999.0), (1_000, 1_000.0)]);
    }
}
