//! Clients and routers. Each client region draws open-loop Poisson arrivals, picks an
//! operation from the mix, and runs it with per-attempt timeouts and retries, recording
//! invoke and complete. Its router sends writes and strong reads to the writer named in
//! its routing table (learned late from the control plane) and other reads to the
//! nearest region whose published lag allows them.

use super::types::*;
use crate::engine::{SimDuration, SimTime};
use crate::scenario::{DebitCheck, Jitter, OpKind, ReadClass, RegionId, Scenario, WORKFLOW_STATES};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Operations in flight at once; reaching it ends the run with an error instead of
/// letting memory grow without bound.
pub const OPS_IN_FLIGHT_MAX: usize = 1_000_000;

#[derive(Clone, Debug)]
pub struct Op {
    pub gen: u32,
    /// The logical operation's number, unique in a run.
    pub key: u64,
    pub alive: bool,
    pub kind: OpKind,
    pub region: RegionId,
    pub invoked_at: SimTime,
    pub attempt: u32,
    pub req: Req,
    /// Money the operation adds to the system when it takes effect (credit +, debit -).
    pub delta: i64,
    /// An attempt timed out, so a write may have happened without the client knowing.
    pub maybe_applied: bool,
    /// A bounded read refused as too stale goes to the writer next.
    pub force_writer: bool,
    /// A blind debit first reads the balance locally (the `local-read` design).
    pub prechecking: bool,
    /// A retry is scheduled; responses refusing the previous attempt are ignored.
    pub backing_off: bool,
    /// The client session the operation belongs to, within its region.
    pub session: u32,
    /// The last backoff waited (decorrelated jitter grows from it).
    pub last_backoff: SimDuration,
    /// Where the current attempt went, and when.
    pub target: RegionId,
    /// Every attempt goes to this region's store (the final reads of each region).
    pub pinned: Option<RegionId>,
    pub sent_at: SimTime,
}

/// The slab of live operations; generations make stale timers harmless.
#[derive(Default)]
pub struct Ops {
    slots: Vec<Op>,
    free: Vec<u32>,
    pub alive: usize,
}

impl Ops {
    pub fn insert(&mut self, mut op: Op) -> OpId {
        self.alive += 1;
        op.alive = true;
        if let Some(slot) = self.free.pop() {
            let gen = self.slots[slot as usize].gen.wrapping_add(1);
            op.gen = gen;
            self.slots[slot as usize] = op;
            OpId { slot, gen }
        } else {
            op.gen = 0;
            self.slots.push(op);
            OpId { slot: (self.slots.len() - 1) as u32, gen: 0 }
        }
    }

    pub fn get(&self, id: OpId) -> Option<&Op> {
        self.slots.get(id.slot as usize).filter(|o| o.alive && o.gen == id.gen)
    }

    pub fn get_mut(&mut self, id: OpId) -> Option<&mut Op> {
        self.slots.get_mut(id.slot as usize).filter(|o| o.alive && o.gen == id.gen)
    }

    pub fn remove(&mut self, id: OpId) {
        let o = &mut self.slots[id.slot as usize];
        debug_assert!(o.alive && o.gen == id.gen);
        o.alive = false;
        self.alive -= 1;
        self.free.push(id.slot);
    }
}

/// A client region's router: the routing table as it last learned it.
#[derive(Clone, Debug)]
pub struct Router {
    pub writer: RegionId,
    pub epoch: u32,
    pub lag_us: Vec<u64>,
    /// Regions by base round-trip time from this one, nearest (itself) first.
    pub nearest: Vec<RegionId>,
    /// Per target region: breaker, brownout detector, health checks.
    pub guards: Vec<Guards>,
}

#[derive(Clone, Debug, Default)]
pub struct Guards {
    pub breaker: super::guard::Breaker,
    pub detector: super::guard::Detector,
    pub health: super::guard::Health,
    /// A health probe is out and unanswered.
    pub probing: bool,
}

impl Guards {
    /// Whether reads should avoid this target: detected brownout or failed health checks.
    pub fn avoid(&self) -> bool {
        self.detector.degraded || self.health.down
    }
}

impl Router {
    pub fn new(scenario: &Scenario, me: RegionId) -> Self {
        let mut nearest: Vec<RegionId> = scenario.region_ids().collect();
        nearest.sort_by_key(|r| (scenario.rtt_us[me.idx()][r.idx()], *r));
        let guards = vec![Guards::default(); scenario.regions.len()];
        Router {
            writer: scenario.primary(),
            epoch: 1,
            lag_us: vec![0; scenario.regions.len()],
            nearest,
            guards,
        }
    }

    /// Where an attempt of `op` goes.
    pub fn route(&self, scenario: &Scenario, op: &Op) -> RegionId {
        if let Some(r) = op.pinned {
            return r;
        }
        // Reads move away from regions the guards mark bad, while another will do.
        let ok = |r: &&RegionId| !self.guards[r.idx()].avoid();
        match op.req {
            Req::Read { class, .. } if !op.force_writer => match class {
                ReadClass::Strong if scenario.design.strong_reads_local => self.nearest[0],
                ReadClass::Strong => self.writer,
                ReadClass::Eventual | ReadClass::Session => {
                    *self.nearest.iter().find(ok).unwrap_or(&self.nearest[0])
                }
                ReadClass::Bounded(b) => *self
                    .nearest
                    .iter()
                    .filter(ok)
                    .find(|r| **r == self.writer || self.lag_us[r.idx()] <= b.as_us())
                    .unwrap_or(&self.writer),
            },
            _ => self.writer,
        }
    }
}

/// The customer an operation belongs to: a fixed hash of its number, so the mapping
/// draws nothing from the random streams.
pub fn customer_of(op_key: u64, customers: u32) -> u32 {
    let mut x = op_key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((x ^ (x >> 31)) % u64::from(customers.max(1))) as u32
}

/// Draws the next operation of a client region.
pub fn draw_op(scenario: &Scenario, rng: &mut ChaCha8Rng, region: RegionId, now: SimTime) -> Op {
    let workload = &scenario.workload;
    let x = rng.gen_range(0..1_000_000u32);
    let kind = workload.mix.iter().find(|(_, cum)| x < *cum).map_or(workload.mix[0].0, |(k, _)| *k);
    let (req, delta) = draw_request(scenario, rng, kind);
    let session = rng.gen_range(0..workload.sessions);
    Op { session, ..Op::new(kind, region, req, delta, now) }
}

/// What an operation of `kind` asks, drawn from the workload's key ranges, and how much
/// money it moves (credits positive, debits negative).
fn draw_request(scenario: &Scenario, rng: &mut ChaCha8Rng, kind: OpKind) -> (Req, i64) {
    let workload = &scenario.workload;
    let reg = |rng: &mut ChaCha8Rng| rng.gen_range(0..workload.registers);
    let acct = |rng: &mut ChaCha8Rng| workload.registers + rng.gen_range(0..workload.accounts);
    let amount = |rng: &mut ChaCha8Rng| rng.gen_range(1..=workload.amount_max);
    let item = |rng: &mut ChaCha8Rng| workload.item_base() + rng.gen_range(0..workload.items);
    let perm =
        |rng: &mut ChaCha8Rng| workload.permission_base() + rng.gen_range(0..workload.permissions);
    let flow =
        |rng: &mut ChaCha8Rng| workload.workflow_base() + rng.gen_range(0..workload.workflows);
    let list = |rng: &mut ChaCha8Rng| workload.list_base() + rng.gen_range(0..workload.lists);
    let read = |key: Key| Req::Read {
        key,
        class: workload.read_class[kind.idx()],
        min_version: Version::default(),
    };
    let writer_checks = |check: DebitCheck| check == DebitCheck::Writer;
    let req = match kind {
        OpKind::RegisterRead => read(reg(rng)),
        OpKind::AccountRead => read(acct(rng)),
        OpKind::RegisterWrite => Req::Write { key: reg(rng), value: rng.gen_range(0..1_000) },
        OpKind::RegisterCas => Req::Cas {
            key: reg(rng),
            expect: rng.gen_range(0..1_000),
            new: rng.gen_range(0..1_000),
        },
        OpKind::AccountCredit => {
            let amount = amount(rng);
            return (Req::Credit { key: acct(rng), amount }, amount);
        }
        OpKind::AccountDebit => {
            let amount = amount(rng);
            let checked = writer_checks(scenario.design.debit_check);
            return (Req::Debit { key: acct(rng), amount, checked }, -amount);
        }
        OpKind::AccountTransfer => {
            let from = acct(rng);
            let mut to = acct(rng);
            if to == from {
                to = workload.registers + (to - workload.registers + 1) % workload.accounts;
            }
            Req::Transfer { from, to, amount: amount(rng) }
        }
        OpKind::InventoryReserve => {
            let checked = writer_checks(scenario.design.reserve_check);
            Req::Reserve { key: item(rng), qty: rng.gen_range(1..=workload.qty_max), checked }
        }
        OpKind::InventoryRelease => Req::Release {
            key: item(rng),
            qty: rng.gen_range(1..=workload.qty_max),
            stock: workload.stock,
        },
        OpKind::PermissionGrant => Req::Write { key: perm(rng), value: 1 },
        OpKind::PermissionRevoke => Req::Write { key: perm(rng), value: 0 },
        OpKind::PermissionCheck => read(perm(rng)),
        OpKind::WorkflowAdvance => {
            let checked = writer_checks(scenario.design.transition_check);
            Req::Advance { key: flow(rng), to: rng.gen_range(1..WORKFLOW_STATES), checked }
        }
        OpKind::WorkflowRead => read(flow(rng)),
        OpKind::ListAppend => Req::Append { key: list(rng) },
        OpKind::ListRead => read(list(rng)),
    };
    (req, 0)
}

/// A final read of list `key` from `region`'s own store (eventual class: whatever it
/// holds), once the liveness phase is over.
pub fn final_read(region: RegionId, key: Key, now: SimTime) -> Op {
    let req = Req::Read { key, class: ReadClass::Eventual, min_version: Version::default() };
    Op { pinned: Some(region), ..Op::new(OpKind::ListRead, region, req, 0, now) }
}

impl Op {
    /// A new operation from `region`, not yet attempted.
    fn new(kind: OpKind, region: RegionId, req: Req, delta: i64, now: SimTime) -> Op {
        Op {
            gen: 0,
            key: 0,
            alive: true,
            kind,
            region,
            invoked_at: now,
            attempt: 0,
            prechecking: req.precheck_key().is_some(),
            req,
            delta,
            maybe_applied: false,
            force_writer: false,
            backing_off: false,
            session: 0,
            last_backoff: SimDuration::ZERO,
            target: region,
            sent_at: now,
            pinned: None,
        }
    }
}

/// The backoff before attempt `attempt` (2, 3, ...): exponential from the base, capped,
/// then jittered as the design says. `previous` is the op's last backoff (decorrelated).
pub fn backoff(
    scenario: &Scenario,
    attempt: u32,
    previous: SimDuration,
    rng: &mut ChaCha8Rng,
) -> SimDuration {
    let workload = &scenario.workload;
    let exp = attempt.saturating_sub(2).min(30);
    let d = workload.backoff.as_us().saturating_mul(1u64 << exp).min(workload.backoff_max.as_us());
    let us = match workload.jitter {
        Jitter::None => d,
        Jitter::Full => rng.gen_range(0..=d),
        Jitter::Equal => d / 2 + rng.gen_range(0..=d - d / 2),
        Jitter::Decorrelated => {
            let base = workload.backoff.as_us();
            let hi = previous.as_us().max(base).saturating_mul(3).max(base);
            rng.gen_range(base..=hi).min(workload.backoff_max.as_us())
        }
    };
    SimDuration(us)
}

/// Time to the next Poisson arrival of one client region, its rate times `surge`.
pub fn interarrival(scenario: &Scenario, surge: f64, rng: &mut ChaCha8Rng) -> SimDuration {
    let per_region =
        surge * scenario.workload.rate_per_s / scenario.workload.client_regions.len() as f64;
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    SimDuration::from_secs_f64(-u.ln() / per_region).max(SimDuration(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn scenario(jitter: &str) -> Scenario {
        let text = format!(
            r#"{{"version": 1, "name": "t", "regions": [{{"name": "a", "role": "primary"}}],
                "workload": {{"retry": {{"attempts": 5, "backoff_ms": 10, "backoff_max_ms": 50, "jitter": "{jitter}"}}}}}}"#
        );
        crate::scenario::from_str("t.json", &text).expect("valid")
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_without_jitter() {
        let s = scenario("none");
        let mut rng = RngStreams::new(1).stream("retry");
        let d: Vec<u64> =
            (2..=5).map(|a| backoff(&s, a, SimDuration::ZERO, &mut rng).as_us()).collect();
        assert_eq!(d, vec![10_000, 20_000, 40_000, 50_000]);
    }

    #[test]
    fn jitter_stays_within_its_bounds() {
        let mut rng = RngStreams::new(1).stream("retry");
        for _ in 0..1_000 {
            let full = backoff(&scenario("full"), 4, SimDuration::ZERO, &mut rng).as_us();
            assert!(full <= 40_000);
            let equal = backoff(&scenario("equal"), 4, SimDuration::ZERO, &mut rng).as_us();
            assert!((20_000..=40_000).contains(&equal));
            let prev = SimDuration::from_ms(12);
            let dec = backoff(&scenario("decorrelated"), 4, prev, &mut rng).as_us();
            assert!((10_000..=36_000).contains(&dec), "{dec}");
        }
    }
}
