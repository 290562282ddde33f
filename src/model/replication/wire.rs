//! What the multi-writer protocol sends between regions: each write as an update with
//! its stamp, and what it had observed.

use crate::model::types::*;
use crate::scenario::RegionId;

/// A write's stamp: the writing region's clock, with the region as tie-break.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub ts: i64,
    pub origin: u8,
}

impl Stamp {
    /// The stamp as a `Version`, so clients and checkers can compare what they saw.
    pub fn version(self) -> Version {
        Version { epoch: 0, lsn: (self.ts.max(0) as u64) << 4 | u64::from(self.origin) }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdKind {
    /// Absolute values (last-writer-wins, home region, reject-concurrent).
    Set,
    /// Deltas (merge, escrow, home-region counters).
    Delta,
    /// An element appended to a list, wherever it arrives in the order it arrives.
    Append,
}

/// One write as it travels between regions.
#[derive(Clone, Copy, Debug)]
pub struct Update {
    pub origin: RegionId,
    pub seq: u64,
    pub kind: UpdKind,
    pub key: Key,
    pub value: i64,
    pub key2: Key,
    pub value2: i64,
    pub stamp: Stamp,
    /// The stamps of `key` and `key2` the writer had read (what it observed).
    pub base: Stamp,
    pub base2: Stamp,
    pub op_key: u64,
    /// The write's identity (operation and attempt).
    pub write: WriteId,
    pub effect: bool,
}
