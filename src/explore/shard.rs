//! What `sweep --shard` and `check --shard` outputs must satisfy to merge, and why they
//! may not: a malformed `--shard I/N`, a folder that holds a whole run or an
//! interrupted shard, shards of different runs, or a shard missing or given twice.
//! Both merges count shards with one `ShardTally` and report through these errors, so
//! the two say the same thing the same way.

/// The most shards a run may be split into.
pub const SHARDS_MAX: u32 = 10_000;

/// Missing shards a message lists by name; the rest are counted.
const MISSING_SHOWN_MAX: usize = 20;

/// A `--shard` value that is not `I/N` with 1 <= I <= N <= `SHARDS_MAX`.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("--shard {spec:?}: expected I/N with 1 <= I <= N <= 10000, e.g. 2/4 (the second of four shards)")]
pub struct ShardError {
    pub spec: String,
}

/// Why shard outputs do not merge. `name` is the output file a message is about.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge: name the shards' output folders")]
    Nothing,
    #[error("{name}: not a gameday sweep output (no \"kind\": \"gameday-sweep\")")]
    NotSweep { name: String },
    #[error("{name}: an interrupted (partial) shard; run it again to the end")]
    Partial { name: String },
    /// A field of a shard's output does not read back as gameday writes it.
    #[error("{name}: {field}: {source}")]
    Field { name: String, field: &'static str, source: serde_json::Error },
    #[error("{name}: a whole sweep, not a shard; merge takes the outputs of --shard I/N runs")]
    WholeSweep { name: String },
    #[error("{name}: a whole check, not a shard")]
    WholeCheck { name: String },
    #[error("{name}: \"shard\": {shard} is not a shard; expected {{\"index\": I, \"of\": N}} with 1 <= I <= N <= {SHARDS_MAX}")]
    BadShard { name: String, shard: String },
    #[error("{name}: written by gameday {found}, not by this gameday ({ours}); run every shard with one gameday version")]
    OtherVersion { name: String, found: String, ours: &'static str },
    #[error("{name}: output schema version {found}, but this gameday reads version {ours}; run every shard with one gameday version")]
    OtherSchema { name: String, found: String, ours: u32 },
    #[error("{name}: seeds {range} is not a seed range a sweep runs (A..B with A <= B)")]
    BadRange { name: String, range: String },
    #[error("{name}: {record} does not belong to shard {}/{} of {of_what} (or is out of order or given twice); the output was edited or relabelled: run the shard again", shard.0, shard.1)]
    ForeignRecord { name: String, record: String, shard: (u32, u32), of_what: String },
    #[error("{name}: shard {}/{} lacks {count} of its records, from {first} on (an interrupted shard?); run it again to the end", shard.0, shard.1)]
    MissingRecords { name: String, first: String, count: u64, shard: (u32, u32) },
    #[error("{name}: its summary does not match its records (the output was edited); run the shard again")]
    SummaryMismatch { name: String },
    #[error("{name}: its metric definitions differ from {first_name}'s; run every shard with one gameday version")]
    OtherMetrics { name: String, first_name: String },
    #[error(
        "{}: from a different sweep ({} seeds {}..{}) than {} ({} seeds {}..{})",
        this.name, this.file, this.seeds_from, this.seeds_to,
        first.name, first.file, first.seeds_from, first.seeds_to
    )]
    OtherSweep { this: Box<SweepShown>, first: Box<SweepShown> },
    #[error("{name}: checked other files than {first_name}")]
    OtherFiles { name: String, first_name: String },
    #[error("{name}: shard {index}/{of}, but {first_name} is one of {first_of}")]
    ShardCount { name: String, index: u64, of: u64, first_name: String, first_of: u64 },
    #[error("shard {index}/{of} given twice: {first_name} and {name}")]
    Twice { index: u64, of: u64, first_name: String, name: String },
    #[error(
        "shard{} {} missing; run them (--shard) and merge all {of}",
        if missing.len() == 1 { "" } else { "s" },
        missing.join(", ")
    )]
    MissingSweepShards { missing: Vec<String>, of: u64 },
    /// The check merge has always said "shards" even for one; this restructuring keeps
    /// every message byte for byte, so it still does.
    #[error("shards {} missing; run them (--shard) and merge all {of}", missing.join(", "))]
    MissingCheckShards { missing: Vec<String>, of: u64 },
}

/// A sweep shard as a merge message names it: its output file, and the scenario file
/// and seed range of the sweep it belongs to.
#[derive(Debug)]
pub struct SweepShown {
    pub name: String,
    pub file: String,
    pub seeds_from: u64,
    pub seeds_to: u64,
}

/// The shards a merge has taken so far: each index once, all of the first one's count.
pub struct ShardTally {
    /// The first output merged, which the messages compare the others with.
    first_name: String,
    of: Option<u64>,
    seen: Vec<(u64, String)>,
}

impl ShardTally {
    pub fn new(first_name: &str) -> ShardTally {
        ShardTally { first_name: first_name.to_string(), of: None, seen: Vec::new() }
    }

    /// Takes shard `index` of `of` from the output `name`, unless its count differs from
    /// the first shard's or its index was taken before.
    pub fn take(&mut self, name: &str, index: u64, of: u64) -> Result<(), MergeError> {
        let first_of = *self.of.get_or_insert(of);
        if first_of != of {
            return Err(MergeError::ShardCount {
                name: name.to_string(),
                index,
                of,
                first_name: self.first_name.clone(),
                first_of,
            });
        }
        if let Some((_, other)) = self.seen.iter().find(|(seen, _)| *seen == index) {
            return Err(MergeError::Twice {
                index,
                of,
                first_name: other.clone(),
                name: name.to_string(),
            });
        }
        self.seen.push((index, name.to_string()));
        Ok(())
    }

    /// The shards not taken, as `I/N` (the first `MISSING_SHOWN_MAX`, then how many
    /// more), and the count N.
    pub fn missing(&self) -> (Vec<String>, u64) {
        let of = self.of.unwrap_or(1);
        debug_assert!(of <= u64::from(SHARDS_MAX), "counts are checked before the tally");
        let all: Vec<u64> =
            (1..=of).filter(|index| !self.seen.iter().any(|(seen, _)| seen == index)).collect();
        let mut missing: Vec<String> =
            all.iter().take(MISSING_SHOWN_MAX).map(|index| format!("{index}/{of}")).collect();
        if all.len() > MISSING_SHOWN_MAX {
            missing.push(format!("and {} more", all.len() - MISSING_SHOWN_MAX));
        }
        (missing, of)
    }
}
