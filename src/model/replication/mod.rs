//! Replication protocols, each a module behind `Replication`, chosen once when the world
//! is built: `log_shipping` (one writer commits and ships its log to the others),
//! `multi_writer` (every region takes writes and ships them to the others, resolving
//! conflicts by the design's policies) and `consensus` (Raft: a write commits once a
//! majority of voters holds it; leaders are elected by vote). The world hands a protocol what is its business
//! (client requests that reach a store, its own messages, node ticks, batch timers,
//! where a request goes) and never branches on the topology itself. A new protocol is a
//! new module here.

pub mod consensus;
pub mod log_shipping;
pub mod multi_writer;
pub mod wire;

use super::client::{Op, Router};
use super::msg::ReplMsg;
use super::store::Store;
use super::types::Req;
use super::types::ReqMeta;
use super::Out;
use crate::engine::{RngStreams, SimTime};
use crate::scenario::{RegionId, Scenario, Topology};

/// What a protocol's handler may use besides its node: the scenario, the time on the
/// simulation's and on the node's clock, and where to put sends, timers and observations.
pub struct Cx<'a> {
    pub scenario: &'a Scenario,
    pub now: SimTime,
    pub local_us: i64,
    /// The node's monotonic clock (its wall clock without the steps it was set by).
    pub mono_us: i64,
    pub out: &'a mut Out,
}

pub trait Replication {
    /// A client's request reached `store` (past the application tier, if any).
    fn request(
        &mut self,
        store: &mut Store,
        cx: &mut Cx,
        client: RegionId,
        meta: ReqMeta,
        req: Req,
    );
    /// A message of this protocol reached `store` from `from`.
    fn deliver(&mut self, store: &mut Store, cx: &mut Cx, from: RegionId, msg: ReplMsg);
    /// A node's periodic duties (every heartbeat).
    fn node_tick(&mut self, store: &mut Store, cx: &mut Cx);
    /// A node's batch timer fired: ship what is new.
    fn flush(&mut self, store: &mut Store, cx: &mut Cx);
    /// Where an attempt of `op` from a client region with `router` goes.
    fn route(&self, scenario: &Scenario, router: &Router, op: &Op) -> RegionId;
    /// Whether the data path is at rest, as convergence needs: for one writer, that it
    /// serves as primary with its log applied and its workers drained; for many, that
    /// nothing is still on its way between regions.
    fn settled(&self, stores: &[Store], writer: RegionId, workers_drained: bool) -> bool;
    /// The run starts: arm whatever timers the protocol's nodes run on.
    fn start(&mut self, _store: &mut Store, _cx: &mut Cx) {}
    /// A timer the protocol armed (`Event::ReplTimer`) for `at` fired at `store`'s node
    /// (later than `at` if the node's process was paused).
    fn timer(&mut self, _store: &mut Store, _cx: &mut Cx, _at: SimTime) {}
    /// The protocol's wake-up (`Event::ReplWake`) at `store`'s node.
    fn wake(&mut self, _store: &mut Store, _cx: &mut Cx) {}
    /// The node's region came back from an outage (its process restarted).
    fn restarted(&mut self, _store: &mut Store, _cx: &mut Cx) {}
}

/// The protocol the design's topology names.
pub fn build(scenario: &Scenario, streams: &RngStreams) -> Box<dyn Replication> {
    if let Some(consensus) = &scenario.design.consensus {
        return Box::new(consensus::Consensus::new(scenario, consensus, streams));
    }
    match scenario.design.topology {
        Topology::ActiveActiveWrites => Box::new(multi_writer::MultiWriter::new(scenario)),
        Topology::ActivePassive | Topology::ActiveActiveReads => {
            Box::new(log_shipping::LogShipping)
        }
    }
}
