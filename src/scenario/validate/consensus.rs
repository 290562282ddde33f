//! Consensus replication's settings: who votes, election timing, leader leases. Each
//! setting belongs to consensus only; given with another mode it is refused, never
//! ignored.

use super::super::file::*;
use super::super::types::*;
use super::{Validator, R};
use crate::field::num;
use crate::region::Role;

/// Election timeout when the file gives none: several cross-region round trips.
const ELECTION_TIMEOUT_MS: (f64, f64) = (1_000.0, 2_000.0);
const HEARTBEAT_MS: f64 = 150.0;

impl Validator<'_> {
    /// The consensus settings in consensus mode; `None` (after refusing any setting
    /// that only consensus reads) in every other mode.
    pub(super) fn consensus(
        &self,
        d: &DesignFile,
        regions: &[RegionSpec],
    ) -> R<Option<ConsensusDesign>> {
        let r = &d.replication;
        if r.mode != ReplicationModeFile::Consensus {
            return self.consensus_only_fields(d).map(|()| None);
        }
        self.consensus_fits(d)?;
        let (voter, witness) = self.voters(r, regions)?;
        let (min, max) = r.election_timeout_ms.map_or(ELECTION_TIMEOUT_MS, |t| (t.min, t.max));
        let path = "design.replication.election_timeout_ms";
        let timeout_min = self.positive_ms(&format!("{path}.min"), min)?;
        let timeout_max = self.positive_ms(&format!("{path}.max"), max)?;
        if timeout_max < timeout_min {
            return self.err(
                format!("{path}.max"),
                format!("must be at least min ({} ms), got {}", num(min), num(max)),
            );
        }
        let heartbeat_ms = r.heartbeat_ms.unwrap_or(HEARTBEAT_MS);
        let heartbeat = self.positive_ms("design.replication.heartbeat_ms", heartbeat_ms)?;
        if heartbeat >= timeout_min {
            return self.err(
                "design.replication.heartbeat_ms",
                format!(
                    "must be shorter than election_timeout_ms.min ({} ms), or followers stand for election between heartbeats; got {}",
                    num(min),
                    num(heartbeat_ms)
                ),
            );
        }
        Ok(Some(ConsensusDesign {
            voter,
            witness,
            election_timeout: (timeout_min, timeout_max),
            heartbeat,
            pre_vote: r.pre_vote.unwrap_or(true),
            check_quorum: r.check_quorum.unwrap_or(true),
            lease_clock: match d.lease.clock {
                None | Some(LeaseClockFile::Monotonic) => LeaseClock::Monotonic,
                Some(LeaseClockFile::Wall) => LeaseClock::Wall,
            },
            lease_check_on_read: d.lease.check != Some(LeaseCheckFile::OnHeartbeat),
            commit_wait: match d.commit_wait {
                Some(c) => Some(CommitWait {
                    epsilon: self.positive_ms("design.commit_wait.epsilon_ms", c.epsilon_ms)?,
                    wait: c.wait.unwrap_or(true),
                }),
                None => None,
            },
            follower_read_lag: match d.reads.follower_reads {
                Some(f) => Some(self.positive_ms(
                    "design.reads.follower_reads.closed_ts_lag_ms",
                    f.closed_ts_lag_ms,
                )?),
                None => None,
            },
        }))
    }

    /// Settings only consensus reads, given with another mode.
    fn consensus_only_fields(&self, d: &DesignFile) -> R<()> {
        let r = &d.replication;
        let given = [
            ("design.replication.voters", r.voters.is_some()),
            ("design.replication.non_voters", r.non_voters.is_some()),
            ("design.replication.witnesses", r.witnesses.is_some()),
            ("design.replication.election_timeout_ms", r.election_timeout_ms.is_some()),
            ("design.replication.heartbeat_ms", r.heartbeat_ms.is_some()),
            ("design.replication.pre_vote", r.pre_vote.is_some()),
            ("design.replication.check_quorum", r.check_quorum.is_some()),
            ("design.lease.clock", d.lease.clock.is_some()),
            ("design.lease.check", d.lease.check.is_some()),
            ("design.reads.follower_reads", d.reads.follower_reads.is_some()),
            ("design.commit_wait", d.commit_wait.is_some()),
        ];
        match given.iter().find(|(_, g)| *g) {
            Some((path, _)) => self.err(
                *path,
                "applies to consensus replication only; set design.replication.mode to \"consensus\" or remove it",
            ),
            None => Ok(()),
        }
    }

    /// What consensus replaces (the control plane's promotions and leases) cannot be
    /// configured beside it.
    fn consensus_fits(&self, d: &DesignFile) -> R<()> {
        if d.topology == TopologyFile::ActiveActiveWrites {
            return self.err(
                "design.replication.mode",
                "consensus elects one leader; it does not combine with the active-active-writes topology",
            );
        }
        if d.fencing {
            return self.err(
                "design.fencing",
                "consensus fences by term on its own; \"fencing\" configures the control plane's leases, which consensus does not use: remove it",
            );
        }
        if d.promotion.emergency_successor.is_some() {
            return self.err(
                "design.promotion.emergency_successor",
                "under consensus, leaders are elected by vote; there is no emergency successor: remove it",
            );
        }
        if let Some(i) = d.planted_bugs.iter().position(|b| *b == PlantedBugFile::ReuseEpoch) {
            return self.err(
                format!("design.planted_bugs[{i}]"),
                "reuse-epoch plants a bug in the control plane's promotion, which consensus does not use",
            );
        }
        Ok(())
    }

    /// Per region: whether its replica votes, and whether it is a witness.
    fn voters(&self, r: &ReplicationFile, regions: &[RegionSpec]) -> R<(Vec<bool>, Vec<bool>)> {
        let n = regions.len();
        let mut listed: Vec<Option<&str>> = vec![None; n];
        let mut mark = |list: &Option<Vec<String>>, what: &'static str| -> R<Vec<bool>> {
            let mut set = vec![false; n];
            for (i, name) in list.iter().flatten().enumerate() {
                let path = format!("design.replication.{what}[{i}]");
                // "region/zone" names one replica; a region, every replica it holds.
                let sites = self.sites(regions, &path, name)?;
                for site in sites {
                    if let Some(other) = listed[site.idx()] {
                        return self.err(
                            path,
                            format!(
                                "\"{}\" is already listed in {other}; a replica has one part",
                                regions[site.idx()].name
                            ),
                        );
                    }
                    listed[site.idx()] = Some(what);
                    set[site.idx()] = true;
                }
            }
            Ok(set)
        };
        let witness = mark(&r.witnesses, "witnesses")?;
        let non_voter = mark(&r.non_voters, "non_voters")?;
        let explicit = mark(&r.voters, "voters")?;
        let voter: Vec<bool> = (0..n)
            .map(|i| match &r.voters {
                Some(_) => explicit[i] || witness[i],
                None => witness[i] || (!non_voter[i] && regions[i].role != Role::ReadReplica),
            })
            .collect();
        let primary = regions.iter().position(|x| x.role == Role::Primary).unwrap_or(0);
        if !voter[primary] || witness[primary] {
            return self.err(
                "design.replication.voters",
                format!(
                    "the primary region \"{}\" leads at the start, so it must be a voter (not a witness or non-voter)",
                    regions[primary].name
                ),
            );
        }
        Ok((voter, witness))
    }
}
