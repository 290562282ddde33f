//! Which replicas a single-leader write waits for (`design.replication.sync_standbys`,
//! PostgreSQL's `synchronous_standby_names`).

use super::super::file::*;
use super::super::types::*;
use super::{Validator, R};
use crate::engine::SimDuration;

/// How long a most-advanced promotion waits for positions, by default.
const QUERY_TIMEOUT_MS: f64 = 1_000.0;

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

    /// `promotion.candidate` and its settings.
    pub(super) fn candidate(&self, d: &DesignFile, regions: &[RegionSpec]) -> R<Candidate> {
        let p = &d.promotion;
        let candidate = p.candidate.unwrap_or(CandidateFile::LeastLagged);
        if p.target.is_some() && candidate != CandidateFile::Fixed {
            return self.err(
                "design.promotion.target",
                "names the standby a fixed promotion picks; set design.promotion.candidate to \"fixed\", or remove it",
            );
        }
        if p.query_timeout_ms.is_some() && candidate != CandidateFile::MostAdvanced {
            return self.err(
                "design.promotion.query_timeout_ms",
                "is how long a most-advanced promotion waits for the standbys' positions; set design.promotion.candidate to \"most-advanced\", or remove it",
            );
        }
        Ok(match candidate {
            CandidateFile::LeastLagged => Candidate::LeastLagged,
            CandidateFile::MostAdvanced => {
                let ms = p.query_timeout_ms.unwrap_or(QUERY_TIMEOUT_MS);
                let timeout = self.positive_ms("design.promotion.query_timeout_ms", ms)?;
                Candidate::MostAdvanced { timeout }
            }
            CandidateFile::Fixed => {
                let path = "design.promotion.target";
                let Some(name) = &p.target else {
                    return self.err(
                        path,
                        "a fixed promotion needs the standby it promotes, e.g. \"eu-west\"",
                    );
                };
                let site = self.sites(regions, path, name)?[0];
                if regions[site.idx()].role != crate::region::Role::Standby {
                    return self.err(
                        path,
                        format!(
                            "\"{name}\" is not a standby; the control plane promotes standbys only"
                        ),
                    );
                }
                Candidate::Fixed(site)
            }
        })
    }

    /// `promotion.planned`: a time within the drill and a standby.
    pub(super) fn planned(
        &self,
        d: &DesignFile,
        regions: &[RegionSpec],
    ) -> R<Option<(crate::engine::SimTime, RegionId)>> {
        let Some(p) = &d.promotion.planned else { return Ok(None) };
        let path = "design.promotion.planned";
        // (That it falls within the drill is checked with the duration.)
        let at = self.nonneg_s(&format!("{path}.at_s"), p.at_s)?;
        let to = self.sites(regions, &format!("{path}.to"), &p.to)?[0];
        if regions[to.idx()].role != crate::region::Role::Standby {
            return self.err(
                format!("{path}.to"),
                format!(
                    "\"{}\" is not a standby; a switchover hands the writer's role to a standby",
                    p.to
                ),
            );
        }
        Ok(Some((crate::engine::SimTime::ZERO + at, to)))
    }

    pub(super) fn require_sync_standby(&self, d: &DesignFile) -> R<bool> {
        if d.promotion.require_sync_standby && d.replication.sync_standbys.is_none() {
            return self.err(
                "design.promotion.require_sync_standby",
                "promotes only a standby named in design.replication.sync_standbys, and there is none: name them, or remove it",
            );
        }
        Ok(d.promotion.require_sync_standby)
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

    pub(super) fn commit_level(&self, r: &ReplicationFile) -> R<CommitLevel> {
        let Some(level) = r.commit_level else { return Ok(CommitLevel::default()) };
        if !matches!(r.mode, ReplicationModeFile::SemiSync | ReplicationModeFile::Sync) {
            return self.err(
                "design.replication.commit_level",
                "says what the replicas' acknowledgements that semi-sync or sync writes wait for promise; this mode waits for none: set design.replication.mode to \"semi-sync\" or \"sync\", or remove it",
            );
        }
        Ok(match level {
            CommitLevelFile::RemoteWrite => CommitLevel::RemoteWrite,
            CommitLevelFile::Flush => CommitLevel::Flush,
            CommitLevelFile::RemoteApply => CommitLevel::RemoteApply,
        })
    }

    pub(super) fn standby_flush(&self, r: &ReplicationFile) -> R<SimDuration> {
        let Some(ms) = r.standby_flush_ms else { return Ok(SimDuration::ZERO) };
        let path = "design.replication.standby_flush_ms";
        if r.mode == ReplicationModeFile::Consensus {
            return self.err(
                path,
                "applies to single-leader replicas; a consensus replica makes an entry durable before it acknowledges it: remove it",
            );
        }
        self.nonneg_ms(path, ms)
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
        if others == 0 {
            return self.err(
                format!("{path}.regions"),
                "names only the primary's own replica, which never waits for itself: list a standby or a zone replica",
            );
        }
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
