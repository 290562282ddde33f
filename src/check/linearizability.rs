//! Linearizability of a concurrent history against a sequential model: is there a
//! total order of the operations, consistent with real time (an operation that completed
//! before another was invoked comes first), in which every operation's result is the one
//! the model gives? Operations whose outcome is unknown may take effect at any point
//! after their invocation, or never; failed operations never took effect.
//!
//! The search (`search.rs`) is Wing and Gong's, with Lowe's just-in-time linearization
//! and memoization of (linearized set, model state). Histories are split into
//! independent parts where the model allows it (P-compositionality: keys of a register
//! or kv store, groups of registers that transactions touch together), and each part is
//! checked alone. Every search is bounded by `Limits`; past them the verdict is
//! `Unknown`, never a hang or an out-of-memory kill.
//!
//! For a history that is not linearizable, the `Counterexample` names the longest
//! linearizable prefix, the operation that cannot be placed, and a minimized set of
//! operations that is still not linearizable, and draws them as an SVG timeline.
//!
//! ```
//! use gameday::check::linearizability::{check, Limits, Model, Verdict};
//! use gameday::history::{Func, History, ProcessId, Value};
//! let mut h = History::new();
//! let (a, b) = (ProcessId(1), ProcessId(2));
//! h.invoke(a, Func::Write, None, Value::Int(1)).unwrap();
//! h.ok(a, None).unwrap();
//! h.invoke(b, Func::Read, None, Value::Nil).unwrap();
//! h.ok(b, Some(Value::Nil)).unwrap(); // reads "absent" after the write completed
//! let v = check(&h, &Model::register(), &Limits::deterministic(1_000_000)).unwrap();
//! assert!(matches!(v, Verdict::NotLinearizable(_)));
//! ```

mod hash;
mod minimize;
mod models;
mod search;
mod svg;

use crate::history::{Func, History, OpId, Value};
use search::{Budget, Item, LimitHit, Mode};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Memo entries one search may hold by default (about 16 bytes plus the set and the
/// state per entry).
pub const MEMO_ENTRIES_MAX_DEFAULT: usize = 1 << 24;
/// Memo bytes one search may hold by default.
pub const MEMO_BYTES_MAX_DEFAULT: usize = 1 << 30;
/// Steps one independent part searches before the next takes its turn.
const QUANTUM_STEPS: u64 = 20_000;
/// Search steps that minimizing a counterexample may spend at most, beyond which the
/// set found so far is reported as it is.
pub const MINIMIZE_STEPS_MAX: u64 = 10_000_000;
/// Minimizing may spend this many times the steps the failed search took (but at least
/// `MINIMIZE_STEPS_MIN`): a counterexample should not cost much more than the verdict.
const MINIMIZE_STEPS_PER_SEARCH_STEP: u64 = 2;
const MINIMIZE_STEPS_MIN: u64 = 50_000;
/// One minimizing test may spend this many times the failed search's steps (but at
/// least `MINIMIZE_TEST_STEPS_MIN`); a test past it keeps the operations it tried to
/// drop. Weakened histories can be far harder than the original (optional appends make
/// exponentially many strings), and a test that explodes is not worth waiting for.
const MINIMIZE_TEST_STEPS_PER_SEARCH_STEP: u64 = 1;
const MINIMIZE_TEST_STEPS_MIN: u64 = 20_000;

/// A sequential specification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Model {
    /// Registers with `:read`, `:write` and `:cas [expected new]`, one per `:key` (a
    /// history without keys is one register). Every register starts at `init`;
    /// `Value::Nil` is "absent". A cas whose compare was observed to fail (output
    /// `Bool(false)`) requires the register to differ from `expected`.
    Register { init: Value },
    /// Strings per `:key`, starting empty: `:get` returns the string, `:put` sets it,
    /// `:append` concatenates.
    Kv,
    /// Named registers, all starting at `init`, read and written by `:txn` operations
    /// whose value is a list of `[:read name v]` and `[:write name v]`, applied in order.
    MultiRegister { init: Value },
    /// One lock: `:acquire` is illegal while held, `:release` while free.
    Mutex,
}

impl Model {
    /// Names `from_name` accepts, with what they mean.
    pub const NAMES: [(&'static str, &'static str); 5] = [
        ("register", "read/write/cas per key, initially absent"),
        ("cas-register", "read/write/cas per key, initially 0 (Knossos)"),
        ("kv", "get/put/append on strings per key, initially empty"),
        ("multi-register", "txns of reads and writes over named registers, initially 0"),
        ("mutex", "acquire/release of one lock, initially free"),
    ];

    /// `register` with the absent initial value.
    pub fn register() -> Model {
        Model::Register { init: Value::Nil }
    }

    /// A model by name: one of `NAMES`, or the names the corpora's `VERDICTS.tsv` use
    /// (`knossos-cas-register-init0`, `knossos-multi-register-x0y0`,
    /// `knossos-mutex-unlocked`, `kv-get-put-append`).
    pub fn from_name(name: &str) -> Option<Model> {
        Some(match name {
            "register" => Model::register(),
            "cas-register" | "knossos-cas-register-init0" => {
                Model::Register { init: Value::Int(0) }
            }
            "kv" | "kv-get-put-append" => Model::Kv,
            "multi-register" | "knossos-multi-register-x0y0" => {
                Model::MultiRegister { init: Value::Int(0) }
            }
            "mutex" | "knossos-mutex-unlocked" => Model::Mutex,
            _ => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Model::Register { .. } => "register",
            Model::Kv => "kv",
            Model::MultiRegister { .. } => "multi-register",
            Model::Mutex => "mutex",
        }
    }

    /// The model with another initial value, if it has one (registers).
    pub fn with_init(self, init: Value) -> Option<Model> {
        match self {
            Model::Register { .. } => Some(Model::Register { init }),
            Model::MultiRegister { .. } => Some(Model::MultiRegister { init }),
            Model::Kv | Model::Mutex => None,
        }
    }

    /// The functions its operations may call.
    pub fn funcs(&self) -> &'static [Func] {
        match self {
            Model::Register { .. } => &[Func::Read, Func::Write, Func::Cas],
            Model::Kv => &[Func::Get, Func::Put, Func::Append],
            Model::MultiRegister { .. } => &[Func::Txn],
            Model::Mutex => &[Func::Acquire, Func::Release],
        }
    }
}

/// What a check may spend. Past any limit the verdict is `Unknown`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time for the whole check. `None` reads no clock at all, so the
    /// verdict depends only on the history: what a deterministic simulation needs.
    pub timeout: Option<Duration>,
    /// Search steps for the whole check (one step tries one operation in one
    /// configuration), minimizing a counterexample included.
    pub steps_max: Option<u64>,
    /// Memo entries (configurations seen) one search may hold.
    pub memo_entries_max: usize,
    /// Memo bytes one search may hold (approximate: the arena may overshoot by its
    /// last growth).
    pub memo_bytes_max: usize,
    /// Memo bytes past which a search stops remembering configurations and goes on
    /// without: it prunes less, so it may run into its step limit sooner, but memory
    /// stays bounded and the verdict never depends on it otherwise (`memo_bytes_max`
    /// instead stops the search). The default keeps everything.
    pub memo_keep_bytes_max: usize,
}

impl Default for Limits {
    /// No step limit or timeout; the default memo caps.
    fn default() -> Self {
        Limits {
            timeout: None,
            steps_max: None,
            memo_entries_max: MEMO_ENTRIES_MAX_DEFAULT,
            memo_bytes_max: MEMO_BYTES_MAX_DEFAULT,
            memo_keep_bytes_max: usize::MAX,
        }
    }
}

impl Limits {
    /// Limits with no wall clock: the same history always gets the same verdict.
    pub fn deterministic(steps_max: u64) -> Limits {
        Limits { steps_max: Some(steps_max), ..Limits::default() }
    }

    /// Limits with a wall-clock timeout, for histories from elsewhere.
    pub fn timeout(timeout: Duration) -> Limits {
        Limits { timeout: Some(timeout), ..Limits::default() }
    }
}

/// Everything a check takes besides the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckConfig {
    pub model: Model,
    /// Check independent parts (keys, register groups) separately. Always sound where
    /// the model allows it; `false` checks the history as one object.
    pub partition: bool,
    /// Minimize a counterexample (costs about twice the failed search's steps, at most
    /// `MINIMIZE_STEPS_MAX`).
    pub minimize: bool,
    pub limits: Limits,
}

impl CheckConfig {
    pub fn new(model: Model, limits: Limits) -> CheckConfig {
        CheckConfig { model, partition: true, minimize: true, limits }
    }
}

/// The answer of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    NotLinearizable(Box<Counterexample>),
    /// A limit was hit first; `reason` says which.
    Unknown {
        reason: String,
    },
}

/// Why a history is not linearizable, within its independent part `key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The independent part that failed: the key (register, kv) or the list of
    /// register names (multi-register); `None` when the history was checked whole.
    pub key: Option<Value>,
    /// The longest linearizable prefix: a linearization, in order, of every operation
    /// that completed before `unplaceable` did (and of some that were still pending).
    pub prefix: Vec<OpId>,
    /// The operation that no linearization can place before its completion.
    pub unplaceable: OpId,
    /// Operations, `unplaceable` among them, in invocation order, whose outcomes
    /// contradict each other: not linearizable on their own, nor whatever the other
    /// operations did (each may have happened within its interval, or not at all). None
    /// of them can be left out that way without the contradiction going (when
    /// `minimal_complete`), and, unless its result is impossible at any time,
    /// `unplaceable` would fit among them if its timing were free: the set explains
    /// why it cannot be placed.
    pub minimal: Vec<OpId>,
    /// False when the minimizing ran out of budget: `minimal` is then smaller than
    /// the history but perhaps not minimal.
    pub minimal_complete: bool,
}

impl Counterexample {
    /// A self-contained SVG timeline: one lane per process, one bar per operation, the
    /// unplaceable operation in red, the rest of the minimized set in orange, the
    /// prefix's operations in green with their place in the linearization.
    pub fn svg(&self, h: &History) -> String {
        svg::render(self, h, false)
    }

    /// `svg` for a simulated run's history, whose operations are its processes: lanes
    /// and title name operations as the run's trails do.
    pub fn svg_of_operations(&self, h: &History) -> String {
        svg::render(self, h, true)
    }

    /// A few lines for a terminal: the prefix length, the unplaceable operation and the
    /// minimized set, each operation with its source line.
    pub fn summary(&self, h: &History) -> String {
        self.summary_naming(h, &|op| {
            if op.invoke.line > 0 {
                format!("{} (line {})", op.describe(), op.invoke.line)
            } else {
                format!("{} (op {})", op.describe(), op.id.0)
            }
        })
    }

    /// `summary`, with each operation named by `name` (a simulated run names them as
    /// its trails do, `operation #N`).
    pub fn summary_naming(
        &self,
        h: &History,
        name: &dyn Fn(&crate::history::Op) -> String,
    ) -> String {
        let at = |id: OpId| name(h.op(id));
        let key = self.key.as_ref().map_or(String::new(), |k| format!(" in key {k}"));
        let mut s = format!(
            "longest linearizable prefix{key}: {} ops; cannot place: {}\n",
            self.prefix.len(),
            at(self.unplaceable)
        );
        let note = if self.minimal_complete { "" } else { ", minimizing ran out of budget" };
        s.push_str(&format!("not linearizable on their own ({} ops{note}):\n", self.minimal.len()));
        for &id in &self.minimal {
            s.push_str(&format!("  {}\n", at(id)));
        }
        s
    }
}

/// An operation the model cannot read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {msg}", if *line > 0 { format!("line {line}") } else { format!("operation {}", op.0) })]
pub struct ModelError {
    /// Source line of its invocation (0 for programmatic histories).
    pub line: u32,
    pub op: OpId,
    pub msg: String,
}

/// A verdict with what it cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub verdict: Verdict,
    /// Operations searched (failed ones and unconstrained reads are dropped first).
    pub ops_checked: usize,
    pub partitions: usize,
    pub steps: u64,
    pub memo_entries_peak: usize,
}

/// Checks `h` against `model`, splitting it into independent parts where the model
/// allows, and minimizing any counterexample.
pub fn check(h: &History, model: &Model, limits: &Limits) -> Result<Verdict, ModelError> {
    check_with(h, &CheckConfig::new(model.clone(), limits.clone())).map(|r| r.verdict)
}

/// `check` with every option, reporting the cost.
pub fn check_with(h: &History, cfg: &CheckConfig) -> Result<Report, ModelError> {
    let deadline = cfg.limits.timeout.map(|t| {
        // Wall clock only when the caller asked for a timeout.
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        now + t
    });
    let mut budget = Budget {
        steps_left: cfg.limits.steps_max.unwrap_or(u64::MAX),
        deadline,
        memo_entries_max: cfg.limits.memo_entries_max.max(1),
        memo_bytes_max: cfg.limits.memo_bytes_max,
        memo_keep_bytes_max: cfg.limits.memo_keep_bytes_max,
        steps_taken: 0,
        memo_entries_peak: 0,
    };
    let parts = partitions(h, &cfg.model, cfg.partition);
    let mut compiled = Vec::with_capacity(parts.len());
    for (key, ids) in parts {
        compiled.push((key, models::compile(h, &cfg.model, &ids)?));
    }
    let ops_checked = compiled.iter().map(|(_, c)| c.ops.len()).sum();
    let partitions = compiled.len();
    let (verdict, limit) = search_parts(&mut compiled, cfg.minimize, &mut budget);
    let mut verdict = verdict;
    if let (Verdict::Linearizable, Some(hit)) = (&verdict, limit) {
        verdict = Verdict::Unknown { reason: describe_limit(hit, &cfg.limits) };
    }
    Ok(Report {
        verdict,
        ops_checked,
        partitions,
        steps: budget.steps_taken,
        memo_entries_peak: budget.memo_entries_peak,
    })
}

/// An independent part of a history: its key and its compiled operations.
type Part = (Option<Value>, models::Compiled);

/// What a round reports for one part: its index, the search's outcome (`None`: paused
/// at the round's end) and what it spent.
type RoundResult = (usize, Option<search::Outcome>, Budget);

/// The part that a round found not linearizable: its index, the operation no branch of
/// its search got past, and the linearizable prefix that reached furthest.
struct Failure {
    part: usize,
    furthest: usize,
    prefix: Vec<usize>,
}

/// Searches the parts in rounds: each undecided part searches `QUANTUM_STEPS` steps per
/// round (parts in parallel, on rayon's threads), until one is not linearizable or all
/// are decided. A failing part is found after about as many steps per part as it needs,
/// however hard the others are. Rounds are counted in steps, not time, and when several
/// parts fail in one round the first in key order is reported, so the verdict and the
/// counterexample are the same on every run, with any number of threads.
fn search_parts(
    compiled: &mut [Part],
    minimize: bool,
    budget: &mut Budget,
) -> (Verdict, Option<LimitHit>) {
    let mut searches = start_searches(compiled);
    let mut limit: Option<LimitHit> = None;
    loop {
        let live = searches.iter().filter(|s| s.is_some()).count();
        if live == 0 {
            return (Verdict::Linearizable, limit);
        }
        // Every part's share of the steps left, so a round never overspends.
        let quantum = QUANTUM_STEPS.min(budget.steps_left / live as u64);
        if quantum == 0 {
            return (Verdict::Linearizable, limit.or(Some(LimitHit::Steps)));
        }
        let results = run_round(compiled, &mut searches, budget, quantum, live);
        if let Some(failure) = settle_round(results, &mut searches, budget, &mut limit) {
            let steps = searches[failure.part].as_ref().map_or(0, |s| s.steps);
            // Free the other searches' memory before minimizing.
            searches.clear();
            let (key, part) = &mut compiled[failure.part];
            let minimize = minimize.then_some(steps);
            let cx = minimize::counterexample(
                part,
                key.take(),
                failure.furthest,
                &failure.prefix,
                minimize,
                budget,
            );
            return (Verdict::NotLinearizable(Box::new(cx)), limit);
        }
        if matches!(limit, Some(LimitHit::Steps | LimitHit::Deadline)) {
            return (Verdict::Linearizable, limit);
        }
    }
}

/// One search per part, over all of its operations as recorded, keeping the longest
/// linearizable prefix for the counterexample.
fn start_searches(compiled: &[Part]) -> Vec<Option<search::Search>> {
    compiled
        .iter()
        .map(|(_, part)| {
            let all: Vec<Item> =
                (0..part.ops.len() as u32).map(|op| Item::new(op, Mode::Definite)).collect();
            Some(search::Search::new(part, &all, true))
        })
        .collect()
}

/// One round: every live search runs up to `quantum` steps on its own copy of the
/// budget, in parallel when more than one search and more than one thread are there.
/// The results come back in part order whatever the threads did.
fn run_round(
    compiled: &mut [Part],
    searches: &mut [Option<search::Search>],
    budget: &Budget,
    quantum: u64,
    live: usize,
) -> Vec<RoundResult> {
    use rayon::prelude::*;
    let bytes: usize = searches.iter().flatten().map(|s| s.bytes()).sum();
    let round = |(i, (part, s)): (usize, (&mut Part, &mut Option<search::Search>))| {
        let s = s.as_mut()?;
        let mut spent = budget.clone();
        spent.steps_taken = 0;
        let others = bytes - s.bytes();
        Some((i, s.run(&mut part.1, &mut spent, quantum, others), spent))
    };
    if live == 1 || rayon::current_num_threads() == 1 {
        compiled.iter_mut().zip(searches.iter_mut()).enumerate().filter_map(round).collect()
    } else {
        (compiled.par_iter_mut().zip(searches.par_iter_mut()).enumerate())
            .filter_map(round)
            .collect()
    }
}

/// Charges a round's spending to `budget`, retires the searches that decided or hit a
/// limit (the first limit is kept in `limit`), and returns the first part in key order
/// that is not linearizable.
fn settle_round(
    results: Vec<RoundResult>,
    searches: &mut [Option<search::Search>],
    budget: &mut Budget,
    limit: &mut Option<LimitHit>,
) -> Option<Failure> {
    let mut failed: Option<Failure> = None;
    for (i, out, spent) in results {
        budget.steps_taken += spent.steps_taken;
        budget.steps_left = budget.steps_left.saturating_sub(spent.steps_taken);
        budget.memo_entries_peak = budget.memo_entries_peak.max(spent.memo_entries_peak);
        match out {
            None => {}
            Some(search::Outcome::Linearizable) => searches[i] = None,
            Some(search::Outcome::Limit(hit)) => {
                *limit = limit.or(Some(hit));
                searches[i] = None;
            }
            // Several parts may fail in one round: the first in key order counts.
            Some(search::Outcome::NotLinearizable { furthest, prefix }) if failed.is_none() => {
                failed = Some(Failure { part: i, furthest, prefix });
            }
            Some(search::Outcome::NotLinearizable { .. }) => {}
        }
    }
    failed
}

fn describe_limit(hit: LimitHit, l: &Limits) -> String {
    match hit {
        LimitHit::Steps => format!("search exceeded {} steps", l.steps_max.unwrap_or(u64::MAX)),
        LimitHit::Deadline => format!(
            "search exceeded the timeout of {:.3} s",
            l.timeout.unwrap_or_default().as_secs_f64()
        ),
        LimitHit::MemoEntries => {
            format!("memo table reached its cap of {} entries", l.memo_entries_max)
        }
        LimitHit::MemoBytes => {
            format!("memo table reached its cap of {} MiB", l.memo_bytes_max >> 20)
        }
    }
}

/// The independent parts of `h`: each with its key and its operations in invocation
/// order, in key order.
fn partitions(h: &History, model: &Model, partition: bool) -> Vec<(Option<Value>, Vec<OpId>)> {
    let all = || h.ops().iter().map(|o| o.id).collect::<Vec<_>>();
    if !partition {
        return vec![(None, all())];
    }
    match model {
        Model::Mutex => vec![(None, all())],
        Model::Register { .. } | Model::Kv => {
            let mut by_key: BTreeMap<Option<Value>, Vec<OpId>> = BTreeMap::new();
            for op in h.ops() {
                by_key.entry(op.key.clone()).or_default().push(op.id);
            }
            by_key.into_iter().collect()
        }
        Model::MultiRegister { .. } => register_groups(h),
    }
}

/// Multi-register histories split into groups of registers that no transaction
/// connects: each group is an object of its own. A txn's registers come from its
/// invocation (its completion names the same ones).
fn register_groups(h: &History) -> Vec<(Option<Value>, Vec<OpId>)> {
    let names_of = |v: &Value| -> Vec<Value> {
        let Value::List(ms) = v else { return vec![] };
        ms.iter()
            .filter_map(|m| match m {
                Value::List(t) if t.len() == 3 => Some(t[1].clone()),
                _ => None,
            })
            .collect()
    };
    let mut index: BTreeMap<Value, usize> = BTreeMap::new();
    let mut parent: Vec<usize> = Vec::new();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut op_names = Vec::with_capacity(h.ops().len());
    for op in h.ops() {
        let names = names_of(&op.value);
        let mut first: Option<usize> = None;
        for n in &names {
            let next = parent.len();
            let i = *index.entry(n.clone()).or_insert(next);
            if i == next {
                parent.push(i);
            }
            match first {
                None => first = Some(i),
                Some(f) => {
                    let (a, b) = (root(&mut parent, f), root(&mut parent, i));
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        op_names.push(first);
    }
    let roots: Vec<usize> = (0..parent.len()).map(|i| root(&mut parent, i)).collect();
    let mut groups: BTreeMap<Option<usize>, Vec<OpId>> = BTreeMap::new();
    for (op, first) in h.ops().iter().zip(op_names) {
        groups.entry(first.map(|f| roots[f])).or_default().push(op.id);
    }
    groups
        .into_iter()
        .map(|(r, ids)| {
            let key = r.map(|r| {
                let names = index.iter().filter(|(_, &i)| roots[i] == r);
                Value::List(names.map(|(n, _)| n.clone()).collect())
            });
            (key, ids)
        })
        .collect()
}
