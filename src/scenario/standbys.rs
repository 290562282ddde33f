//! A single-leader design's standbys, validated: which ones a write waits for, and
//! which one a promotion picks.

use crate::engine::SimDuration;
use crate::region::RegionId;
use serde::Serialize;

/// How the control plane picks the standby to promote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Candidate {
    /// The longest log by the standbys' last heartbeats.
    LeastLagged,
    /// Ask every standby for its log position now, wait up to the timeout, promote the
    /// longest.
    MostAdvanced { timeout: SimDuration },
    /// Always this one.
    Fixed(RegionId),
}

/// The replicas a single-leader write waits for (PostgreSQL's
/// `synchronous_standby_names`).
#[derive(Clone, Debug, Serialize)]
pub struct SyncStandbys {
    /// Replicas (sites), in priority order.
    pub sites: Vec<RegionId>,
    /// `FIRST k`: the first `count` connected replicas of the list; else `ANY k`.
    pub first: bool,
    pub count: usize,
    /// Unheard for this long, a replica is no longer connected.
    pub timeout: SimDuration,
}

/// What a replica's acknowledgement promises (PostgreSQL's `synchronous_commit`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum CommitLevel {
    /// Received: in the replica's memory, lost if it crashes before its disk flush.
    RemoteWrite,
    /// Durable on the replica's disk.
    #[default]
    Flush,
    /// Applied: the replica's readers see it.
    RemoteApply,
}
