//! Exploration beyond one run: seed sweeps with swarm schedules, CI checks over
//! scenario folders, sharding and merging, and shrinking a failing run.

pub mod check;
pub mod merge;
pub mod proof;
pub mod shard;
pub mod shrink;
pub mod sweep;

/// Set by Ctrl-C during `sweep` or `check`: the runs in progress stop within a few
/// thousand events, no new run starts; what finished is written, marked partial.
pub use crate::engine::run::INTERRUPTED;

/// Routes Ctrl-C to `INTERRUPTED` (once per process; later calls do nothing).
pub fn catch_interrupt() {
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst));
}

/// Whether Ctrl-C has been pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}
