//! Exploration beyond one run: seed sweeps with swarm schedules, CI checks over
//! scenario folders, sharding and merging, and shrinking a failing run.

pub mod check;
pub mod shrink;
pub mod swarm;
pub mod sweep;
