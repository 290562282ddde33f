//! The discrete-event engine: simulated time, the event queue, per-subsystem random
//! streams, the run loop with its limits, and the trace hash. It knows nothing of the
//! model it drives; it must never read the wall clock or the OS random source.

pub mod phold;
pub mod queue;
pub mod rng;
pub mod run;
pub mod time;

pub use queue::EventQueue;
pub use rng::{fnv1a64, RngStreams};
pub use run::{Engine, LimitError, Limits, Model, RunError, Scheduler, TraceHash};
pub use time::{SimDuration, SimTime};
