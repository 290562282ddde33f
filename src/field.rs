//! Checking one field of user input: the error that names its path, numbers written as
//! a user would write them, spans of time within bounds, names looked up with a
//! "did you mean". A leaf shared by the scenario and fault validators; it never panics
//! on input.

use crate::engine::SimDuration;
use crate::region::{RegionId, RegionSpec};

/// Bounds that keep every derived quantity (microseconds, balances summed over all
/// accounts) far from integer overflow in the model.
pub const SECONDS_MAX: f64 = 1e9;
pub const MS_MAX: f64 = SECONDS_MAX * 1e3;
pub const CLOCK_OFFSET_MS_MAX: f64 = 86_400_000.0;

/// What is wrong with one field, and where: the validator adds the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub msg: String,
}

pub type Checked<T> = Result<T, FieldError>;

/// An error at `path`.
pub fn err<T>(path: impl Into<String>, msg: impl Into<String>) -> Checked<T> {
    Err(FieldError { path: path.into(), msg: msg.into() })
}

/// Checks a span given in `unit`s: positive (or, with `zero_ok`, zero or more) and at
/// most `max`, so that it converts to microseconds without saturating.
pub fn span(path: &str, x: f64, unit: &str, zero_ok: bool, max: f64) -> Checked<()> {
    let low = if zero_ok { x < 0.0 } else { x <= 0.0 };
    if !x.is_finite() || low {
        let want = if zero_ok { "zero or more" } else { "a positive number of" };
        return err(path, format!("must be {want} {unit}, got {}", num(x)));
    }
    if x > max {
        return err(path, format!("must be at most {} {unit}, got {}", num(max), num(x)));
    }
    Ok(())
}

pub fn positive_ms(path: &str, ms: f64) -> Checked<SimDuration> {
    span(path, ms, "milliseconds", false, MS_MAX)?;
    Ok(SimDuration::from_us((ms * 1e3).round().max(1.0) as u64))
}

pub fn nonneg_ms(path: &str, ms: f64) -> Checked<SimDuration> {
    span(path, ms, "milliseconds", true, MS_MAX)?;
    Ok(SimDuration::from_us((ms * 1e3).round() as u64))
}

pub fn nonneg_s(path: &str, s: f64) -> Checked<SimDuration> {
    span(path, s, "seconds", true, SECONDS_MAX)?;
    Ok(SimDuration::from_secs_f64(s))
}

pub fn positive_s(path: &str, s: f64) -> Checked<SimDuration> {
    span(path, s, "seconds", false, SECONDS_MAX)?;
    // A positive span never rounds down to nothing.
    Ok(SimDuration::from_secs_f64(s).max(SimDuration(1)))
}

/// The region a field names, or an error listing the known ones.
pub fn region(regions: &[RegionSpec], path: &str, name: &str) -> Checked<RegionId> {
    match crate::region::find(regions, name) {
        Some(id) => Ok(id),
        None => {
            let known: Vec<&str> = regions.iter().map(|r| r.name.as_str()).collect();
            let mut msg = format!("unknown region \"{name}\"; known: {}", known.join(", "));
            if let Some(close) = closest(name, known.iter().copied()) {
                msg.push_str(&format!("; did you mean \"{close}\"?"));
            }
            err(path, msg)
        }
    }
}

pub fn clock_offset(path: &str, ms: f64) -> Checked<()> {
    if !ms.is_finite() || ms.abs() > CLOCK_OFFSET_MS_MAX {
        return err(
            path,
            format!(
                "a clock offset is between -{0} and {0} milliseconds (one day), got {1}",
                num(CLOCK_OFFSET_MS_MAX),
                num(ms)
            ),
        );
    }
    Ok(())
}

pub fn drift(path: &str, ppm: f64) -> Checked<()> {
    if !ppm.is_finite() || ppm.abs() >= 1e6 {
        return err(
            path,
            format!("a clock drift is strictly between -1000000 and 1000000 ppm, got {}", num(ppm)),
        );
    }
    Ok(())
}

/// The known name closest to a misspelt one, if it is close enough to be the likely intent.
pub fn closest<'k>(word: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    known
        .into_iter()
        .map(|k| (edit_distance(word, k), k))
        .filter(|&(d, k)| d > 0 && d <= (k.chars().count() / 3).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// Edit distance counting a swap of two neighbours as one edit ("us-esat" is 1 from "us-east").
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Long inputs are never typos of a short name; keep the table small.
    if a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in table.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in table[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best =
                (table[i - 1][j] + 1).min(table[i][j - 1] + 1).min(table[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[i - 2][j - 2] + 1);
            }
            table[i][j] = best;
        }
    }
    table[a.len()][b.len()]
}

/// A number as a user would write it: no float noise (0.7 + 0.2 prints 0.9), and
/// exponent notation for magnitudes no one types out in full.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-6..1e15).contains(&a) {
        return format!("{x:e}");
    }
    let s = format!("{x:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}
