//! The world's handlers, by subsystem: the clients, a request's way into a region,
//! message delivery, each region's periodic duties, the run's phases, and what faults
//! do. Each file adds methods to `World`; the event dispatch in `model/mod.rs` calls them.

mod clients;
mod conditions;
mod deliver;
mod nodes;
mod phases;
mod serving;
