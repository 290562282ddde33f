//! Which replicas a single-leader write waits for (`design.replication.sync_standbys`,
//! PostgreSQL's `synchronous_standby_names`).

use super::super::file::*;
use super::super::types::*;
use super::{Validator, R};
use crate::engine::SimDuration;

/// PostgreSQL's `wal_sender_timeout` default.
const TIMEOUT_MS: f64 = 60_000.0;

impl Validator<'_> {
    /// A replica name: `"region/zone"` is that one replica, a region every replica it
    /// holds.
    pub(super) fn sites(&self, regions: &[RegionSpec], path: &str, name: &str) -> R<Vec<RegionId>> {
        match regions.iter().position(|r| r.name == name) {
            Some(site) if name.contains('/') => Ok(vec![RegionId(site as u8)]),
            _ if name.contains('/') => {
                let known = crate::region::names(regions);
                self.err(path, format!("unknown zone replica \"{name}\"; replicas: {known}"))
            }
            _ => {
                let region = self.region(regions, path, name)?;
                Ok(crate::region::zones_of(regions, region).collect())
            }
        }
    }

    /// `wait_point`: `after_sync` needs acknowledgements to wait for; the retired
    /// `reads_after_ack` points at it.
    pub(super) fn wait_point(&self, r: &ReplicationFile) -> R<bool> {
        if let Some(old) = r.reads_after_ack {
            let new = if old { "after_sync" } else { "after_commit" };
            return self.err(
                "design.replication.reads_after_ack",
                format!("is now design.replication.wait_point: write \"wait_point\": \"{new}\""),
            );
        }
        let after_sync = r.wait_point == Some(WaitPointFile::AfterSync);
        if r.wait_point.is_some()
            && !matches!(r.mode, ReplicationModeFile::SemiSync | ReplicationModeFile::Sync)
        {
            return self.err(
                "design.replication.wait_point",
                "says when the primary's readers see a write it waits to have acknowledged; only semi-sync and sync writes wait (consensus never serves a write before a majority holds it): remove it",
            );
        }
        Ok(after_sync)
    }

    pub(super) fn async_fallback(&self, r: &ReplicationFile) -> R<Option<SimDuration>> {
        let Some(ms) = r.async_fallback_ms else { return Ok(None) };
        let path = "design.replication.async_fallback_ms";
        if !matches!(r.mode, ReplicationModeFile::SemiSync | ReplicationModeFile::Sync) {
            return self.err(
                path,
                "is how long semi-sync or sync writes wait before the primary gives up on its replicas; this mode does not wait: remove it",
            );
        }
        self.positive_ms(path, ms).map(Some)
    }

    pub(super) fn sync_standbys(
        &self,
        r: &ReplicationFile,
        regions: &[RegionSpec],
    ) -> R<Option<SyncStandbys>> {
        let Some(s) = &r.sync_standbys else { return Ok(None) };
        let path = "design.replication.sync_standbys";
        if !matches!(r.mode, ReplicationModeFile::SemiSync | ReplicationModeFile::Sync) {
            return self.err(
                path,
                "names the replicas semi-sync or sync writes wait for; set design.replication.mode to \"semi-sync\" or \"sync\", or remove it",
            );
        }
        if s.regions.is_empty() {
            return self.err(
                format!("{path}.regions"),
                "must name at least one replica (a region or \"region/zone\")",
            );
        }
        let mut sites: Vec<RegionId> = Vec::new();
        for (i, name) in s.regions.iter().enumerate() {
            let at = format!("{path}.regions[{i}]");
            for site in self.sites(regions, &at, name)? {
                if sites.contains(&site) {
                    let name = &regions[site.idx()].name;
                    return self.err(at, format!("\"{name}\" is already listed"));
                }
                sites.push(site);
            }
        }
        let primary = regions.iter().position(|r| r.role == crate::region::Role::Primary);
        let others = sites.iter().filter(|s| Some(s.idx()) != primary).count();
        let count = s.count.unwrap_or(1);
        if count == 0 || count as usize > others {
            return self.err(
                format!("{path}.count"),
                format!(
                    "must be 1 to {others} (the listed replicas other than the primary's own), got {count}"
                ),
            );
        }
        let timeout_ms = s.timeout_ms.unwrap_or(TIMEOUT_MS);
        let timeout = self.positive_ms(&format!("{path}.timeout_ms"), timeout_ms)?;
        Ok(Some(SyncStandbys {
            sites,
            first: s.method != Some(SyncMethodFile::Any),
            count: count as usize,
            timeout,
        }))
    }
}
