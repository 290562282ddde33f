//! What would have prevented a violation, in the design's own terms: the knob and the
//! value, chosen from what the design has (an async design is told to wait for a
//! replica; a fenced one is not told to fence). Advice, not proof: the trail says what
//! happened, and a variant with the change (`gameday compare`) shows whether it helps.

use crate::scenario::{
    Candidate, CommitLevel, DebitCheck, ReplicationMode, Scenario, Topology, WorkerRecord,
};

/// The change that would prevent a violation of invariant `id` under `s`'s design, if
/// the design offers one; `what` is the first violation, as its trail ends.
pub fn prevention(id: &str, s: &Scenario, what: &str) -> Option<String> {
    let d = &s.design;
    match id {
        "single_writer" | "fenced_writes" if !d.fencing && d.consensus.is_none() => Some(
            "set design.fencing to true: the old writer's lease runs out before a new writer is named, and epoch tokens refuse its late writes".into(),
        ),
        "single_writer" | "fenced_writes" if d.lease >= d.detect_after => Some(format!(
            "keep design.lease.duration_ms ({} ms) below design.promotion.detect_after_ms ({} ms), so a lease always runs out before a promotion",
            d.lease.as_ms_f64(),
            d.detect_after.as_ms_f64()
        )),
        "acked_durability" => durability(s),
        "linearizable" if !d.wait_after_sync && matches!(d.replication, ReplicationMode::SemiSync { .. } | ReplicationMode::Sync) => Some(
            "set design.replication.wait_point to \"after_sync\": the primary's readers then see a write only once a replica holds it".into(),
        ),
        "linearizable" | "freshness" if !d.fencing && d.consensus.is_none() => Some(
            "set design.fencing to true, so a deposed writer stops serving strong reads when its lease runs out".into(),
        ),
        "freshness" if !d.replica_checks_staleness => Some(
            "set design.reads.replica_checks_staleness to true: a replica then refuses a bounded read it cannot serve within its bound (the client tries the writer)".into(),
        ),
        "domain" => domain(s),
        "session" if !d.session_tokens => Some(
            "set design.reads.session_tokens to true: a replica then refuses a session read it has not caught up with".into(),
        ),
        // A worker called the provider twice: only the provider can recognise the repeat.
        "exactly_once_effects"
            if what.contains("external effect happens twice")
                && d.stream.worker_record != WorkerRecord::ProviderKey =>
        {
            Some(PROVIDER_KEY.into())
        }
        "exactly_once_effects" if !d.idempotency_keys => Some(
            "set design.idempotency.client_keys to true: a retried write is then recognised by its key and applied once".into(),
        ),
        "exactly_once_effects" if d.stream.side_effects && d.stream.worker_record != WorkerRecord::ProviderKey => Some(
            PROVIDER_KEY.into(),
        ),
        "no_lost_update" | "append_integrity" if d.topology == Topology::ActiveActiveWrites => Some(
            "give the entity a conflict policy that keeps every writer's intent (design.conflicts: merge for counters and lists, reject-concurrent, home-region or escrow) instead of last-writer-wins".into(),
        ),
        _ => None,
    }
}

const PROVIDER_KEY: &str = "set design.stream.worker_record to \"provider-key\": the provider then performs each operation's effect once, whatever is replayed or called again";

fn durability(s: &Scenario) -> Option<String> {
    let d = &s.design;
    if d.consensus.is_some() {
        return None;
    }
    if d.replication == ReplicationMode::Async {
        return Some("set design.replication.mode to \"semi-sync\" (or \"sync\"), so a write is acknowledged only once a replica outside the failure holds it".into());
    }
    if d.async_fallback.is_some() {
        return Some("remove design.replication.async_fallback_ms: the primary then refuses writes it cannot replicate instead of acknowledging them unreplicated (Patroni's synchronous_mode_strict)".into());
    }
    if d.commit_level == CommitLevel::RemoteWrite && d.standby_flush.as_us() > 0 {
        return Some("set design.replication.commit_level to \"flush\": a standby then acknowledges only what is on its disk".into());
    }
    if matches!(d.candidate, Candidate::Fixed(_)) {
        return Some("set design.promotion.candidate to \"most-advanced\" and remove design.promotion.target: the failover then promotes the standby that holds the most".into());
    }
    if let Some(ss) = &d.sync_standbys {
        let primary = s.regions[s.primary().idx()].region.clone();
        let home = |r: &&crate::scenario::RegionId| s.regions[r.idx()].region == primary;
        // FIRST k: the first k listed; ANY k: any k of those in the primary's region.
        let local = if ss.first {
            ss.sites.iter().take(ss.count).all(|r| home(&r))
        } else {
            ss.sites.iter().filter(home).count() >= ss.count
        };
        if local {
            return Some(format!("name a synchronous standby outside {primary} first in design.replication.sync_standbys, so losing the region cannot take every acknowledged copy"));
        }
    }
    None
}

fn domain(s: &Scenario) -> Option<String> {
    let d = &s.design;
    let local = [
        ("design.accounts.debit_check", d.debit_check),
        ("design.inventory.reserve_check", d.reserve_check),
        ("design.workflow.transition_check", d.transition_check),
    ];
    let knobs: Vec<&str> =
        local.iter().filter(|(_, c)| *c == DebitCheck::LocalRead).map(|(k, _)| *k).collect();
    if !knobs.is_empty() {
        return Some(format!(
            "set {} to \"writer\": the rule is then checked inside the writer's commit, not against a replica's copy",
            knobs.join(", ")
        ));
    }
    let check = s.workload.read_class[crate::scenario::OpKind::PermissionCheck.idx()];
    (check != crate::scenario::ReadClass::Strong).then(|| {
        format!(
            "check permissions with strong reads (set workload.read_classes.\"{}\".class to \"strong\"), so a check never misses an acknowledged revoke",
            s.workload.op_name(crate::scenario::OpKind::PermissionCheck)
        )
    })
}
