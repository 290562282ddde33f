//! From `ScenarioFile` to `Scenario`: resolves defaults, interns region names, checks
//! every cross-reference and range, and reports the first problem with its field path.

use super::file::*;
use super::types::*;
use super::ScenarioError;
use crate::engine::{fnv1a64, SimDuration, SimTime};

/// Invariant ids a scenario's `expect` may name.
pub const KNOWN_INVARIANTS: &[&str] =
    &["single_writer", "fenced_writes", "acked_durability", "freshness", "domain"];

const REGIONS_MAX: usize = 16;
const KEYS_MAX: u32 = 1_000_000;

/// Reads and validates the scenario at `path`.
pub fn load(path: &str) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::Io { file: path.to_string(), reason: e.to_string() })?;
    from_str(path, &text)
}

/// Parses and validates scenario text; `file` names it in errors.
pub fn from_str(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let raw: ScenarioFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            let msg = strip_position(&inner.to_string());
            ScenarioError::Syntax {
                file: file.to_string(),
                line: inner.line(),
                column: inner.column(),
                msg,
            }
        } else {
            let path = e.path().to_string();
            let path = if path == "." { "(top level)".to_string() } else { path };
            ScenarioError::Invalid { file: file.to_string(), path, msg: inner.to_string() }
        }
    })?;
    let mut v = Validator { file, source_hash: fnv1a64(text.as_bytes()) };
    v.scenario(raw)
}

/// serde_json appends " at line L column C"; syntax errors print the position up front.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

struct Validator<'a> {
    file: &'a str,
    source_hash: u64,
}

type R<T> = Result<T, ScenarioError>;

impl Validator<'_> {
    fn err<T>(&self, path: impl Into<String>, msg: impl Into<String>) -> R<T> {
        Err(ScenarioError::Invalid {
            file: self.file.to_string(),
            path: path.into(),
            msg: msg.into(),
        })
    }

    fn positive_ms(&self, path: &str, ms: f64) -> R<SimDuration> {
        if !ms.is_finite() || ms <= 0.0 {
            return self.err(path, format!("must be a positive number of milliseconds, got {ms}"));
        }
        Ok(SimDuration::from_us((ms * 1e3).round().max(1.0) as u64))
    }

    fn nonneg_ms(&self, path: &str, ms: f64) -> R<SimDuration> {
        if !ms.is_finite() || ms < 0.0 {
            return self.err(path, format!("must be zero or more milliseconds, got {ms}"));
        }
        Ok(SimDuration::from_us((ms * 1e3).round() as u64))
    }

    fn positive_s(&self, path: &str, s: f64) -> R<SimDuration> {
        if !s.is_finite() || s <= 0.0 {
            return self.err(path, format!("must be a positive number of seconds, got {s}"));
        }
        Ok(SimDuration::from_secs_f64(s))
    }

    fn region(&self, regions: &[RegionSpec], path: &str, name: &str) -> R<RegionId> {
        match regions.iter().position(|r| r.name == name) {
            Some(i) => Ok(RegionId(i as u8)),
            None => {
                let known: Vec<&str> = regions.iter().map(|r| r.name.as_str()).collect();
                self.err(path, format!("unknown region \"{name}\"; known: {}", known.join(", ")))
            }
        }
    }

    fn scenario(&mut self, f: ScenarioFile) -> R<Scenario> {
        if f.version != 1 {
            return self.err(
                "version",
                format!("unsupported version {}; this gameday reads version 1", f.version),
            );
        }
        if f.name.trim().is_empty() {
            return self.err("name", "must not be empty");
        }
        let duration = self.positive_s("duration_s", f.duration_s)?;
        let regions = self.regions(&f.regions)?;
        let (rtt_us, jitter_mean_us) = self.network(&f.network, &regions)?;
        let design = self.design(&f.design, &regions)?;
        let workload = self.workload(&f.workload, &regions)?;
        let faults = self.faults(&f.faults, &regions, duration, &design)?;
        let (events_max, sim_time_max, convergence_max) = self.limits(&f.limits, duration)?;
        let expect = match f.expect {
            Some(e) => Some(self.expect(e)?),
            None => None,
        };
        Ok(Scenario {
            name: f.name,
            description: f.description,
            seed: f.seed,
            duration,
            source_hash: self.source_hash,
            source_path: self.file.to_string(),
            regions,
            rtt_us,
            jitter_mean_us,
            design,
            workload,
            faults,
            events_max,
            sim_time_max,
            convergence_max,
            expect,
        })
    }

    fn regions(&self, rs: &[RegionFile]) -> R<Vec<RegionSpec>> {
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
            if out.iter().any(|o| o.name == r.name) {
                return self
                    .err(format!("{path}.name"), format!("region \"{}\" is named twice", r.name));
            }
            if !r.clock.offset_ms.is_finite()
                || !r.clock.drift_ppm.is_finite()
                || r.clock.drift_ppm.abs() >= 1e6
            {
                return self.err(
                    format!("{path}.clock"),
                    "offset_ms and drift_ppm must be finite; |drift_ppm| below 1000000",
                );
            }
            let role = match r.role {
                RoleFile::Primary => Role::Primary,
                RoleFile::Standby => Role::Standby,
                RoleFile::ReadReplica => Role::ReadReplica,
            };
            out.push(RegionSpec {
                name: r.name.clone(),
                role,
                clock_offset_us: (r.clock.offset_ms * 1e3).round() as i64,
                drift_ppm: r.clock.drift_ppm,
            });
        }
        let primaries = out.iter().filter(|r| r.role == Role::Primary).count();
        if primaries != 1 {
            return self.err("regions", format!("an active-passive design needs exactly one region with role \"primary\", found {primaries}"));
        }
        Ok(out)
    }

    fn network(&self, n: &NetworkFile, regions: &[RegionSpec]) -> R<(Vec<Vec<u64>>, u64)> {
        let default = self.positive_ms("network.default_rtt_ms", n.default_rtt_ms)?.as_us();
        let local = self.positive_ms("network.local_rtt_ms", n.local_rtt_ms)?.as_us();
        let jitter = self.nonneg_ms("network.jitter_ms", n.jitter_ms)?.as_us();
        let k = regions.len();
        let mut m = vec![vec![default; k]; k];
        for (i, row) in m.iter_mut().enumerate() {
            row[i] = local;
        }
        for (key, ms) in &n.rtt_ms {
            let path = format!("network.rtt_ms.\"{key}\"");
            let Some((a, b)) = key.split_once('/') else {
                return self.err(path, "keys name a pair of regions as \"a/b\"");
            };
            let a = self.region(regions, &path, a)?;
            let b = self.region(regions, &path, b)?;
            if a == b {
                return self.err(
                    path,
                    "a pair needs two different regions; set network.local_rtt_ms for one region",
                );
            }
            let us = self.positive_ms(&path, *ms)?.as_us();
            m[a.idx()][b.idx()] = us;
            m[b.idx()][a.idx()] = us;
        }
        Ok((m, jitter))
    }

    fn design(&self, d: &DesignFile, regions: &[RegionSpec]) -> R<Design> {
        let TopologyFile::ActivePassive = d.topology;
        let r = &d.replication;
        let replicas = regions.len() as u32 - 1;
        let replication = match r.mode {
            ReplicationModeFile::Async => ReplicationMode::Async,
            ReplicationModeFile::Sync => ReplicationMode::Sync,
            ReplicationModeFile::SemiSync => {
                if r.acks == 0 || r.acks > replicas {
                    return self.err("design.replication.acks", format!("semi-sync needs between 1 and {replicas} replica acks (the replicas there are), got {}", r.acks));
                }
                ReplicationMode::SemiSync { acks: r.acks }
            }
        };
        if !r.apply_rate_per_s.is_finite() || r.apply_rate_per_s <= 0.0 {
            return self.err(
                "design.replication.apply_rate_per_s",
                format!("must be a positive rate, got {}", r.apply_rate_per_s),
            );
        }
        let control_region = match &d.control_plane.region {
            Some(name) => self.region(regions, "design.control_plane.region", name)?,
            None => default_control_region(regions),
        };
        let lease = self.positive_ms("design.lease.duration_ms", d.lease.duration_ms)?;
        let lease_renew = self.positive_ms("design.lease.renew_ms", d.lease.renew_ms)?;
        if lease_renew >= lease {
            return self.err("design.lease.renew_ms", format!("must be shorter than design.lease.duration_ms ({} ms), or the lease lapses between renewals", d.lease.duration_ms));
        }
        Ok(Design {
            replication,
            apply_rate_per_s: r.apply_rate_per_s,
            repl_batch: self.positive_ms("design.replication.batch_ms", r.batch_ms)?,
            repl_retransmit: self
                .positive_ms("design.replication.retransmit_ms", r.retransmit_ms)?,
            fencing: d.fencing,
            lease,
            lease_renew,
            clock_uncertainty: self
                .nonneg_ms("design.lease.clock_uncertainty_ms", d.lease.clock_uncertainty_ms)?,
            automated_promotion: d.promotion.automated,
            detect_after: self
                .positive_ms("design.promotion.detect_after_ms", d.promotion.detect_after_ms)?,
            heartbeat: self
                .positive_ms("design.promotion.heartbeat_ms", d.promotion.heartbeat_ms)?,
            control_region,
            routing_propagation: self
                .nonneg_ms("design.routing.propagation_ms", d.routing.propagation_ms)?,
            routing_refresh: self.positive_ms("design.routing.refresh_ms", d.routing.refresh_ms)?,
            replica_checks_staleness: d.reads.replica_checks_staleness,
            debit_check: match d.accounts.debit_check {
                DebitCheckFile::Writer => DebitCheck::Writer,
                DebitCheckFile::LocalRead => DebitCheck::LocalRead,
            },
        })
    }

    fn workload(&self, w: &WorkloadFile, regions: &[RegionSpec]) -> R<Workload> {
        if !w.rate_per_s.is_finite() || w.rate_per_s <= 0.0 || w.rate_per_s > 10_000_000.0 {
            return self.err(
                "workload.rate_per_s",
                format!("must be a positive rate up to 10000000, got {}", w.rate_per_s),
            );
        }
        let mix = self.mix(&w.mix)?;
        let client_regions = match &w.clients {
            None => (0..regions.len()).map(|i| RegionId(i as u8)).collect(),
            Some(names) => {
                if names.is_empty() {
                    return self.err(
                        "workload.clients",
                        "name at least one region, or leave the field out for all regions",
                    );
                }
                let mut ids = Vec::new();
                for (i, n) in names.iter().enumerate() {
                    ids.push(self.region(regions, &format!("workload.clients[{i}]"), n)?);
                }
                ids
            }
        };
        for (field, n) in [("registers", w.registers), ("accounts", w.accounts)] {
            if n == 0 || n > KEYS_MAX {
                return self.err(
                    format!("workload.{field}"),
                    format!("must be between 1 and {KEYS_MAX}, got {n}"),
                );
            }
        }
        if w.accounts < 2 && mix.iter().any(|(k, _)| *k == OpKind::AccountTransfer) {
            return self.err("workload.accounts", "account.transfer needs at least 2 accounts");
        }
        if w.initial_balance < 0 {
            return self.err(
                "workload.initial_balance",
                format!("must be zero or more, got {}", w.initial_balance),
            );
        }
        if w.amount_max < 1 {
            return self
                .err("workload.amount_max", format!("must be at least 1, got {}", w.amount_max));
        }
        if w.retry.attempts == 0 || w.retry.attempts > 100 {
            return self.err(
                "workload.retry.attempts",
                format!("must be between 1 and 100 (1 means no retry), got {}", w.retry.attempts),
            );
        }
        let mut read_class = [ReadClass::Strong; 7];
        for (key, rc) in &w.read_classes {
            let path = format!("workload.read_classes.\"{key}\"");
            let kind = match OpKind::parse(key) {
                Some(k) if k.is_read() => k,
                _ => {
                    return self.err(
                        path,
                        "read classes apply to read operations: register.read, account.read",
                    )
                }
            };
            read_class[kind.idx()] = match (rc.class, rc.bound_ms) {
                (ReadClassKindFile::Strong, None) => ReadClass::Strong,
                (ReadClassKindFile::Eventual, None) => ReadClass::Eventual,
                (ReadClassKindFile::Bounded, Some(ms)) => {
                    ReadClass::Bounded(self.positive_ms(&format!("{path}.bound_ms"), ms)?)
                }
                (ReadClassKindFile::Bounded, None) => {
                    return self.err(format!("{path}.bound_ms"), "class \"bounded\" needs bound_ms")
                }
                (_, Some(_)) => {
                    return self
                        .err(format!("{path}.bound_ms"), "only class \"bounded\" takes bound_ms")
                }
            };
        }
        Ok(Workload {
            rate_per_s: w.rate_per_s,
            mix,
            client_regions,
            registers: w.registers,
            accounts: w.accounts,
            initial_balance: w.initial_balance,
            amount_max: w.amount_max,
            timeout: self.positive_ms("workload.timeout_ms", w.timeout_ms)?,
            attempts: w.retry.attempts,
            backoff: self.nonneg_ms("workload.retry.backoff_ms", w.retry.backoff_ms)?,
            backoff_max: self.nonneg_ms("workload.retry.backoff_max_ms", w.retry.backoff_max_ms)?,
            read_class,
        })
    }

    fn mix(&self, mix: &std::collections::BTreeMap<String, f64>) -> R<Vec<(OpKind, u32)>> {
        if mix.is_empty() {
            return self.err("workload.mix", "name at least one operation");
        }
        let mut out = Vec::new();
        let mut sum = 0.0;
        let mut cumulative: u32 = 0;
        for (key, p) in mix {
            let path = format!("workload.mix.\"{key}\"");
            let Some(kind) = OpKind::parse(key) else {
                let known: Vec<&str> = OpKind::ALL.iter().map(|k| k.name()).collect();
                return self.err(path, format!("unknown operation; known: {}", known.join(", ")));
            };
            if !p.is_finite() || !(0.0..=1.0).contains(p) {
                return self.err(path, format!("a share must be between 0 and 1, got {p}"));
            }
            sum += p;
            cumulative += (p * 1e6).round() as u32;
            if *p > 0.0 {
                out.push((kind, cumulative));
            }
        }
        if (sum - 1.0).abs() > 1e-6 {
            return self.err("workload.mix", format!("shares must sum to 1, they sum to {sum}"));
        }
        // Rounding may leave the last bucket a few ppm short; the last entry closes the range.
        if let Some(last) = out.last_mut() {
            last.1 = 1_000_000;
        }
        Ok(out)
    }

    fn faults(
        &self,
        fs: &[FaultFile],
        regions: &[RegionSpec],
        duration: SimDuration,
        design: &Design,
    ) -> R<Vec<Fault>> {
        let mut out = Vec::with_capacity(fs.len());
        for (i, f) in fs.iter().enumerate() {
            out.push(self.fault(&format!("faults[{i}]"), f, regions, duration, design)?);
        }
        // A stable sort keeps file order among faults that start together.
        out.sort_by_key(|f: &Fault| f.at);
        Ok(out)
    }

    fn fault(
        &self,
        path: &str,
        f: &FaultFile,
        regions: &[RegionSpec],
        duration: SimDuration,
        design: &Design,
    ) -> R<Fault> {
        use FaultKindFile as K;
        if !f.at_s.is_finite() || f.at_s < 0.0 {
            return self.err(
                format!("{path}.at_s"),
                format!("must be zero or more seconds, got {}", f.at_s),
            );
        }
        let at = SimTime::ZERO + SimDuration::from_secs_f64(f.at_s);
        if at >= SimTime::ZERO + duration {
            return self.err(
                format!("{path}.at_s"),
                format!(
                    "{} s is outside the run, which lasts {} s",
                    f.at_s,
                    duration.as_secs_f64()
                ),
            );
        }
        let allowed: &[&str] = match f.kind {
            K::RegionOutage => &["region", "for_s"],
            K::Partition => &["between", "one_way", "for_s"],
            K::LinkLatency => &["between", "one_way", "factor", "for_s"],
            K::ReplicationStall => &["region", "apply_factor", "for_s"],
            K::ClockSkew => &["region", "offset_ms", "drift_ppm", "for_s"],
            K::OperatorPromote => &["region", "fenced"],
        };
        let present = [
            ("for_s", f.for_s.is_some()),
            ("region", f.region.is_some()),
            ("between", f.between.is_some()),
            ("one_way", f.one_way.is_some()),
            ("factor", f.factor.is_some()),
            ("apply_factor", f.apply_factor.is_some()),
            ("offset_ms", f.offset_ms.is_some()),
            ("drift_ppm", f.drift_ppm.is_some()),
            ("fenced", f.fenced.is_some()),
        ];
        for (name, is) in present {
            if is && !allowed.contains(&name) {
                return self.err(
                    format!("{path}.{name}"),
                    format!(
                        "not a field of this kind of fault; it takes: at_s, {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
        let needs_window = !matches!(f.kind, K::OperatorPromote | K::ClockSkew);
        let until = match f.for_s {
            Some(s) => {
                let d = self.positive_s(&format!("{path}.for_s"), s)?;
                let until = at + d;
                if until > SimTime::ZERO + duration {
                    return self.err(
                        format!("{path}.for_s"),
                        format!(
                            "the fault would end at {} s, after the run ends at {} s",
                            f.at_s + s,
                            duration.as_secs_f64()
                        ),
                    );
                }
                Some(until)
            }
            None if needs_window => {
                return self
                    .err(format!("{path}.for_s"), "required: how long the fault lasts, in seconds")
            }
            None => None,
        };
        let region = |v: &Self| -> R<RegionId> {
            match &f.region {
                Some(name) => v.region(regions, &format!("{path}.region"), name),
                None => v.err(format!("{path}.region"), "required: the region the fault targets"),
            }
        };
        let kind = match f.kind {
            K::RegionOutage => FaultKind::RegionOutage { region: region(self)? },
            K::Partition => {
                let (from, to) = self.between(path, f, regions)?;
                FaultKind::Partition { from, to, one_way: f.one_way.unwrap_or(false) }
            }
            K::LinkLatency => {
                let (from, to) = self.between(path, f, regions)?;
                let factor = match f.factor {
                    Some(x) if x.is_finite() && x >= 1.0 && x <= 10_000.0 => x,
                    Some(x) => {
                        return self.err(
                            format!("{path}.factor"),
                            format!("a latency factor is between 1 and 10000, got {x}"),
                        )
                    }
                    None => {
                        return self.err(
                            format!("{path}.factor"),
                            "required: how many times slower the link gets",
                        )
                    }
                };
                FaultKind::LinkLatency { from, to, one_way: f.one_way.unwrap_or(false), factor }
            }
            K::ReplicationStall => {
                let region = region(self)?;
                if regions[region.idx()].role == Role::Primary {
                    return self.err(
                        format!("{path}.region"),
                        "a replication stall targets a replica region, not the primary",
                    );
                }
                let apply_factor = f.apply_factor.unwrap_or(0.0);
                if !apply_factor.is_finite() || !(0.0..=1.0).contains(&apply_factor) {
                    return self.err(
                        format!("{path}.apply_factor"),
                        format!(
                            "must be between 0 (stalled) and 1 (full speed), got {apply_factor}"
                        ),
                    );
                }
                FaultKind::ReplicationStall { region, apply_factor }
            }
            K::ClockSkew => {
                let offset_ms = f.offset_ms.unwrap_or(0.0);
                let drift_ppm = f.drift_ppm.unwrap_or(0.0);
                if !offset_ms.is_finite()
                    || !drift_ppm.is_finite()
                    || drift_ppm.abs() >= 1e6
                    || (offset_ms == 0.0 && drift_ppm == 0.0)
                {
                    return self.err(path.to_string(), "a clock skew needs offset_ms (a jump) or drift_ppm (a rate error below 1000000), or both");
                }
                FaultKind::ClockSkew {
                    region: region(self)?,
                    offset_us: (offset_ms * 1e3).round() as i64,
                    drift_ppm,
                }
            }
            K::OperatorPromote => {
                let region = region(self)?;
                if regions[region.idx()].role == Role::ReadReplica {
                    return self.err(
                        format!("{path}.region"),
                        "a read-replica cannot be promoted; name a standby (or the primary)",
                    );
                }
                FaultKind::OperatorPromote { region, fenced: f.fenced.unwrap_or(design.fencing) }
            }
        };
        Ok(Fault { at, until, kind })
    }

    fn between(
        &self,
        path: &str,
        f: &FaultFile,
        regions: &[RegionSpec],
    ) -> R<(Vec<RegionId>, Vec<RegionId>)> {
        let p = format!("{path}.between");
        let Some(b) = &f.between else {
            return self.err(p, "required: two sets of regions, as [[\"a\"], [\"b\", \"c\"]]");
        };
        if b.len() != 2 || b[0].is_empty() || b[1].is_empty() {
            return self
                .err(p, "must be two non-empty sets of regions, as [[\"a\"], [\"b\", \"c\"]]");
        }
        let mut sides = [Vec::new(), Vec::new()];
        for (s, side) in b.iter().enumerate() {
            for (j, name) in side.iter().enumerate() {
                let id = self.region(regions, &format!("{p}[{s}][{j}]"), name)?;
                if sides[0].contains(&id) || sides[1].contains(&id) {
                    return self.err(format!("{p}[{s}][{j}]"), format!("region \"{name}\" is named twice; each region goes on at most one side"));
                }
                sides[s].push(id);
            }
        }
        let [from, to] = sides;
        Ok((from, to))
    }

    fn limits(&self, l: &LimitsFile, duration: SimDuration) -> R<(u64, SimDuration, SimDuration)> {
        let events_max = match l.events_max {
            Some(0) => return self.err("limits.events_max", "must be at least 1"),
            Some(n) => n,
            None => crate::engine::run::EVENTS_MAX,
        };
        let convergence_max = match l.convergence_max_s {
            Some(s) => self.positive_s("limits.convergence_max_s", s)?,
            None => SimDuration::from_secs(60),
        };
        let sim_time_max = match l.sim_time_max_s {
            Some(s) => {
                let d = self.positive_s("limits.sim_time_max_s", s)?;
                if d < duration {
                    return self.err(
                        "limits.sim_time_max_s",
                        format!("must be at least duration_s ({} s)", duration.as_secs_f64()),
                    );
                }
                d
            }
            None => SimDuration(crate::engine::run::SIM_TIME_MAX_US),
        };
        Ok((events_max, sim_time_max, convergence_max))
    }

    fn expect(&self, e: ExpectFile) -> R<Expect> {
        for (field, ids) in [("violated", &e.violated), ("hold", &e.hold)] {
            for (i, id) in ids.iter().enumerate() {
                if !KNOWN_INVARIANTS.contains(&id.as_str()) {
                    return self.err(
                        format!("expect.{field}[{i}]"),
                        format!(
                            "unknown invariant \"{id}\"; known: {}",
                            KNOWN_INVARIANTS.join(", ")
                        ),
                    );
                }
                if field == "hold" && e.violated.contains(id) {
                    return self.err(
                        format!("expect.hold[{i}]"),
                        format!("\"{id}\" is also expected to be violated"),
                    );
                }
            }
        }
        Ok(Expect { violated: e.violated, hold: e.hold })
    }
}

/// The control plane defaults to the first standby: putting it beside the primary would
/// make one regional failure take out both the writer and whatever promotes a new one.
fn default_control_region(regions: &[RegionSpec]) -> RegionId {
    let i = regions.iter().position(|r| r.role == Role::Standby).unwrap_or(0);
    RegionId(i as u8)
}
