//! Regions: their ids, names and roles, the words every layer shares. A leaf: it
//! depends on nothing else in the crate.

use serde::Serialize;

/// Index of a region in `Scenario::regions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RegionId(pub u8);

impl RegionId {
    pub fn idx(self) -> usize {
        usize::from(self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Primary,
    Standby,
    ReadReplica,
}

#[derive(Clone, Debug, Serialize)]
pub struct RegionSpec {
    pub name: String,
    pub role: Role,
    pub clock_offset_us: i64,
    pub drift_ppm: f64,
}

/// The region called `name`, if there is one.
pub fn find(regions: &[RegionSpec], name: &str) -> Option<RegionId> {
    regions.iter().position(|r| r.name == name).map(|i| RegionId(i as u8))
}

/// The regions' names, for messages: "us-east, eu-west, ap-south".
pub fn names(regions: &[RegionSpec]) -> String {
    regions.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
}
