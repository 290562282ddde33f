//! The checkers' declared boundary with the simulated system. Checkers see typed
//! observations (each with its time) and this narrow, read-only probe with named
//! methods; they never reach into `World` or `Store`. Nothing here exposes the
//! model's own labels for a write (epoch, log position): writes are known by identity
//! through the journal, and stores by what they hold. Unit tests implement `Probe` with
//! a fake, so a checker can be driven by a hand-written sequence of observations.

use crate::model::store::Journal;
use crate::model::types::Key;
use crate::model::World;
use crate::scenario::RegionId;

pub trait Probe {
    /// Whether `region`'s store is up.
    fn region_up(&self, region: RegionId) -> bool;
    /// The value `region`'s store holds for `key`.
    fn value(&self, region: RegionId, key: Key) -> i64;
    /// The region the control plane names as the writer: where clients send writes.
    fn named_writer(&self) -> RegionId;
    /// Which client writes each store holds, by identity, in the order it happened.
    fn journal(&self) -> &Journal;
    /// What stands between the system and convergence, one plain line each.
    fn convergence_gaps(&self) -> Vec<String>;
}

impl Probe for World {
    fn region_up(&self, region: RegionId) -> bool {
        self.regions.up[region.idx()]
    }
    fn value(&self, region: RegionId, key: Key) -> i64 {
        self.stores[region.idx()].cells[key as usize].value
    }
    fn named_writer(&self) -> RegionId {
        self.control.writer
    }
    fn journal(&self) -> &Journal {
        &self.journal
    }
    fn convergence_gaps(&self) -> Vec<String> {
        World::convergence_gaps(self)
    }
}

/// A probe over hand-made state, for checker unit tests.
#[cfg(test)]
pub mod fake {
    use super::*;

    #[derive(Default)]
    pub struct FakeProbe {
        pub up: Vec<bool>,
        /// Per region, per key.
        pub values: Vec<Vec<i64>>,
        pub writer: u8,
        pub journal: Journal,
        pub gaps: Vec<String>,
    }

    impl FakeProbe {
        /// `regions` regions, all up, each with `keys` keys at zero.
        pub fn new(regions: usize, keys: usize) -> Self {
            FakeProbe {
                up: vec![true; regions],
                values: vec![vec![0; keys]; regions],
                ..FakeProbe::default()
            }
        }
    }

    impl Probe for FakeProbe {
        fn region_up(&self, region: RegionId) -> bool {
            self.up[region.idx()]
        }
        fn value(&self, region: RegionId, key: Key) -> i64 {
            self.values[region.idx()][key as usize]
        }
        fn named_writer(&self) -> RegionId {
            RegionId(self.writer)
        }
        fn journal(&self) -> &Journal {
            &self.journal
        }
        fn convergence_gaps(&self) -> Vec<String> {
            self.gaps.clone()
        }
    }
}
