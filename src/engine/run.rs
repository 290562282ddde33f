//! The run loop: pops events in `(at, seq)` order, hands each to the model, folds it
//! into the trace hash, and enforces the run's limits. Only this loop advances time.

use super::queue::EventQueue;
use super::time::{SimDuration, SimTime};
use std::io::Write;

/// What a model may do while it handles an event: read the time and schedule more
/// events. It cannot reach the queue any other way, which keeps handlers sans-IO.
pub struct Scheduler<E> {
    queue: EventQueue<E>,
    now: SimTime,
}

impl<E> Scheduler<E> {
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// Schedules `ev` at `at`, which must not be in the past.
    pub fn at(&mut self, at: SimTime, ev: E) {
        debug_assert!(at >= self.now, "event scheduled in the past: {at:?} < {:?}", self.now);
        self.queue.push(at.max(self.now), ev);
    }
    pub fn after(&mut self, d: SimDuration, ev: E) {
        self.queue.push(self.now + d, ev);
    }
    pub fn pending(&self) -> usize {
        self.queue.len()
    }
}

/// A simulated system driven by the engine.
pub trait Model {
    type Event;
    /// Handles one event; returns `false` to end the run.
    fn handle(&mut self, event: Self::Event, sched: &mut Scheduler<Self::Event>) -> bool;
    /// A digest of the event's content, folded into the trace hash.
    fn trace_word(event: &Self::Event) -> u64;
    /// Appends the event's JSON fields after `"at_us":..,"seq":..,` (no braces, no
    /// newline) for the optional trace; the model may name what the event touches.
    fn trace_json(&self, event: &Self::Event, out: &mut String);
}

/// The limits of one run. Hitting one ends the run with an error, never a hang.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub events_max: u64,
    pub sim_time_max: SimTime,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { events_max: EVENTS_MAX, sim_time_max: SimTime(SIM_TIME_MAX_US) }
    }
}

/// Default cap on dispatched events per run.
pub const EVENTS_MAX: u64 = 2_000_000_000;
/// Default cap on simulated time: one simulated day.
pub const SIM_TIME_MAX_US: u64 = 86_400 * 1_000_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LimitError {
    #[error("limit events_max hit: {events} events dispatched by {at}; raise limits.events_max in the scenario (or --events-max) or shorten the run")]
    EventsMax { events: u64, at: SimTime },
    #[error("limit sim_time_max hit: next event at {at} is past {max}; raise limits.sim_time_max_s in the scenario (or --sim-time-max-s) or shorten the run")]
    SimTimeMax { at: SimTime, max: SimTime },
}

/// A rolling 64-bit hash over `(at, word)` of every dispatched event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceHash(pub u64);

impl TraceHash {
    pub const SEED: TraceHash = TraceHash(0x9e37_79b9_7f4a_7c15);

    #[inline]
    pub fn fold(&mut self, at: u64, word: u64) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        self.0 = (self.0.rotate_left(5) ^ at).wrapping_mul(K);
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

/// The engine: queue, clock, counters, hash and optional JSONL trace.
pub struct Engine<E> {
    sched: Scheduler<E>,
    events: u64,
    hash: TraceHash,
    limits: Limits,
    trace: Option<Box<dyn Write>>,
    line: String,
}

impl<E> Engine<E> {
    pub fn new(limits: Limits) -> Self {
        Engine {
            sched: Scheduler { queue: EventQueue::with_capacity(1024), now: SimTime::ZERO },
            events: 0,
            hash: TraceHash::SEED,
            limits,
            trace: None,
            line: String::new(),
        }
    }

    /// Writes one JSON line per dispatched event to `w`.
    pub fn set_trace(&mut self, w: Box<dyn Write>) {
        self.trace = Some(w);
    }

    pub fn scheduler(&mut self) -> &mut Scheduler<E> {
        &mut self.sched
    }
    pub fn now(&self) -> SimTime {
        self.sched.now
    }
    pub fn events(&self) -> u64 {
        self.events
    }
    pub fn trace_hash(&self) -> u64 {
        self.hash.0
    }

    /// Runs until the queue is empty or the model asks to stop.
    pub fn run<M: Model<Event = E>>(&mut self, model: &mut M) -> Result<(), RunError> {
        while let Some(at) = self.sched.queue.peek_time() {
            if at > self.limits.sim_time_max {
                return Err(LimitError::SimTimeMax { at, max: self.limits.sim_time_max }.into());
            }
            if self.events >= self.limits.events_max {
                return Err(LimitError::EventsMax { events: self.events, at }.into());
            }
            if self.events.is_multiple_of(INTERRUPT_CHECK_EVERY)
                && INTERRUPTED.load(std::sync::atomic::Ordering::Relaxed)
            {
                return Err(RunError::Interrupted);
            }
            let (at, seq, ev) = self.sched.queue.pop().expect("peeked");
            debug_assert!(at >= self.sched.now, "time went backwards");
            self.sched.now = at;
            self.events += 1;
            self.hash.fold(at.0, M::trace_word(&ev));
            if let Some(w) = self.trace.as_mut() {
                write_trace_line(model, w.as_mut(), &mut self.line, at, seq, &ev)?;
            }
            if !model.handle(ev, &mut self.sched) {
                break;
            }
        }
        if let Some(w) = self.trace.as_mut() {
            w.flush()?;
        }
        Ok(())
    }
}

fn write_trace_line<M: Model>(
    model: &M,
    w: &mut dyn Write,
    line: &mut String,
    at: SimTime,
    seq: u64,
    ev: &M::Event,
) -> std::io::Result<()> {
    use std::fmt::Write as _;
    line.clear();
    let _ = write!(line, "{{\"at_us\":{},\"seq\":{},", at.0, seq);
    model.trace_json(ev, line);
    line.push_str("}\n");
    w.write_all(line.as_bytes())
}

/// Set by Ctrl-C (where a command routes it here): a run in progress stops within a few
/// thousand events, and no new one starts.
pub static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How many events pass between looks at `INTERRUPTED` (a few milliseconds of work).
const INTERRUPT_CHECK_EVERY: u64 = 4_096;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error("interrupted (Ctrl-C)")]
    Interrupted,
    #[error("writing the trace: {0}")]
    Trace(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts down: each event schedules the next until zero.
    struct Countdown;
    impl Model for Countdown {
        type Event = u32;
        fn handle(&mut self, ev: u32, s: &mut Scheduler<u32>) -> bool {
            if ev > 0 {
                s.after(SimDuration(10), ev - 1);
            }
            true
        }
        fn trace_word(ev: &u32) -> u64 {
            u64::from(*ev)
        }
        fn trace_json(&self, ev: &u32, out: &mut String) {
            out.push_str("\"n\":");
            out.push_str(&ev.to_string());
        }
    }

    #[test]
    fn runs_to_completion_and_hashes() {
        let mut e = Engine::new(Limits::default());
        e.scheduler().at(SimTime(0), 5);
        e.run(&mut Countdown).unwrap();
        assert_eq!(e.events(), 6);
        assert_eq!(e.now(), SimTime(50));
        let mut e2 = Engine::new(Limits::default());
        e2.scheduler().at(SimTime(0), 5);
        e2.run(&mut Countdown).unwrap();
        assert_eq!(e.trace_hash(), e2.trace_hash());
    }

    #[test]
    fn limits_end_the_run_with_an_error() {
        let mut e = Engine::new(Limits { events_max: 3, sim_time_max: SimTime::MAX });
        e.scheduler().at(SimTime(0), 100);
        let err = e.run(&mut Countdown).unwrap_err();
        assert!(matches!(err, RunError::Limit(LimitError::EventsMax { events: 3, .. })));
        let mut e = Engine::new(Limits { events_max: u64::MAX, sim_time_max: SimTime(25) });
        e.scheduler().at(SimTime(0), 100);
        let err = e.run(&mut Countdown).unwrap_err();
        assert!(matches!(err, RunError::Limit(LimitError::SimTimeMax { .. })));
    }
}
