//! Where things go on a plot: a line cut at gaps in its samples, and labels spread
//! over lanes so that none overlaps another.

/// A line's points cut wherever consecutive samples lie more than twice the usual
/// spacing apart (nothing was sampled there).
pub(crate) fn segments(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let step = points.windows(2).map(|w| w[1].0 - w[0].0).fold(f64::INFINITY, f64::min);
    let mut parts: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, p) in points.iter().enumerate() {
        if i > 0 && p.0 - points[i - 1].0 > 2.0 * step {
            parts.push(Vec::new());
        }
        parts.last_mut().expect("one part at least").push(*p);
    }
    parts
}

/// A lane (text row) for each label at time `x`, the first in which it overlaps no
/// label before it (labels are about 6.5 px a character, on a plot about
/// `PLOT_W - Y_LABEL_W` px wide for `end` seconds).
pub(crate) fn lanes<'a>(labels: impl Iterator<Item = (f64, &'a str)>, end: f64) -> Vec<usize> {
    let px_per_s = f64::from(super::html::PLOT_W - super::html::Y_LABEL_W - 24) / end.max(1e-9);
    let spans: Vec<(f64, f64)> = labels
        .map(|(x, text)| (x * px_per_s, x * px_per_s + 6.5 * text.chars().count() as f64 + 6.0))
        .collect();
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by(|a, b| spans[*a].0.total_cmp(&spans[*b].0));
    let (mut lane_ends, mut lanes) = (Vec::<f64>::new(), vec![0; spans.len()]);
    for i in order {
        let (from, to) = spans[i];
        let lane = lane_ends.iter().position(|e| *e <= from).unwrap_or(lane_ends.len());
        match lane_ends.get_mut(lane) {
            Some(e) => *e = to,
            None => lane_ends.push(to),
        }
        lanes[i] = lane;
    }
    lanes
}

#[cfg(test)]
mod tests {
    use super::segments;

    #[test]
    fn labels_close_in_time_take_different_lanes() {
        let l =
            super::lanes([(10.0, "partition"), (10.5, "brownout"), (60.0, "x")].into_iter(), 90.0);
        assert_eq!(l, vec![0, 1, 0]);
        let l =
            super::lanes([(50.0, "late"), (10.0, "a very long label indeed")].into_iter(), 90.0);
        assert_eq!(l, vec![0, 0]);
    }

    #[test]
    fn a_gap_in_the_samples_splits_the_line() {
        let pts = [(0.0, 1.0), (0.1, 1.0), (0.2, 2.0), (5.0, 3.0), (5.1, 3.0)];
        let parts = segments(&pts);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), 3);
        assert_eq!(parts[1], vec![(5.0, 3.0), (5.1, 3.0)]);
        assert_eq!(segments(&[(1.0, 1.0)]).len(), 1);
    }
}
