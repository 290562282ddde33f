//! The design: topology and conflict policies, replication, fencing, promotion and its
//! runbook, routing and reads, capacity, streams, guards, identity.

use super::super::file::*;
use super::super::types::*;
use super::check_place;
use super::regions::default_control_region;
use super::{Validator, R};
use crate::engine::SimDuration;
use crate::field::num;

/// The planted bugs a design asks for.
fn planted(d: &DesignFile) -> PlantedBugs {
    PlantedBugs {
        ignore_lease: d.planted_bugs.contains(&PlantedBugFile::IgnoreLease),
        reuse_epoch: d.planted_bugs.contains(&PlantedBugFile::ReuseEpoch),
    }
}

impl Validator<'_> {
    pub(super) fn design(&self, d: &DesignFile, regions: &[RegionSpec]) -> R<Design> {
        let (topology, conflicts, propose_timeout) = self.topology(d)?;
        let r = &d.replication;
        self.planted_bugs(d)?;
        let replication = self.replication_mode(r, regions)?;
        let control_region = match &d.control_plane.region {
            Some(name) => self.region(regions, "design.control_plane.region", name)?,
            None => default_control_region(regions),
        };
        let (lease, lease_renew) = self.lease(d)?;
        // Fields are checked in the order they are written here, which is the order in
        // which a file's errors are reported: keep it.
        Ok(Design {
            topology,
            conflicts,
            propose_timeout,
            replication,
            apply_rate_per_s: r.apply_rate_per_s,
            repl_batch: self.positive_ms("design.replication.batch_ms", r.batch_ms)?,
            repl_retransmit: self
                .positive_ms("design.replication.retransmit_ms", r.retransmit_ms)?,
            wait_after_sync: self.wait_point(r)?,
            async_fallback: self.async_fallback(r)?,
            commit_level: self.commit_level(r)?,
            standby_flush: self.standby_flush(r)?,
            fencing: d.fencing,
            lease,
            lease_renew,
            clock_uncertainty: self
                .nonneg_ms("design.lease.clock_uncertainty_ms", d.lease.clock_uncertainty_ms)?,
            automated_promotion: d.promotion.automated,
            runbook: self.runbook(&d.promotion.runbook)?,
            detect_after: self
                .positive_ms("design.promotion.detect_after_ms", d.promotion.detect_after_ms)?,
            heartbeat: self
                .positive_ms("design.promotion.heartbeat_ms", d.promotion.heartbeat_ms)?,
            control_region,
            routing_propagation: self
                .nonneg_ms("design.routing.propagation_ms", d.routing.propagation_ms)?,
            routing_refresh: self.positive_ms("design.routing.refresh_ms", d.routing.refresh_ms)?,
            replica_checks_staleness: d.reads.replica_checks_staleness,
            debit_check: check_place(d.accounts.debit_check),
            reserve_check: check_place(d.inventory.reserve_check),
            transition_check: check_place(d.workflow.transition_check),
            session_tokens: d.reads.session_tokens,
            strong_reads_local: d.reads.strong_from == StrongFromFile::NearestReplica,
            bugs: planted(d),
            idempotency_keys: d.idempotency.client_keys,
            idempotency_ttl: self
                .positive_s("design.idempotency.record_ttl_s", d.idempotency.record_ttl_s)?,
            records_replicated: d.idempotency.record == RecordPlaceFile::Datastore,
            stream: self.stream(&d.stream)?,
            capacity: match &d.capacity {
                None => None,
                Some(c) => Some(self.capacity(c)?),
            },
            database: match &d.database {
                None => None,
                Some(db) => Some(self.database(db)?),
            },
            identity: self.identity(d, regions, control_region)?,
            breaker: self.breaker(d)?,
            detection: self.detection(d)?,
            health: self.health(d)?,
            emergency_successor: self.emergency_successor(d, regions)?,
            emergency_quorum: self.emergency_quorum(d)?,
            candidate: self.candidate(d, regions)?,
            require_sync_standby: self.require_sync_standby(d)?,
            planned: self.planned(d, regions)?,
            consensus: self.consensus(d, regions)?,
            sync_standbys: self.sync_standbys(r, regions)?,
        })
    }

    fn planted_bugs(&self, d: &DesignFile) -> R<()> {
        for (i, bug) in d.planted_bugs.iter().enumerate() {
            if *bug == PlantedBugFile::IgnoreLease && !d.fencing {
                return self.err(
                    format!("design.planted_bugs[{i}]"),
                    "ignore-lease skips a fenced primary's lease check; it needs \"fencing\": true",
                );
            }
        }
        Ok(())
    }

    fn replication_mode(&self, r: &ReplicationFile, regions: &[RegionSpec]) -> R<ReplicationMode> {
        let replicas = regions.len() as u32 - 1;
        let mode = match r.mode {
            ReplicationModeFile::Async => ReplicationMode::Async,
            ReplicationModeFile::Sync => ReplicationMode::Sync,
            ReplicationModeFile::Consensus => ReplicationMode::Consensus,
            ReplicationModeFile::SemiSync => {
                if replicas == 0 {
                    return self.err(
                        "design.replication.mode",
                        "semi-sync needs a replica region to acknowledge writes; with one region use \"async\"",
                    );
                }
                if r.acks == 0 || r.acks > replicas {
                    return self.err(
                        "design.replication.acks",
                        format!(
                            "semi-sync waits for 1 to {replicas} replica acknowledgements (there are {replicas} replica regions), got {}",
                            r.acks
                        ),
                    );
                }
                ReplicationMode::SemiSync { acks: r.acks }
            }
        };
        if !r.apply_rate_per_s.is_finite() || r.apply_rate_per_s <= 0.0 {
            return self.err(
                "design.replication.apply_rate_per_s",
                format!("must be a positive rate, got {}", num(r.apply_rate_per_s)),
            );
        }
        Ok(mode)
    }

    /// The writer's lease and how often it is renewed.
    fn lease(&self, d: &DesignFile) -> R<(SimDuration, SimDuration)> {
        let lease = self.positive_ms("design.lease.duration_ms", d.lease.duration_ms)?;
        let lease_renew = self.positive_ms("design.lease.renew_ms", d.lease.renew_ms)?;
        if lease_renew >= lease {
            return self.err(
                "design.lease.renew_ms",
                format!(
                    "must be shorter than design.lease.duration_ms ({} ms), or the lease lapses between renewals",
                    num(d.lease.duration_ms)
                ),
            );
        }
        Ok((lease, lease_renew))
    }

    fn identity(
        &self,
        d: &DesignFile,
        regions: &[RegionSpec],
        control_region: RegionId,
    ) -> R<Option<Identity>> {
        let Some(i) = &d.identity else { return Ok(None) };
        Ok(Some(Identity {
            region: match &i.region {
                Some(n) => self.region(regions, "design.identity.region", n)?,
                None => control_region,
            },
            cache_ttl: match i.cache_ttl_s {
                Some(s) => Some(self.positive_s("design.identity.cache_ttl_s", s)?),
                None => None,
            },
        }))
    }

    fn breaker(&self, d: &DesignFile) -> R<Option<BreakerDesign>> {
        let Some(b) = &d.breaker else { return Ok(None) };
        if !(b.failure_rate > 0.0 && b.failure_rate <= 1.0) {
            return self.err(
                "design.breaker.failure_rate",
                format!("a share above 0 and at most 1, got {}", num(b.failure_rate)),
            );
        }
        if b.window == 0 || b.window > 10_000 || b.probes == 0 || b.probes > 1_000 {
            return self.err("design.breaker", "window is 1 to 10000 attempts, probes 1 to 1000");
        }
        Ok(Some(BreakerDesign {
            failure_rate: b.failure_rate,
            window: b.window,
            open: self.positive_ms("design.breaker.open_ms", b.open_ms)?,
            probes: b.probes,
        }))
    }

    fn detection(&self, d: &DesignFile) -> R<Option<DetectionDesign>> {
        let Some(b) = &d.brownout_detection else { return Ok(None) };
        if !(b.error_rate > 0.0 && b.error_rate <= 1.0) {
            return self.err(
                "design.brownout_detection.error_rate",
                format!("a share above 0 and at most 1, got {}", num(b.error_rate)),
            );
        }
        Ok(Some(DetectionDesign {
            latency_p99: self
                .positive_ms("design.brownout_detection.latency_p99_ms", b.latency_p99_ms)?,
            error_rate: b.error_rate,
        }))
    }

    fn health(&self, d: &DesignFile) -> R<Option<HealthDesign>> {
        let Some(h) = &d.health_checks else { return Ok(None) };
        if h.failure_threshold == 0 || h.failure_threshold > 1_000 {
            return self.err(
                "design.health_checks.failure_threshold",
                format!("must be between 1 and 1000, got {}", h.failure_threshold),
            );
        }
        Ok(Some(HealthDesign {
            interval: self.positive_ms("design.health_checks.interval_ms", h.interval_ms)?,
            threshold: h.failure_threshold,
        }))
    }

    fn emergency_successor(&self, d: &DesignFile, regions: &[RegionSpec]) -> R<Option<RegionId>> {
        let Some(n) = &d.promotion.emergency_successor else { return Ok(None) };
        let r = self.region(regions, "design.promotion.emergency_successor", n)?;
        if regions[r.idx()].role != Role::Standby {
            return self.err(
                "design.promotion.emergency_successor",
                "the emergency successor must be a standby region",
            );
        }
        Ok(Some(r))
    }

    fn emergency_quorum(&self, d: &DesignFile) -> R<bool> {
        if d.promotion.emergency_quorum && d.promotion.emergency_successor.is_none() {
            return self.err(
                "design.promotion.emergency_quorum",
                "a quorum for the emergency successor needs one: set design.promotion.emergency_successor, or remove emergency_quorum",
            );
        }
        Ok(d.promotion.emergency_quorum)
    }

    pub(super) fn topology(
        &self,
        d: &DesignFile,
    ) -> R<(Topology, [ConflictPolicy; KeyKind::COUNT], SimDuration)> {
        let topology = match d.topology {
            TopologyFile::ActivePassive => Topology::ActivePassive,
            TopologyFile::ActiveActiveReads => Topology::ActiveActiveReads,
            TopologyFile::ActiveActiveWrites => Topology::ActiveActiveWrites,
        };
        let Some(c) = &d.conflicts else {
            let mut out = [ConflictPolicy::Lww; KeyKind::COUNT];
            out[KeyKind::List as usize] = ConflictPolicy::Merge;
            return Ok((topology, out, SimDuration::from_secs(1)));
        };
        if topology != Topology::ActiveActiveWrites {
            return self.err("design.conflicts", "conflict policies apply to topology \"active-active-writes\" only; remove them or change design.topology");
        }
        let entities = [
            ("register", c.register),
            ("account", c.account),
            ("item", c.item),
            ("permission", c.permission),
            ("workflow", c.workflow),
            ("list", c.list),
        ];
        let mut out = [ConflictPolicy::Lww; KeyKind::COUNT];
        for (i, (name, p)) in entities.into_iter().enumerate() {
            if name == "list" {
                out[i] = match p {
                    // Appends apply as they arrive either way: there is no value to pick.
                    ConflictPolicyFile::Lww | ConflictPolicyFile::Merge => ConflictPolicy::Merge,
                    ConflictPolicyFile::HomeRegion => ConflictPolicy::HomeRegion,
                    ConflictPolicyFile::RejectConcurrent | ConflictPolicyFile::Escrow => {
                        return self.err(
                            "design.conflicts.list",
                            "lists take \"merge\" (each region appends in arrival order) or \"home-region\" (each list's home orders its appends)",
                        )
                    }
                };
                continue;
            }
            let counter = matches!(name, "account" | "item");
            out[i] = match p {
                ConflictPolicyFile::Lww => ConflictPolicy::Lww,
                ConflictPolicyFile::RejectConcurrent => ConflictPolicy::RejectConcurrent,
                ConflictPolicyFile::HomeRegion => ConflictPolicy::HomeRegion,
                ConflictPolicyFile::Merge if counter => ConflictPolicy::Merge,
                ConflictPolicyFile::Escrow if counter => ConflictPolicy::Escrow,
                ConflictPolicyFile::Merge | ConflictPolicyFile::Escrow => {
                    return self.err(
                        format!("design.conflicts.{name}"),
                        "merge and escrow apply to counters (account, item); use lww, reject-concurrent or home-region",
                    )
                }
            };
        }
        let propose_timeout =
            self.positive_ms("design.conflicts.propose_timeout_ms", c.propose_timeout_ms)?;
        Ok((topology, out, propose_timeout))
    }

    /// Service times per operation kind: `by_op`'s (named by kind or label), else the
    /// default; `at` is the block's path.
    fn service(
        &self,
        at: &str,
        default: &ServiceFile,
        by_op: &std::collections::BTreeMap<String, ServiceFile>,
    ) -> R<[Dist; OpKind::COUNT]> {
        let mut service = [self.dist(&format!("{at}.service"), default)?; OpKind::COUNT];
        self.once_each(&format!("{at}.service_by_op"), by_op)?;
        for (op, sf) in by_op {
            let path = format!("{at}.service_by_op.\"{op}\"");
            let Some(kind) = self.op_kind(op) else {
                return self.unknown_op(path, op);
            };
            service[kind.idx()] = self.dist(&path, sf)?;
        }
        Ok(service)
    }

    /// The datastore's server pool, as one cell of servers every request shares.
    pub(super) fn database(&self, db: &DatabaseFile) -> R<Capacity> {
        for (field, n, max) in
            [("servers", db.servers, 100_000), ("queue_max", db.queue_max, 10_000_000)]
        {
            if n == 0 || n > max {
                return self.err(
                    format!("design.database.{field}"),
                    format!("must be between 1 and {max}, got {n}"),
                );
            }
        }
        let service = self.service("design.database", &db.service, &db.service_by_op)?;
        Ok(Capacity {
            cells: 1,
            servers: db.servers,
            queue_max: db.queue_max,
            service,
            deadline_propagation: false,
            isolation: Isolation::Shared,
            // Nothing crashes a database server (poison customers act on the application tier).
            restart: SimDuration::from_secs(1),
            shed_after: None,
            rate_limit_per_s: None,
        })
    }

    pub(super) fn capacity(&self, c: &CapacityFile) -> R<Capacity> {
        for (field, n, max) in [
            ("cells", c.cells, 1_000),
            ("servers", c.servers, 100_000),
            ("queue_max", c.queue_max, 10_000_000),
        ] {
            if n == 0 || n > max {
                return self.err(
                    format!("design.capacity.{field}"),
                    format!("must be between 1 and {max}, got {n}"),
                );
            }
        }
        let service = self.service("design.capacity", &c.service, &c.service_by_op)?;
        let isolation = match c.isolation {
            IsolationFile::Shared => Isolation::Shared,
            IsolationFile::Cells => Isolation::Cells,
            IsolationFile::ShuffleShard => {
                if c.shard_size == 0 || c.shard_size > c.cells {
                    return self.err(
                        "design.capacity.shard_size",
                        format!(
                            "a shuffle shard takes between 1 and cells ({}) cells, got {}",
                            c.cells, c.shard_size
                        ),
                    );
                }
                Isolation::ShuffleShard { shard_size: c.shard_size }
            }
        };
        let restart = self.positive_ms("design.capacity.restart_ms", c.restart_ms)?;
        let shed_after = match c.shed_after_ms {
            Some(ms) => Some(self.positive_ms("design.capacity.shed_after_ms", ms)?),
            None => None,
        };
        Ok(Capacity {
            cells: c.cells,
            servers: c.servers,
            queue_max: c.queue_max,
            service,
            deadline_propagation: c.deadline_propagation,
            isolation,
            restart,
            shed_after,
            rate_limit_per_s: match c.rate_limit_per_s {
                Some(r) if r.is_finite() && r > 0.0 && r <= 1e7 => Some(r),
                Some(r) => {
                    return self.err(
                        "design.capacity.rate_limit_per_s",
                        format!("must be a positive rate up to 10000000, got {}", num(r)),
                    )
                }
                None => None,
            },
        })
    }

    pub(super) fn dist(&self, path: &str, f: &ServiceFile) -> R<Dist> {
        let mean = self.positive_ms(&format!("{path}.mean_ms"), f.mean_ms)?;
        match (f.dist, f.sigma) {
            (DistFile::Constant, None) => Ok(Dist::Constant { mean }),
            (DistFile::Exponential, None) => Ok(Dist::Exponential { mean }),
            (DistFile::Lognormal, s) => {
                let sigma = s.unwrap_or(0.5);
                if !sigma.is_finite() || sigma <= 0.0 || sigma > 5.0 {
                    return self.err(
                        format!("{path}.sigma"),
                        format!("a lognormal shape is above 0 and at most 5, got {}", num(sigma)),
                    );
                }
                Ok(Dist::Lognormal { mean, sigma })
            }
            (_, Some(_)) => {
                self.err(format!("{path}.sigma"), "only dist \"lognormal\" takes sigma")
            }
        }
    }

    pub(super) fn stream(&self, s: &StreamFile) -> R<StreamDesign> {
        if !s.effects_per_s.is_finite() || s.effects_per_s <= 0.0 || s.effects_per_s > 10_000_000.0
        {
            return self.err(
                "design.stream.effects_per_s",
                format!("must be a positive rate up to 10000000, got {}", num(s.effects_per_s)),
            );
        }
        if s.offset_commit_every == 0 {
            return self.err(
                "design.stream.offset_commit_every",
                "must be at least 1 (commit after every event)",
            );
        }
        if s.dead_letter_after == 0 {
            return self.err("design.stream.dead_letter_after", "must be at least 1 attempt");
        }
        Ok(StreamDesign {
            side_effects: s.side_effects,
            effects_per_s: s.effects_per_s,
            tick: self.positive_ms("design.stream.tick_ms", s.tick_ms)?,
            offset_commit_every: s.offset_commit_every,
            worker_record: match s.worker_record {
                WorkerRecordFile::None => WorkerRecord::None,
                WorkerRecordFile::Datastore => WorkerRecord::Datastore,
                WorkerRecordFile::ProviderKey => WorkerRecord::ProviderKey,
            },
            poison: match s.poison {
                PoisonFile::RetryForever => PoisonPolicy::RetryForever,
                PoisonFile::DeadLetter => PoisonPolicy::DeadLetter { after: s.dead_letter_after },
                PoisonFile::Quarantine => PoisonPolicy::Quarantine,
            },
        })
    }

    pub(super) fn runbook(&self, steps: &[RunbookStepFile]) -> R<Vec<RunbookStep>> {
        if steps.is_empty() {
            return self.err(
                "design.promotion.runbook",
                "an empty runbook would make every promotion do nothing; list its steps, e.g. stop_writes, declare_writer, invalidate_routing, resume_traffic",
            );
        }
        let mut out = Vec::with_capacity(steps.len());
        for (i, s) in steps.iter().enumerate() {
            let kind = match s.step {
                StepKindFile::StopWrites => StepKind::StopWrites,
                StepKindFile::DeclareWriter => StepKind::DeclareWriter,
                StepKindFile::InvalidateRouting => StepKind::InvalidateRouting,
                StepKindFile::ResumeTraffic => StepKind::ResumeTraffic,
                StepKindFile::DrainQueues => StepKind::DrainQueues,
                StepKindFile::Reconcile => StepKind::Reconcile,
                StepKindFile::QuarantineQueues => StepKind::QuarantineQueues,
                StepKindFile::WaitCaughtUp => StepKind::WaitCaughtUp,
            };
            let path = format!("design.promotion.runbook[{i}].duration_ms");
            out.push(RunbookStep { kind, duration: self.nonneg_ms(&path, s.duration_ms)? });
        }
        Ok(out)
    }
}
