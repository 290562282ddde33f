//! Regions, their clocks, and the network between them.

use super::super::file::*;
use super::super::types::*;
use super::REGIONS_MAX;

/// Zones one region may have.
const ZONES_MAX: u32 = 9;
use super::{Validator, R};
use crate::field;

impl Validator<'_> {
    pub(super) fn regions(&self, rs: &[RegionFile]) -> R<Vec<RegionSpec>> {
        if rs.is_empty() {
            return self.err("regions", "at least one region is needed");
        }
        if rs.len() > REGIONS_MAX {
            return self.err("regions", format!("at most {REGIONS_MAX} regions, got {}", rs.len()));
        }
        let mut out: Vec<RegionSpec> = Vec::with_capacity(rs.len());
        for (i, r) in rs.iter().enumerate() {
            let path = format!("regions[{i}]");
            if r.name.is_empty() || r.name.contains('/') || r.name.chars().any(char::is_whitespace)
            {
                return self.err(
                    format!("{path}.name"),
                    format!("\"{}\" is not a region name; use letters, digits and dashes", r.name),
                );
            }
            if out.iter().any(|o| o.region == r.name) {
                return self
                    .err(format!("{path}.name"), format!("region \"{}\" is named twice", r.name));
            }
            self.field(field::clock_offset(&format!("{path}.clock.offset_ms"), r.clock.offset_ms))?;
            self.field(field::drift(&format!("{path}.clock.drift_ppm"), r.clock.drift_ppm))?;
            let role = match r.role {
                RoleFile::Primary => Role::Primary,
                RoleFile::Standby => Role::Standby,
                RoleFile::ReadReplica => Role::ReadReplica,
            };
            self.push_zones(&mut out, r, role, &path)?;
        }
        let mut primaries = out.iter().enumerate().filter(|(_, r)| r.role == Role::Primary);
        let Some((_, first)) = primaries.next() else {
            return self.err(
                "regions",
                "no region has role \"primary\"; an active-passive design needs exactly one",
            );
        };
        if let Some((i, second)) = primaries.next() {
            return self.err(
                format!("regions[{i}].role"),
                format!(
                    "\"{}\" is a second primary after \"{}\"; an active-passive design has exactly one (the others are \"standby\" or \"read-replica\")",
                    second.name, first.name
                ),
            );
        }
        Ok(out)
    }

    /// A region's replicas: itself, or one site per zone named "region/zone".
    fn push_zones(
        &self,
        out: &mut Vec<RegionSpec>,
        r: &RegionFile,
        role: Role,
        path: &str,
    ) -> R<()> {
        let zones = r.zones.unwrap_or(1);
        if zones == 0 || zones > ZONES_MAX {
            return self.err(
                format!("{path}.zones"),
                format!("a region has 1 to {ZONES_MAX} zones, got {zones}"),
            );
        }
        for zone in 0..zones {
            if out.len() == REGIONS_MAX {
                return self.err(
                    format!("{path}.zones"),
                    format!("at most {REGIONS_MAX} replicas (regions times zones) in all"),
                );
            }
            let name = if zones == 1 { r.name.clone() } else { format!("{}/{zone}", r.name) };
            // A primary region's other zones hold standbys.
            let role = if zone > 0 && role == Role::Primary { Role::Standby } else { role };
            out.push(RegionSpec {
                name,
                role,
                clock_offset_us: (r.clock.offset_ms * 1e3).round() as i64,
                drift_ppm: r.clock.drift_ppm,
                region: r.name.clone(),
                zone,
            });
        }
        Ok(())
    }

    pub(super) fn network(
        &self,
        n: &NetworkFile,
        regions: &[RegionSpec],
    ) -> R<(Vec<Vec<u64>>, u64)> {
        let default = self.positive_ms("network.default_rtt_ms", n.default_rtt_ms)?.as_us();
        let local = self.positive_ms("network.local_rtt_ms", n.local_rtt_ms)?.as_us();
        let jitter = self.nonneg_ms("network.jitter_ms", n.jitter_ms)?.as_us();
        let zone_rtt = match n.zone_rtt_ms {
            Some(ms) => self.positive_ms("network.zone_rtt_ms", ms)?.as_us(),
            None => 1_000,
        };
        let k = regions.len();
        let mut m = vec![vec![default; k]; k];
        for (i, row) in m.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                if i == j {
                    *cell = local;
                } else if regions[i].region == regions[j].region {
                    *cell = zone_rtt;
                }
            }
        }
        for (key, ms) in &n.rtt_ms {
            let path = format!("network.rtt_ms.\"{key}\"");
            let Some((a, b)) = key.split_once('/') else {
                return self.err(path, "keys name a pair of regions as \"a/b\"");
            };
            let a = self.region(regions, &path, a)?;
            let b = self.region(regions, &path, b)?;
            if regions[a.idx()].region == regions[b.idx()].region {
                return self.err(
                    path,
                    "a pair needs two different regions; set network.local_rtt_ms for one region",
                );
            }
            let us = self.positive_ms(&path, *ms)?.as_us();
            for x in crate::region::zones_of(regions, a) {
                for y in crate::region::zones_of(regions, b) {
                    m[x.idx()][y.idx()] = us;
                    m[y.idx()][x.idx()] = us;
                }
            }
        }
        Ok((m, jitter))
    }
}

/// The control plane defaults to the first standby: putting it beside the primary would
/// make one regional failure take out both the writer and whatever promotes a new one.
pub(super) fn default_control_region(regions: &[RegionSpec]) -> RegionId {
    let i = regions.iter().position(|r| r.role == Role::Standby).unwrap_or(0);
    RegionId(i as u8)
}
