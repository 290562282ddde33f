//! gameday: a deterministic fault-injection simulator for multi-region architectures.
//! See DESIGN.md for the architecture; each module's own docs say what it is for.

pub mod check;
pub mod cli;
pub mod compare;
pub mod engine;
pub mod explore;
pub mod fault;
pub mod field;
pub mod history;
pub mod input;
pub mod metrics;
pub mod model;
pub mod outcome;
pub mod output;
pub mod region;
pub mod report;
pub mod scenario;
pub mod sim;
