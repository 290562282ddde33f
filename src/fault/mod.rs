//! Faults: everything about each kind of fault in one place. A kind's module holds its
//! spec (the validated fields), its validation from the file's flat fields (with the
//! exact field path of every error), its one-line description for trails, the regions
//! it concerns, and its effect, written against `Conditions`: the narrow set of
//! physical conditions and operator actions a fault may change. Nothing here may decide
//! an outcome; violations come from the model reacting to changed conditions.
//!
//! Adding a fault kind touches this folder only: a variant of `FaultKindFile` (the
//! file's enum), a module with a type implementing `Kind`, and a line in `kinds!`.
//!
//! The fault layer sits under `scenario` (a scenario is validated with its faults) and
//! above `engine`, `region` and `field`; `model` implements `Conditions`.

pub mod brownout;
pub mod clock;
pub mod dependencies;
pub mod file;
pub mod links;
pub mod load;
pub mod outage;
pub mod pause;
pub mod promote;
pub mod stall;
pub mod workers;

use crate::engine::{SimDuration, SimTime};
use crate::field::{self, err, num, Checked};
use crate::region::{RegionId, RegionSpec};
use brownout::Degradation;
use file::{FaultFile, FaultKindFile};
use serde::Serialize;

/// A fault of the drill: when it starts, when it heals (`None` for instantaneous
/// actions and permanent skews), and what it is.
#[derive(Clone, Debug, Serialize)]
pub struct Fault {
    pub at: SimTime,
    pub until: Option<SimTime>,
    pub kind: FaultKind,
}

/// Whether a kind lasts a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// `for_s` is required: the fault heals after it.
    Required,
    /// `for_s` may be given (a clock skew's drift stops then; clocks never jump back).
    Optional,
    /// The fault acts once (an operator's promotion, a replay).
    None,
}

/// What a fault may change, and nothing else. `World` implements it; each call is one
/// physical condition or operator action, started (`on`/`start` true) or healed.
pub trait Conditions {
    /// A whole region stops (its processes die, in every zone) or comes back.
    fn region_running(&mut self, region: RegionId, up: bool);
    /// One zone (site) of a region stops or comes back.
    fn zone_running(&mut self, site: RegionId, up: bool);
    /// The region's datastore processes (or, with `zone_only`, that site's) stop
    /// handling anything, or resume.
    fn process_paused(&mut self, region: RegionId, zone_only: bool, paused: bool);
    /// Messages between the two sets are lost (and back, unless one-way).
    fn links_cut(&mut self, from: &[RegionId], to: &[RegionId], one_way: bool, cut: bool);
    /// Each message between the two sets is lost with probability `loss`.
    fn links_lossy(
        &mut self,
        from: &[RegionId],
        to: &[RegionId],
        one_way: bool,
        loss: f64,
        on: bool,
    );
    /// Links between the two sets get `factor` times slower.
    fn links_slow(
        &mut self,
        from: &[RegionId],
        to: &[RegionId],
        one_way: bool,
        factor: f64,
        on: bool,
    );
    /// A replica applies at `factor` of its rate (1 is full speed).
    fn replica_apply_factor(&mut self, region: RegionId, factor: f64);
    /// A replica applies each entry only `delay` after its commit (`None`: at once).
    fn replica_apply_delay(&mut self, region: RegionId, delay: Option<SimDuration>);
    /// A region's clock jumps by `offset_us` and its drift changes by `drift_ppm`.
    fn clock_skew(&mut self, region: RegionId, offset_us: i64, drift_ppm: f64);
    /// A region's application tier or datastore servers degrade (slower, fewer servers,
    /// errors), or recover.
    fn tier_degraded(
        &mut self,
        region: RegionId,
        tier: file::TierFile,
        degradation: Option<Degradation>,
    );
    fn control_plane_running(&mut self, up: bool);
    fn identity_running(&mut self, up: bool);
    /// The external provider the workers call fails or slows (`None`: it is well again).
    fn provider_trouble(&mut self, trouble: Option<dependencies::ProviderTrouble>);
    /// Requests of this customer crash the server that takes them (or nobody's do).
    fn poison_customer(&mut self, customer: Option<u32>);
    /// Client arrivals of one region (or all) grow by `factor`, or shrink back.
    fn arrivals_surge(&mut self, region: Option<RegionId>, factor: f64, start: bool);
    /// A region's worker pool stops, or restarts from its committed offset.
    fn workers_running(&mut self, region: RegionId, up: bool);
    /// A region's consumer rewinds by `events`, or to the first entry at or after `to`.
    fn consumer_rewound(&mut self, region: RegionId, events: Option<u64>, to: Option<SimTime>);
    /// Each event is delivered twice with `probability` (0 stops it).
    fn delivery_duplicated(&mut self, region: RegionId, probability: f64);
    /// The next event the region's workers take fails while this lasts.
    fn next_event_poisoned(&mut self, region: RegionId, on: bool);
    /// An operator asks the control plane to make `region` the writer.
    fn operator_promotes(&mut self, region: RegionId, fenced: bool);
}

/// What a kind's validation may read besides the fault itself.
pub struct Context<'a> {
    /// The fault's field path, as `faults[2]`.
    pub path: &'a str,
    pub regions: &'a [RegionSpec],
    /// The design fences its writers (an operator's promotion is fenced by default).
    pub fencing: bool,
    /// The design elects its leaders by consensus (no control plane to promote).
    pub consensus: bool,
}

impl Context<'_> {
    /// Zone `zone` of the region `region` (its zone 0) is in.
    pub fn zone(&self, region: RegionId, zone: u32) -> Checked<RegionId> {
        let zones: Vec<RegionId> = crate::region::zones_of(self.regions, region).collect();
        match zones.get(zone as usize) {
            Some(site) => Ok(*site),
            None => err(
                format!("{}.zone", self.path),
                format!(
                    "region \"{}\" has {} zone(s), numbered from 0; got {zone}",
                    self.regions[region.idx()].region,
                    zones.len()
                ),
            ),
        }
    }

    /// The region the fault's `region` field names (required).
    pub fn region(&self, f: &FaultFile) -> Checked<RegionId> {
        match &f.region {
            Some(name) if name.contains('/') => err(
                format!("{}.region", self.path),
                format!("\"{name}\" names a zone; a fault names a region and acts on all its zones (zone_outage and process_pause take a \"zone\")"),
            ),
            Some(name) => field::region(self.regions, &format!("{}.region", self.path), name),
            None => err(
                format!("{}.region", self.path),
                format!(
                    "required for a fault of kind \"{}\": the region it targets; known: {}",
                    kind_name(f.kind),
                    crate::region::names(self.regions)
                ),
            ),
        }
    }
}

/// Names for descriptions: the regions, and where the control plane lives.
pub struct Names<'a> {
    pub regions: &'a [RegionSpec],
    pub control_region: RegionId,
}

impl Names<'_> {
    /// The region a site is in (faults on a region act on every zone of it).
    pub fn region(&self, r: RegionId) -> &str {
        &self.regions[r.idx()].region
    }
    /// One site: "region/zone" in a region with several zones.
    pub fn site(&self, r: RegionId) -> &str {
        &self.regions[r.idx()].name
    }
    /// `us-east, eu-west`.
    pub fn list(&self, rs: &[RegionId]) -> String {
        rs.iter().map(|r| self.region(*r)).collect::<Vec<_>>().join(", ")
    }
}

/// One kind of fault.
pub trait Kind: Sized {
    /// Its file spelling.
    const FILE: FaultKindFile;
    /// The fields it takes besides `kind` and `at_s`.
    const FIELDS: &'static [&'static str];
    const WINDOW: Window;
    /// Whether its target is a set of links (`between`) rather than one region.
    const CUTS_LINKS: bool = false;
    /// Whether it targets a region at all (for swarm draws).
    const TARGETS_REGION: bool = true;
    /// Whether it takes its target region out (for a swarm's fault tolerance).
    const LOSES_REGION: bool = false;
    fn validate(f: &FaultFile, cx: &Context) -> Checked<Self>;
    fn describe(&self, names: &Names) -> String;
    /// The regions it concerns (empty: everyone's business).
    fn regions(&self) -> Vec<RegionId>;
    fn apply(&self, start: bool, world: &mut dyn Conditions);
}

/// Declares the kinds: the `FaultKind` enum and its dispatch to each kind's module.
macro_rules! kinds {
    ($($variant:ident => $ty:ty),* $(,)?) => {
        /// A validated fault kind, one variant per kind module.
        #[derive(Clone, Debug, Serialize)]
        pub enum FaultKind {
            $($variant($ty),)*
        }

        impl FaultKind {
            fn validate_as(fault: &FaultFile, cx: &Context) -> Checked<FaultKind> {
                match fault.kind {
                    $(<$ty as Kind>::FILE => Ok(FaultKind::$variant(<$ty>::validate(fault, cx)?)),)*
                }
            }
            pub fn describe(&self, names: &Names) -> String {
                match self {
                    $(FaultKind::$variant(k) => k.describe(names),)*
                }
            }
            pub fn regions(&self) -> Vec<RegionId> {
                match self {
                    $(FaultKind::$variant(k) => k.regions(),)*
                }
            }
            pub fn apply(&self, start: bool, world: &mut dyn Conditions) {
                match self {
                    $(FaultKind::$variant(k) => k.apply(start, world),)*
                }
            }
            pub fn file_kind(&self) -> FaultKindFile {
                match self {
                    $(FaultKind::$variant(_) => <$ty as Kind>::FILE,)*
                }
            }
        }

        /// What a kind takes and how it behaves, by its file spelling.
        pub fn traits_of(k: FaultKindFile) -> KindTraits {
            match k {
                $(<$ty as Kind>::FILE => KindTraits {
                    fields: <$ty as Kind>::FIELDS,
                    window: <$ty as Kind>::WINDOW,
                    cuts_links: <$ty as Kind>::CUTS_LINKS,
                    targets_region: <$ty as Kind>::TARGETS_REGION,
                    loses_region: <$ty as Kind>::LOSES_REGION,
                },)*
            }
        }
    };
}

kinds! {
    RegionOutage => outage::RegionOutage,
    Partition => links::Partition,
    LinkLatency => links::LinkLatency,
    PacketLoss => links::PacketLoss,
    ReplicationStall => stall::ReplicationStall,
    ClockSkew => clock::ClockSkew,
    OperatorPromote => promote::OperatorPromote,
    WorkerCrash => workers::WorkerCrash,
    QueueReplay => workers::QueueReplay,
    DuplicateDelivery => workers::DuplicateDelivery,
    PoisonMessage => workers::PoisonMessage,
    RegionBrownout => brownout::RegionBrownout,
    TrafficSurge => load::TrafficSurge,
    PoisonCustomer => load::PoisonCustomer,
    ControlPlaneOutage => dependencies::ControlPlaneOutage,
    IdentityOutage => dependencies::IdentityOutage,
    ProcessPause => pause::ProcessPause,
    ZoneOutage => outage::ZoneOutage,
    ProviderOutage => dependencies::ProviderOutage,
}

/// A kind's traits, looked up by its file spelling.
#[derive(Clone, Copy, Debug)]
pub struct KindTraits {
    pub fields: &'static [&'static str],
    pub window: Window,
    pub cuts_links: bool,
    pub targets_region: bool,
    pub loses_region: bool,
}

impl FaultKind {
    /// The kind as the scenario file spells it.
    pub fn name(&self) -> &'static str {
        kind_name(self.file_kind())
    }

    /// The region a fault targets: its own, or the first of a cut link set.
    pub fn region(&self) -> Option<RegionId> {
        match self {
            FaultKind::Partition(l) => l.links.from.first().copied(),
            FaultKind::LinkLatency(l) => l.links.from.first().copied(),
            FaultKind::PacketLoss(l) => l.links.from.first().copied(),
            other => other.regions().first().copied(),
        }
    }

    /// Whether it heals when the drill ends (a clock never jumps back).
    pub fn heals_at_drill_end(&self) -> bool {
        !matches!(self, FaultKind::ClockSkew(_))
    }
}

/// The file spelling of a kind: "region_outage", "partition"...
pub fn kind_name(k: FaultKindFile) -> &'static str {
    match k {
        FaultKindFile::RegionOutage => "region_outage",
        FaultKindFile::Partition => "partition",
        FaultKindFile::LinkLatency => "link_latency",
        FaultKindFile::PacketLoss => "packet_loss",
        FaultKindFile::ReplicationStall => "replication_stall",
        FaultKindFile::ClockSkew => "clock_skew",
        FaultKindFile::OperatorPromote => "operator_promote",
        FaultKindFile::WorkerCrash => "worker_crash",
        FaultKindFile::QueueReplay => "queue_replay",
        FaultKindFile::DuplicateDelivery => "duplicate_delivery",
        FaultKindFile::PoisonMessage => "poison_message",
        FaultKindFile::RegionBrownout => "region_brownout",
        FaultKindFile::TrafficSurge => "traffic_surge",
        FaultKindFile::PoisonCustomer => "poison_customer",
        FaultKindFile::ControlPlaneOutage => "control_plane_outage",
        FaultKindFile::IdentityOutage => "identity_outage",
        FaultKindFile::ProcessPause => "process_pause",
        FaultKindFile::ZoneOutage => "zone_outage",
        FaultKindFile::ProviderOutage => "provider_outage",
    }
}

/// Validates one fault of a run lasting `duration`: when it starts and ends, which
/// fields its kind takes, and then the kind's own fields.
pub fn validate(fault: &FaultFile, cx: &Context, duration: SimDuration) -> Checked<Fault> {
    let path = cx.path;
    let at = start(path, fault.at_s, duration)?;
    let traits = traits_of(fault.kind);
    only_fields(path, fault, traits.fields)?;
    let until = window(path, fault, at, duration, traits.window)?;
    let kind = FaultKind::validate_as(fault, cx)?;
    Ok(Fault { at, until, kind })
}

/// When the fault starts: within the run.
fn start(path: &str, at_s: f64, duration: SimDuration) -> Checked<SimTime> {
    let run_s = num(duration.as_secs_f64());
    if !at_s.is_finite() || at_s < 0.0 {
        return err(
            format!("{path}.at_s"),
            format!(
                "must be zero or more seconds, before the run ends at {run_s} s, got {}",
                num(at_s)
            ),
        );
    }
    let at = SimTime::ZERO + SimDuration::from_secs_f64(at_s);
    if at >= SimTime::ZERO + duration {
        return err(
            format!("{path}.at_s"),
            format!(
                "{} s is outside the run, which lasts {run_s} s (duration_s); a fault must start before the run ends",
                num(at_s)
            ),
        );
    }
    Ok(at)
}

/// Refuses the fields a kind would ignore.
fn only_fields(path: &str, f: &FaultFile, allowed: &[&str]) -> Checked<()> {
    for (name, is) in present(f) {
        if is && !allowed.contains(&name) {
            return err(
                format!("{path}.{name}"),
                format!(
                    "not a field of a fault of kind \"{}\", which takes: kind, at_s, {}",
                    kind_name(f.kind),
                    allowed.join(", ")
                ),
            );
        }
    }
    Ok(())
}

/// Every optional field, and whether the file gives it.
fn present(f: &FaultFile) -> [(&'static str, bool); 22] {
    [
        ("for_s", f.for_s.is_some()),
        ("region", f.region.is_some()),
        ("between", f.between.is_some()),
        ("one_way", f.one_way.is_some()),
        ("factor", f.factor.is_some()),
        ("loss", f.loss.is_some()),
        ("apply_factor", f.apply_factor.is_some()),
        ("lag_s", f.lag_s.is_some()),
        ("offset_ms", f.offset_ms.is_some()),
        ("drift_ppm", f.drift_ppm.is_some()),
        ("fenced", f.fenced.is_some()),
        ("events", f.events.is_some()),
        ("to_s", f.to_s.is_some()),
        ("probability", f.probability.is_some()),
        ("latency_factor", f.latency_factor.is_some()),
        ("capacity_factor", f.capacity_factor.is_some()),
        ("error_rate", f.error_rate.is_some()),
        ("ramp_s", f.ramp_s.is_some()),
        ("customer", f.customer.is_some()),
        ("zone", f.zone.is_some()),
        ("performed_rate", f.performed_rate.is_some()),
        ("tier", f.tier.is_some()),
    ]
}

/// When the fault heals: `for_s` after it starts, within the run.
fn window(
    path: &str,
    f: &FaultFile,
    at: SimTime,
    duration: SimDuration,
    window: Window,
) -> Checked<Option<SimTime>> {
    let end = SimTime::ZERO + duration;
    match f.for_s {
        Some(s) => {
            let until = at + field::positive_s(&format!("{path}.for_s"), s)?;
            if until > end {
                return err(
                    format!("{path}.for_s"),
                    format!(
                        "the fault would end at {} s, after the run ends at {} s; starting at {} s, it can last at most {} s",
                        num(f.at_s + s),
                        num(duration.as_secs_f64()),
                        num(f.at_s),
                        num(end.since(at).as_secs_f64())
                    ),
                );
            }
            Ok(Some(until))
        }
        None if window == Window::Required => err(
            format!("{path}.for_s"),
            format!(
                "required for a fault of kind \"{}\": how long it lasts, in seconds",
                kind_name(f.kind)
            ),
        ),
        None => Ok(None),
    }
}

/// A fault file with only its kind and start, the others to be filled in.
pub fn blank(kind: FaultKindFile, at_s: f64) -> FaultFile {
    FaultFile {
        kind,
        at_s,
        for_s: None,
        region: None,
        between: None,
        one_way: None,
        factor: None,
        loss: None,
        apply_factor: None,
        lag_s: None,
        offset_ms: None,
        drift_ppm: None,
        fenced: None,
        events: None,
        to_s: None,
        probability: None,
        latency_factor: None,
        capacity_factor: None,
        error_rate: None,
        ramp_s: None,
        customer: None,
        zone: None,
        performed_rate: None,
        tier: None,
    }
}
