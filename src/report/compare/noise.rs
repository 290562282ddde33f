//! When a comparison may call one design better than another: only when the difference
//! is larger than what changes from one run to the next on its own. Two runs of the same
//! design with different seeds already differ (in latency, in how many writes a
//! partition catches in flight), so a bare "lower is better" would crown whichever
//! design drew the luckier seed.
//!
//! With several seeds the rule is that the two designs' per-seed ranges do not overlap:
//! the better design's worst seed beats the other's best. With one seed there is no
//! spread to look at, so the rule is a threshold: more than 5 % apart, and at least a
//! floor in the metric's unit (half a percentage point, 5 ms, one write...), so that
//! 0 against 0.4 ms is not a win either.

use super::Dist;
use crate::outcome::{Better, KeyMetric};

/// How far apart, relatively, single-seed values must be to count.
pub const RELATIVE_MIN: f64 = 0.05;

/// Which rule decided, from how many seeds each design ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Several seeds: the per-seed ranges must not overlap.
    Ranges { seeds: usize },
    /// One seed: more than `RELATIVE_MIN` apart and at least the unit's floor.
    Threshold,
}

impl Rule {
    pub fn for_seeds(seeds: usize) -> Rule {
        if seeds > 1 {
            Rule::Ranges { seeds }
        } else {
            Rule::Threshold
        }
    }

    /// The rule in one sentence, as the outputs state it.
    pub fn describe(self) -> String {
        match self {
            Rule::Ranges { seeds } => format!(
                "a design is marked better on a metric only when its values over the {seeds} \
                 seeds do not overlap the other's (its worst seed beats the other's best), and \
                 on an invariant when fewer seeds violated it"
            ),
            Rule::Threshold => format!(
                "one seed, so a design is marked better on a metric only when the values differ \
                 by more than {:.0}% and by at least {}; on an invariant when it held and the \
                 other's was violated. Run with --seeds A..B to judge by the spread over seeds",
                RELATIVE_MIN * 100.0,
                FLOORS_TEXT
            ),
        }
    }

    /// A short name for compare.json.
    pub fn id(self) -> &'static str {
        match self {
            Rule::Ranges { .. } => "ranges_do_not_overlap",
            Rule::Threshold => "single_seed_threshold",
        }
    }
}

/// The floors of `floor`, in words.
const FLOORS_TEXT: &str = "0.5 percentage points, 5 ms, 1 s, 0.05 attempts per operation, \
                           1 x the error budget, or 1 write, effect or key";

/// The smallest single-seed difference that counts, in the metric's unit.
pub fn floor(unit: &str) -> f64 {
    match unit {
        "share" => 0.005,
        "ms" => 5.0,
        "s" => 1.0,
        "attempts/op" => 0.05,
        "x budget" => 1.0,
        _ => 1.0,
    }
}

/// Whether `a` is better than `b` beyond run-to-run noise, under `rule`.
pub fn clearly_better(a: &Dist, b: &Dist, metric: &KeyMetric, rule: Rule) -> bool {
    let beats = |x: f64, y: f64| match metric.better {
        Better::Higher => x > y,
        Better::Lower => x < y,
    };
    match rule {
        // a's worst seed beats b's best seed.
        Rule::Ranges { .. } => match metric.better {
            Better::Higher => a.min > b.max,
            Better::Lower => a.max < b.min,
        },
        Rule::Threshold => {
            let diff = (a.p50 - b.p50).abs();
            let scale = a.p50.abs().max(b.p50.abs());
            beats(a.p50, b.p50) && diff > RELATIVE_MIN * scale && diff >= floor(metric.unit)
        }
    }
}

/// How the designs stand on one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Difference {
    /// Every design measured it and all have the same values.
    Same,
    /// Fewer than two designs measured it.
    NotComparable,
    /// Some design is better beyond noise.
    Clear,
    /// The values differ, but within run-to-run noise.
    WithinNoise,
}

impl Difference {
    pub fn id(self) -> &'static str {
        match self {
            Difference::Same => "same",
            Difference::NotComparable => "not comparable",
            Difference::Clear => "clear",
            Difference::WithinNoise => "no clear difference",
        }
    }
}

/// The designs no other design clearly beats, when some design is clearly beaten
/// (empty otherwise), and how the designs stand. Designs that did not measure the
/// metric take no part.
pub fn best(
    per_design: &[Option<Dist>],
    metric: &KeyMetric,
    rule: Rule,
) -> (Vec<usize>, Difference) {
    let present: Vec<(usize, &Dist)> =
        per_design.iter().enumerate().filter_map(|(i, d)| d.as_ref().map(|d| (i, d))).collect();
    if present.len() < 2 {
        return (Vec::new(), Difference::NotComparable);
    }
    let beaten = |(i, d): &(usize, &Dist)| {
        present.iter().any(|(j, e)| j != i && clearly_better(e, d, metric, rule))
    };
    let unbeaten: Vec<usize> = present.iter().filter(|p| !beaten(p)).map(|p| p.0).collect();
    if unbeaten.len() < present.len() {
        return (unbeaten, Difference::Clear);
    }
    let first = present[0].1;
    let same =
        present.iter().all(|(_, d)| d.min == first.min && d.p50 == first.p50 && d.max == first.max);
    (Vec::new(), if same { Difference::Same } else { Difference::WithinNoise })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(min: f64, p50: f64, max: f64) -> Option<Dist> {
        Some(Dist { count: 3, min, p50, p99: max, max })
    }

    fn metric(unit: &'static str, better: Better) -> KeyMetric {
        KeyMetric { id: "m", label: "m", unit, value: None, better }
    }

    #[test]
    fn overlapping_seed_ranges_are_no_clear_difference() {
        let ms = metric("ms", Better::Lower);
        let rule = Rule::Ranges { seeds: 3 };
        assert_eq!(
            best(&[dist(10.0, 20.0, 30.0), dist(25.0, 40.0, 50.0)], &ms, rule).1,
            Difference::WithinNoise
        );
        assert_eq!(
            best(&[dist(10.0, 20.0, 24.0), dist(25.0, 40.0, 50.0)], &ms, rule),
            (vec![0], Difference::Clear)
        );
        let share = metric("share", Better::Higher);
        assert_eq!(best(&[dist(0.9, 0.95, 0.99), dist(0.5, 0.6, 0.8)], &share, rule).0, [0]);
        // Two designs overlap each other and both clear a third: both are best.
        let three = [dist(1.0, 2.0, 3.0), dist(2.5, 3.0, 4.0), dist(9.0, 9.5, 10.0)];
        assert_eq!(best(&three, &ms, rule).0, [0, 1]);
    }

    #[test]
    fn one_seed_needs_five_percent_and_the_units_floor() {
        let ms = metric("ms", Better::Lower);
        let one = |x: f64| dist(x, x, x);
        let rule = Rule::Threshold;
        assert_eq!(best(&[one(100.0), one(104.0)], &ms, rule).1, Difference::WithinNoise, "4%");
        assert_eq!(best(&[one(100.0), one(110.0)], &ms, rule).0, [0], "10% and 10 ms");
        assert_eq!(best(&[one(1.0), one(3.0)], &ms, rule).1, Difference::WithinNoise, "2 ms");
        let writes = metric("writes", Better::Lower);
        assert_eq!(best(&[one(0.0), one(1.0)], &writes, rule).0, [0]);
        assert_eq!(best(&[one(7.0), one(7.0)], &writes, rule).1, Difference::Same);
        assert_eq!(best(&[one(7.0), None], &writes, rule).1, Difference::NotComparable);
    }
}
