//! What a shard output must prove before `merge` takes it: that this gameday (and
//! output schema) wrote it, that its `shard` is a real `I/N`, and that its records are
//! exactly the ones `sweep --shard I/N` or `check --shard I/N` runs, in order, nothing
//! missing, nothing foreign. Shards are recomputed from the range or file list each
//! output carries (`sweep::shard_of`, `check::shard_of`), so a relabelled, edited or
//! interrupted shard (its `partial` flag flipped or not) never merges.

use super::shard::{MergeError, SHARDS_MAX};
use serde_json::Value;

/// The most characters of a bad value quoted in a message.
const QUOTED_CHARS_MAX: usize = 80;

/// `value` as JSON, cut short when long.
fn quoted(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(QUOTED_CHARS_MAX) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

/// The output's `shard`: `None` for a whole run (null), else `I/N` with
/// 1 <= I <= N <= `SHARDS_MAX`, both exact integers.
pub fn read_shard(name: &str, shard: &Value) -> Result<Option<(u32, u32)>, MergeError> {
    if shard.is_null() {
        return Ok(None);
    }
    let whole = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
    match (whole(&shard["index"]), whole(&shard["of"])) {
        (Some(i), Some(n)) if 1 <= i && i <= n && n <= SHARDS_MAX => Ok(Some((i, n))),
        _ => Err(MergeError::BadShard { name: name.to_string(), shard: quoted(shard) }),
    }
}

/// The output was written by this gameday (and, for a sweep, this schema).
pub fn check_versions(name: &str, output: &Value, schema: Option<u32>) -> Result<(), MergeError> {
    let ours = env!("CARGO_PKG_VERSION");
    if output["gameday_version"].as_str() != Some(ours) {
        let found = quoted(&output["gameday_version"]);
        return Err(MergeError::OtherVersion { name: name.to_string(), found, ours });
    }
    if let Some(schema) = schema {
        if output["schema_version"].as_u64() != Some(u64::from(schema)) {
            let found = quoted(&output["schema_version"]);
            return Err(MergeError::OtherSchema { name: name.to_string(), found, ours: schema });
        }
    }
    Ok(())
}

/// The seeds shard `index`/`of` of `from..=to` runs, in order, without listing the
/// range: the `k`th is `from + (index - 1) + k * of`.
struct ShardSeeds {
    from: u64,
    first: u64,
    step: u64,
    count: u64,
}

impl ShardSeeds {
    fn new(from: u64, to: u64, (index, of): (u32, u32)) -> ShardSeeds {
        let len = to - from + 1;
        let first = u64::from(index - 1);
        let step = u64::from(of);
        let count = if first < len { (len - 1 - first) / step + 1 } else { 0 };
        ShardSeeds { from, first, step, count }
    }

    fn nth(&self, k: u64) -> u64 {
        self.from + self.first + k * self.step
    }
}

/// A sweep shard's records are exactly its seeds of the sweep's range, in order.
pub fn prove_seeds(
    name: &str,
    (from, to): (u64, u64),
    shard: (u32, u32),
    seeds: &[u64],
) -> Result<(), MergeError> {
    let range = format!("{from}..{to}");
    // The whole u64 range is refused as `--seeds` does: its length does not fit a u64.
    if to < from || to - from == u64::MAX {
        return Err(MergeError::BadRange { name: name.to_string(), range });
    }
    let want = ShardSeeds::new(from, to, shard);
    for (k, &seed) in seeds.iter().enumerate() {
        let k = k as u64;
        if k >= want.count || seed != want.nth(k) {
            return Err(MergeError::ForeignRecord {
                name: name.to_string(),
                record: format!("seed {seed}"),
                shard,
                of_what: format!("seeds {range}"),
            });
        }
    }
    if (seeds.len() as u64) < want.count {
        return Err(MergeError::MissingRecords {
            name: name.to_string(),
            first: format!("seed {}", want.nth(seeds.len() as u64)),
            count: want.count - seeds.len() as u64,
            shard,
        });
    }
    Ok(())
}

/// A check shard's rows are exactly its files of the check's list, in order.
pub fn prove_files(
    name: &str,
    files: &[String],
    shard: (u32, u32),
    rows: &[&str],
) -> Result<(), MergeError> {
    let (index, of) = (shard.0 as usize, shard.1 as usize);
    let want: Vec<&String> = files.iter().skip(index - 1).step_by(of).collect();
    for (k, file) in rows.iter().enumerate() {
        if want.get(k).is_none_or(|w| w != file) {
            return Err(MergeError::ForeignRecord {
                name: name.to_string(),
                record: format!("file {file:?}"),
                shard,
                of_what: format!("its {} files", files.len()),
            });
        }
    }
    if rows.len() < want.len() {
        return Err(MergeError::MissingRecords {
            name: name.to_string(),
            first: format!("file {:?}", want[rows.len()]),
            count: (want.len() - rows.len()) as u64,
            shard,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_holds_exactly_its_seeds() {
        let seeds = |from, to, shard| {
            let s = ShardSeeds::new(from, to, shard);
            (0..s.count).map(|k| s.nth(k)).collect::<Vec<u64>>()
        };
        let all: Vec<u64> = (5..=17).collect();
        for n in 1..=15 {
            for i in 1..=n {
                let want = crate::explore::sweep::shard_of(&all, Some((i, n)));
                assert_eq!(seeds(5, 17, (i, n)), want, "{i}/{n}");
                assert!(prove_seeds("x", (5, 17), (i, n), &want).is_ok());
            }
        }
        assert!(prove_seeds("x", (1, 8), (1, 2), &[1, 3, 5]).is_err(), "7 missing");
        assert!(prove_seeds("x", (1, 8), (1, 2), &[1, 3, 5, 7, 9]).is_err(), "9 foreign");
        assert!(prove_seeds("x", (1, 8), (1, 2), &[2, 4, 6, 8]).is_err(), "shard 2's seeds");
        let max = u64::MAX;
        assert_eq!(seeds(max - 2, max, (3, 3)), [max]);
    }
}
