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

/// One replica site: a region, or one zone of a region with several. Everything the
/// model runs per region (a store, clients, a clock) runs per site; a region with one
/// zone is one site named as the region.
#[derive(Clone, Debug, Serialize)]
pub struct RegionSpec {
    /// The region's name, or "region/zone" in a region with several zones.
    pub name: String,
    pub role: Role,
    pub clock_offset_us: i64,
    pub drift_ppm: f64,
    /// The region this site is a zone of (its own name when it has one zone).
    #[serde(skip)]
    pub region: String,
    #[serde(skip)]
    pub zone: u32,
}

/// The site called `name`, if there is one: a site's own name, or a region's, which
/// names the region's zone 0.
pub fn find(regions: &[RegionSpec], name: &str) -> Option<RegionId> {
    regions
        .iter()
        .position(|r| r.name == name)
        .or_else(|| regions.iter().position(|r| r.region == name && r.zone == 0))
        .map(|i| RegionId(i as u8))
}

/// Every site of the region `site` is in (itself alone when the region has one zone).
pub fn zones_of(regions: &[RegionSpec], site: RegionId) -> impl Iterator<Item = RegionId> + '_ {
    let region = &regions[site.idx()].region;
    regions
        .iter()
        .enumerate()
        .filter(move |(_, r)| &r.region == region)
        .map(|(i, _)| RegionId(i as u8))
}

/// The regions' names, for messages: "us-east, eu-west, ap-south".
pub fn names(regions: &[RegionSpec]) -> String {
    regions.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
}
