//! From `ScenarioFile` to `Scenario`: resolves defaults, interns region names, checks
//! every cross-reference and range, and reports the first problem with its field path.
//! One file per part of the scenario; `parse` turns serde's errors into a user's words;
//! `patch` derives scenarios (designs, drawn faults) from validated ones.

mod consensus;
mod design;
mod expect;
mod faults;
mod labels;
mod parse;
mod patch;
mod regions;
mod standbys;
mod workload;

use super::file::*;
use super::types::*;
use super::ScenarioError;
use crate::engine::{fnv1a64, SimDuration};
use crate::field::{self, Checked, FieldError};

pub use patch::{merge_patch, with_design, with_faults};

/// The invariants gameday checks, in the order every report lists them. The checkers
/// are built from this list (`check::Checkers::new` matches on it exhaustively), so an
/// invariant added here without a checker does not compile.
macro_rules! invariants {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// One invariant, by name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum InvariantId {
            $($variant),*
        }

        impl InvariantId {
            pub const ALL: &'static [InvariantId] = &[$(InvariantId::$variant),*];

            /// The id as scenarios, reports and the command line spell it.
            pub fn name(self) -> &'static str {
                match self {
                    $(InvariantId::$variant => $name),*
                }
            }
        }

        /// Invariant ids a scenario's `expect` may name, in report order.
        pub const KNOWN_INVARIANTS: &[&str] = &[$($name),*];
    };
}

invariants!(
    SingleWriter => "single_writer",
    FencedWrites => "fenced_writes",
    AckedDurability => "acked_durability",
    Freshness => "freshness",
    Domain => "domain",
    ExactlyOnceEffects => "exactly_once_effects",
    Session => "session",
    NoLostUpdate => "no_lost_update",
    Recovery => "recovery",
    Linearizable => "linearizable",
    AppendIntegrity => "append_integrity",
);

/// The longest scenario name, in characters (it names the report folder).
pub const NAME_CHARS_MAX: usize = 200;
const REGIONS_MAX: usize = 16;
const KEYS_MAX: u32 = 1_000_000;
/// The longest a list may be allowed to grow (reads return the whole list).
pub const LIST_LENGTH_MAX: u32 = 1_024;
/// Bounds that keep balances summed over all accounts far from integer overflow.
const MONEY_MAX: i64 = 1_000_000_000_000;

/// Faults one swarm schedule may hold at most.
pub const SWARM_FAULTS_MAX: u32 = 64;

/// The largest scenario or design file read, in bytes: far above any real one (the
/// bundled scenarios are a few kilobytes), low enough that a wrong path (a log, a disk
/// image, `/dev/urandom`) is refused at once.
pub const SCENARIO_BYTES_MAX: u64 = 16 << 20;

/// The text of the scenario (or design) file at `path`, read within
/// `SCENARIO_BYTES_MAX`: a folder, a device or a file that is not UTF-8 is an error
/// naming the file, never a hang.
pub fn read_text(path: &str) -> Result<String, ScenarioError> {
    let limit = crate::input::Limit {
        name: "scenario_bytes_max",
        bytes_max: SCENARIO_BYTES_MAX,
        hint: "a scenario file is far smaller; check that the path names a scenario",
    };
    crate::input::read_text(std::path::Path::new(path), limit).map_err(|e| {
        let mut reason = e.to_string();
        if matches!(e, crate::input::TextError::NotUtf8 { .. }) {
            reason.push_str("; scenario files are UTF-8 JSON");
        }
        ScenarioError::Io { file: path.to_string(), reason }
    })
}

/// Reads and validates the scenario at `path`.
pub fn load(path: &str) -> Result<Scenario, ScenarioError> {
    from_str(path, &read_text(path)?)
}

/// Parses and validates scenario text; `file` names it in errors.
/// The typed file in `text`, not yet validated: what `with_design` patches.
pub fn parse_file(file: &str, text: &str) -> Result<super::file::ScenarioFile, ScenarioError> {
    parse::parse(file, text.strip_prefix('\u{feff}').unwrap_or(text))
}

pub fn from_str(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let source_hash = fnv1a64(text.as_bytes());
    // Some editors start UTF-8 files with a byte-order mark; it is not JSON, and not an error.
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body.trim().is_empty() {
        return Err(ScenarioError::Syntax {
            file: file.to_string(),
            line: 1,
            column: 1,
            msg: "the file is empty; a scenario is a JSON object: {\"version\": 1, \"name\": ..., \"regions\": [...]}".to_string(),
        });
    }
    if let Some(c) = body.trim_start().chars().next().filter(|c| *c != '{') {
        let found = match c {
            '[' => "an array",
            '"' => "a string",
            '0'..='9' | '-' => "a number",
            't' | 'f' => "a boolean",
            'n' => "null",
            _ => "something that is not JSON",
        };
        return Err(ScenarioError::Invalid {
            file: file.to_string(),
            path: "(top level)".to_string(),
            msg: format!("expected an object, got {found}; a scenario is a JSON object {{\"version\": 1, \"name\": ..., \"regions\": [...]}}"),
        });
    }
    let raw = parse::parse(file, body)?;
    let mut v = Validator::new(file, source_hash);
    let s = v.scenario(raw.clone())?;
    // Every variant must make a valid scenario too, or `compare` would fail late.
    for (i, var) in s.variants.iter().enumerate() {
        if let Err(e) = with_design(&raw, file, source_hash, file, &var.design) {
            let (path, msg) = match e {
                ScenarioError::Invalid { path, msg, .. } => (path, msg),
                other => (String::new(), other.to_string()),
            };
            return Err(ScenarioError::Invalid {
                file: file.to_string(),
                path: format!("variants[{i}] ({}): {path}", var.name),
                msg,
            });
        }
    }
    Ok(s)
}

/// What validates a file: its name (for errors) and the hash of its bytes.
struct Validator<'a> {
    file: &'a str,
    source_hash: u64,
    /// The workload's own names for operation kinds (`workload.labels`), by label.
    labels: std::collections::BTreeMap<String, OpKind>,
}

type R<T> = Result<T, ScenarioError>;

impl<'a> Validator<'a> {
    fn new(file: &'a str, source_hash: u64) -> Self {
        Validator { file, source_hash, labels: Default::default() }
    }

    fn err<T>(&self, path: impl Into<String>, msg: impl Into<String>) -> R<T> {
        Err(ScenarioError::Invalid {
            file: self.file.to_string(),
            path: path.into(),
            msg: msg.into(),
        })
    }

    /// A field check's error, in this file.
    fn field<T>(&self, checked: Checked<T>) -> R<T> {
        checked.map_err(|FieldError { path, msg }| ScenarioError::Invalid {
            file: self.file.to_string(),
            path,
            msg,
        })
    }

    fn positive_ms(&self, path: &str, ms: f64) -> R<SimDuration> {
        self.field(field::positive_ms(path, ms))
    }

    fn nonneg_ms(&self, path: &str, ms: f64) -> R<SimDuration> {
        self.field(field::nonneg_ms(path, ms))
    }

    fn nonneg_s(&self, path: &str, s: f64) -> R<SimDuration> {
        self.field(field::nonneg_s(path, s))
    }

    fn positive_s(&self, path: &str, s: f64) -> R<SimDuration> {
        self.field(field::positive_s(path, s))
    }

    fn region(&self, regions: &[RegionSpec], path: &str, name: &str) -> R<RegionId> {
        self.field(field::region(regions, path, name))
    }

    /// The scenario's name: not blank, and short enough to name its report folder.
    fn name(&self, name: &str) -> R<()> {
        if name.trim().is_empty() {
            return self.err("name", "must not be empty");
        }
        // The name becomes a folder (reports/<name>/): refused here, before a run, rather
        // than failing to create the folder after it.
        let name_chars = name.chars().count();
        if name_chars > NAME_CHARS_MAX {
            return self.err(
                "name",
                format!("{name_chars} characters; a name may have at most {NAME_CHARS_MAX}"),
            );
        }
        Ok(())
    }

    fn scenario(&mut self, f: ScenarioFile) -> R<Scenario> {
        if f.version != 1 {
            return self.err(
                "version",
                format!("unsupported version {}; this gameday reads version 1", f.version),
            );
        }
        self.name(&f.name)?;
        self.labels = self.labels_of(&f.workload)?;
        let duration = self.positive_s("duration_s", f.duration_s)?;
        let regions = self.regions(&f.regions)?;
        let (rtt_us, jitter_mean_us) = self.network(&f.network, &regions)?;
        let design = self.design(&f.design, &regions)?;
        if let Some((at, _)) = design.planned.filter(|(at, _)| at.as_us() >= duration.as_us()) {
            return self.err(
                "design.promotion.planned.at_s",
                format!(
                    "must fall within the drill (duration_s {}), got {}",
                    crate::field::num(f.duration_s),
                    crate::field::num(at.as_secs_f64())
                ),
            );
        }
        let mut workload = self.workload(&f.workload, &regions)?;
        if design.topology == Topology::ActiveActiveReads {
            // Every region serves reads: those the workload leaves unclassed go to the
            // nearest region whose lag is within the design's default bound.
            let bound =
                self.positive_ms("design.reads.default_bound_ms", f.design.reads.default_bound_ms)?;
            for kind in OpKind::ALL.into_iter().filter(|k| k.is_read()) {
                if self.file_key(&f.workload.read_classes, kind).is_none() {
                    workload.read_class[kind.idx()] = ReadClass::Bounded(bound);
                }
            }
        }
        self.reads_servable(&f.workload, &design, &workload)?;
        let faults = self.faults(&f.faults, &regions, duration, &design)?;
        let swarm = self.swarm(f.swarm, &regions, duration, &design)?;
        let (events_max, sim_time_max, convergence_max) = self.limits(&f.limits, duration)?;
        let rto_max = match f.limits.rto_max_s {
            Some(s) => self.positive_s("limits.rto_max_s", s)?,
            None => SimDuration::from_secs(30),
        };
        let expect = match f.expect {
            Some(e) => Some(self.expect(e)?),
            None => None,
        };
        Ok(Scenario {
            name: f.name,
            description: f.description,
            seed: f.seed,
            duration,
            source_hash: self.source_hash,
            source_path: self.file.to_string(),
            regions,
            rtt_us,
            jitter_mean_us,
            design,
            workload,
            faults,
            events_max,
            sim_time_max,
            convergence_max,
            rto_max,
            expect,
            variants: self.variants(f.variants)?,
            swarm,
        })
    }
}

fn check_place(c: DebitCheckFile) -> DebitCheck {
    match c {
        DebitCheckFile::Writer => DebitCheck::Writer,
        DebitCheckFile::LocalRead => DebitCheck::LocalRead,
    }
}
