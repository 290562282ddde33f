//! One run: wires the world, the checkers and the metrics into the engine, drives the
//! drill and the liveness phase, and collects a `RunResult`. The model and the checkers
//! meet only here.

use crate::check::register_history::RegisterHistory;
use crate::check::{Checkers, InvariantReport};
use crate::engine::{Engine, Limits, Model, RunError, Scheduler, SimDuration, SimTime};
use crate::metrics::Metrics;
use crate::model::{Event, Phase, World};
use crate::scenario::{self, Scenario, ScenarioError};
use std::io::Write;
use std::sync::Arc;

struct Sim {
    world: World,
    checkers: Checkers,
    metrics: Metrics,
    history: Option<History>,
}

/// The strong-class register history in Jepsen's EDN format, one op map per line, for
/// Knossos or Elle, in the very translation the `linearizable` checker uses.
struct History {
    out: std::io::BufWriter<std::fs::File>,
    translate: RegisterHistory,
}

impl History {
    fn observe(&mut self, obs: &crate::model::obs::Obs) {
        if let Some(ev) = self.translate.translate(obs) {
            let mut line = ev.edn();
            line.push('\n');
            let _ = self.out.write_all(line.as_bytes());
        }
    }
}

impl Model for Sim {
    type Event = Event;

    fn handle(&mut self, ev: Event, sched: &mut Scheduler<Event>) -> bool {
        let is_sample = matches!(ev, Event::Sample);
        self.world.handle(ev, sched);
        let now = self.world.now;
        self.checkers.after_event(now, &self.world);
        let obs = self.world.take_obs();
        for o in &obs {
            self.checkers.observe(now, o, &self.world);
            self.metrics.observe(o, &self.world);
            if let Some(h) = self.history.as_mut() {
                h.observe(o);
            }
        }
        self.world.return_obs(obs);
        if is_sample {
            self.metrics.sample(&self.world);
            self.checkers.sample(now, &self.world);
        }
        !self.world.clients.limit_hit && self.world.phase != Phase::Done
    }

    fn trace_word(ev: &Event) -> u64 {
        ev.trace_word()
    }

    fn trace_json(&self, ev: &Event, out: &mut String) {
        crate::model::trace::event_json(&self.world, ev, out);
    }
}

/// Overrides from the command line.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub seed: Option<u64>,
    pub duration: Option<SimDuration>,
    pub trace: Option<Box<std::path::Path>>,
    /// Writes the strong-class register history as Jepsen EDN to this file.
    pub history: Option<Box<std::path::Path>>,
    /// Override the scenario's `limits.events_max` and `limits.sim_time_max_s`.
    pub events_max: Option<u64>,
    pub sim_time_max: Option<SimDuration>,
}

/// Everything a report needs from one run.
#[derive(Debug)]
pub struct RunResult {
    pub scenario: Arc<Scenario>,
    pub seed: u64,
    pub trace_hash: u64,
    pub events: u64,
    pub sim_end: SimTime,
    pub wall_secs: f64,
    pub drill_end: SimTime,
    pub converged_at: Option<SimTime>,
    pub invariants: Vec<InvariantReport>,
    pub metrics: crate::metrics::Summary,
    /// Keys whose value differs between regions at the end, with each region's value.
    pub divergent_keys: u64,
    pub divergent_examples: Vec<serde_json::Value>,
    pub final_writer: String,
    pub final_epoch: u32,
    /// The most each checker (and the ledger) held at once, by name: for tests that
    /// memory does not grow with simulated time. In no output.
    pub held_max: Vec<(&'static str, usize)>,
}

/// Divergent keys listed by name in the reconciliation report (all are counted).
const DIVERGENT_EXAMPLES_MAX: usize = 100;

/// Compares every region's store at the end of the run, key by key.
fn divergence(world: &World) -> (u64, Vec<serde_json::Value>) {
    let wl = &world.scenario.workload;
    let mut count = 0;
    let mut examples = Vec::new();
    for k in world.divergent_keys() {
        count += 1;
        if examples.len() < DIVERGENT_EXAMPLES_MAX {
            let values: serde_json::Map<String, serde_json::Value> = world
                .stores
                .iter()
                .map(|st| {
                    let v = match st.list(k) {
                        Some(l) => serde_json::json!(l),
                        None => st.cells[k as usize].value.into(),
                    };
                    (world.scenario.region_name(st.region).to_string(), v)
                })
                .collect();
            let kind = wl.key_kind(k);
            examples.push(serde_json::json!({"key": k, "kind": kind.name(), "values": values}));
        }
    }
    (count, examples)
}

/// Loads a scenario file for running: the scenario layer's validation, then what only
/// the run knows, that every metric `expect.metrics` names is a number in the run's
/// summary. A typo there is bad input before the run, not an unmet expectation after.
pub fn load(path: &str) -> Result<Scenario, ScenarioError> {
    let loaded = scenario::load(path)?;
    check_expected_metrics(&loaded)?;
    Ok(loaded)
}

/// `load` for a scenario's text.
pub fn from_str(path: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let parsed = scenario::from_str(path, text)?;
    check_expected_metrics(&parsed)?;
    Ok(parsed)
}

/// Every `expect.metrics` path names a number the summary holds for these regions.
pub fn check_expected_metrics(scenario: &Scenario) -> Result<(), ScenarioError> {
    let Some(expect) = &scenario.expect else { return Ok(()) };
    if expect.metrics.is_empty() {
        return Ok(());
    }
    let regions: Vec<&str> = scenario.regions.iter().map(|r| r.name.as_str()).collect();
    let known = crate::metrics::metric_paths(&regions);
    for (path, _, _) in &expect.metrics {
        if known.iter().any(|k| k == path) {
            continue;
        }
        return Err(ScenarioError::Invalid {
            file: scenario.source_path.clone(),
            path: format!("expect.metrics.\"{path}\""),
            msg: unknown_metric(path, &known),
        });
    }
    Ok(())
}

/// Why a metric path is unknown, with the closest known path and the valid ones near it.
fn unknown_metric(path: &str, known: &[String]) -> String {
    let mut msg = String::from("no such number in the run's summary");
    if let Some(close) = crate::field::closest(path, known.iter().map(String::as_str)) {
        msg.push_str(&format!("; did you mean \"{close}\"?"));
    }
    let group = path.split('.').next().unwrap_or_default();
    let siblings: Vec<&str> =
        known.iter().map(String::as_str).filter(|k| k.split('.').next() == Some(group)).collect();
    if siblings.is_empty() {
        let mut groups: Vec<&str> = known.iter().filter_map(|k| k.split('.').next()).collect();
        groups.dedup();
        msg.push_str(&format!(" (valid paths start with: {})", groups.join(", ")));
    } else {
        msg.push_str(&format!(" (valid under {group}: {})", siblings.join(", ")));
    }
    msg
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("{0}")]
    Run(#[from] RunError),
    #[error("a drawn swarm schedule is invalid: {0}")]
    Swarm(String),
    /// The `--trace` or `--history` file (`flag`) could not be opened or written.
    #[error("{flag} {path}: {reason}")]
    TraceFile { flag: &'static str, path: String, reason: String },
    #[error("limit ops_in_flight_max hit: more than {} operations in flight at {at}; lower workload.rate_per_s or the timeouts", crate::model::client::OPS_IN_FLIGHT_MAX)]
    OpsInFlight { at: SimTime },
}

/// The history file `--history` asked for, opened with the header gameday knows its
/// own files by.
fn open_history(s: &Scenario, opts: &RunOptions) -> Result<Option<History>, SimError> {
    let Some(p) = &opts.history else {
        return Ok(None);
    };
    let f = crate::output::write::create_stream(p).map_err(|e| SimError::TraceFile {
        flag: "--history",
        path: p.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut out = std::io::BufWriter::new(f);
    // A comment line EDN readers skip, by which gameday knows its own file. The name
    // stays on that one line: a newline in it would end the comment.
    let name = crate::output::text::line(&s.name);
    let header = format!("; gameday history of {name} seed {}\n", s.seed);
    out.write_all(header.as_bytes()).map_err(|e| SimError::TraceFile {
        flag: "--history",
        path: p.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(Some(History { out, translate: RegisterHistory::new(s) }))
}

/// The scenario as this run sees it: the command line's overrides applied and, in a
/// swarm drill, this seed's own fault schedule added to the fixed faults.
fn overridden(scenario: &Scenario, opts: &RunOptions) -> Result<Scenario, SimError> {
    let mut s = scenario.clone();
    if let Some(seed) = opts.seed {
        s.seed = seed;
    }
    if let Some(d) = opts.duration {
        s.duration = d;
        s.faults.retain(|f| f.at < SimTime::ZERO + d);
    }
    if let Some(n) = opts.events_max {
        s.events_max = n;
    }
    if let Some(t) = opts.sim_time_max {
        s.sim_time_max = t;
    }
    // A swarm drill: this seed's own schedule joins the fixed faults.
    if let Some(sw) = s.swarm.take() {
        let schedule = crate::scenario::swarm::draw(&s, &sw, s.seed);
        s = crate::scenario::with_faults(&s, &schedule)
            .map_err(|e| SimError::Swarm(e.to_string()))?;
    }
    Ok(s)
}

/// Runs a scenario with the given overrides.
pub fn run(scenario: &Scenario, opts: &RunOptions) -> Result<RunResult, SimError> {
    let s = Arc::new(overridden(scenario, opts)?);
    let limits = Limits {
        events_max: s.events_max,
        sim_time_max: SimTime::ZERO
            + s.sim_time_max
            + s.convergence_max
            + SimDuration::from_secs(1),
    };
    let mut engine: Engine<Event> = Engine::new(limits);
    if let Some(p) = &opts.trace {
        let f = crate::output::write::create_stream(p).map_err(|e| SimError::TraceFile {
            flag: "--trace",
            path: p.display().to_string(),
            reason: e.to_string(),
        })?;
        engine.set_trace(Box::new(std::io::BufWriter::new(f)) as Box<dyn Write>);
    }
    let history = open_history(&s, opts)?;
    let mut sim = Sim {
        world: World::new(s.clone(), s.seed),
        checkers: Checkers::new(&s),
        metrics: Metrics::new(&s),
        history,
    };
    sim.world.start(engine.scheduler());
    #[allow(clippy::disallowed_methods)] // wall time only to report how fast the run was
    let wall = std::time::Instant::now();
    engine.run(&mut sim)?;
    if sim.world.clients.limit_hit {
        return Err(SimError::OpsInFlight { at: engine.now() });
    }
    sim.checkers.finish(sim.world.now, &sim.world, sim.world.converged_at);
    if let Some(h) = sim.history.as_mut() {
        std::io::Write::flush(&mut h.out).map_err(|e| SimError::TraceFile {
            flag: "--history",
            path: "history".into(),
            reason: e.to_string(),
        })?;
    }
    let wall_secs = wall.elapsed().as_secs_f64();
    let (divergent_keys, divergent_examples) = divergence(&sim.world);
    let final_writer = s.region_name(sim.world.control.writer).to_string();
    let final_epoch = sim.world.control.epoch;
    Ok(RunResult {
        seed: s.seed,
        trace_hash: engine.trace_hash(),
        events: engine.events(),
        sim_end: engine.now(),
        wall_secs,
        drill_end: SimTime::ZERO + s.duration,
        converged_at: sim.world.converged_at,
        invariants: sim.checkers.reports(),
        held_max: sim.checkers.held_max(),
        metrics: sim.metrics.report(),
        divergent_keys,
        divergent_examples,
        final_writer,
        final_epoch,
        scenario: s,
    })
}
