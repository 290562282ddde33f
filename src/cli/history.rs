//! `gameday history ...`: commands on operation histories from elsewhere (Jepsen,
//! Knossos, Porcupine, or the simulator's own `--history` files). Arguments are
//! validated before any file is read; each file then gets one line (verdict, operations,
//! time) and, when it is not linearizable, the counterexample's summary.
//!
//! Exit codes: 0 all linearizable, 1 any not linearizable, 2 bad input (unreadable or
//! malformed file, unknown model or option value), 3 any verdict unknown (a limit was
//! hit) and none not linearizable.

use super::error::{CliError, HistoryArgError};
use super::exit::{ExitCode, Ranking};
use crate::check::linearizability::{self, CheckConfig, Counterexample, Limits, Model, Verdict};
use crate::history::{self, Format, History, NilRead, ParseOptions, Value};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Seconds a file may take by default.
const TIMEOUT_S_DEFAULT: f64 = 60.0;
/// The largest history file read by default (memory is a few times the file's size).
const SIZE_MB_MAX_DEFAULT: f64 = 1024.0;
/// The most operations one history may hold by default.
const OPS_MAX_DEFAULT: usize = 10_000_000;

#[derive(Subcommand, Debug)]
pub enum HistoryCmd {
    /// Check histories for linearizability against a sequential model.
    #[command(
        after_help = "Example: gameday history check history.edn --model cas-register --svg-dir cx/"
    )]
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// register (initially absent), cas-register (initially 0), kv, multi-register,
        /// mutex.
        #[arg(long)]
        model: String,
        /// auto, edn (Jepsen/Knossos EDN) or jepsen-log (Jepsen's log lines).
        #[arg(long, default_value = "auto")]
        format: String,
        /// Wall-clock seconds per file; past it the verdict is unknown (exit 3).
        #[arg(long, value_name = "S", default_value_t = TIMEOUT_S_DEFAULT)]
        timeout: f64,
        /// Check the history as one object instead of key by key.
        #[arg(long = "no-partition")]
        no_partition: bool,
        /// Initial register value (an integer, a "string", or nil for absent).
        #[arg(long)]
        init: Option<String>,
        /// What a nil read result means: absent, or unconstrained (default: the
        /// format's convention, unconstrained for EDN, absent for Jepsen logs).
        #[arg(long = "nil-read")]
        nil_read: Option<String>,
        /// Memo entries one search may hold; past it the verdict is unknown.
        #[arg(long = "memo-max", default_value_t = linearizability::MEMO_ENTRIES_MAX_DEFAULT)]
        memo_max: usize,
        /// Reports counterexamples without minimizing them (faster on huge histories).
        #[arg(long = "no-minimize")]
        no_minimize: bool,
        /// Writes each counterexample as DIR/<file stem>.svg.
        #[arg(long = "svg-dir", value_name = "DIR")]
        svg_dir: Option<PathBuf>,
        /// Larger files are not read: exit 3.
        #[arg(long = "size-mb-max", value_name = "MB", default_value_t = SIZE_MB_MAX_DEFAULT)]
        size_mb_max: f64,
        /// Histories with more operations are not checked: exit 3.
        #[arg(long = "ops-max", value_name = "N", default_value_t = OPS_MAX_DEFAULT)]
        ops_max: usize,
    },
}

/// A validated `history check`.
struct CheckArgs {
    files: Vec<PathBuf>,
    parse: ParseOptions,
    cfg: CheckConfig,
    svg_dir: Option<PathBuf>,
    size_bytes_max: u64,
    ops_max: usize,
}

/// Runs a `history` command.
pub fn run(cmd: HistoryCmd) -> Result<ExitCode, CliError> {
    let args = validate(cmd)?;
    Ok(check_files(&args))
}

fn validate(cmd: HistoryCmd) -> Result<CheckArgs, HistoryArgError> {
    let HistoryCmd::Check {
        files,
        model,
        format,
        timeout,
        no_partition,
        init,
        nil_read,
        memo_max,
        no_minimize,
        svg_dir,
        size_mb_max,
        ops_max,
    } = cmd;
    if !(size_mb_max.is_finite() && size_mb_max > 0.0 && size_mb_max <= 1_048_576.0) {
        return Err(HistoryArgError::SizeMbMax { size_mb_max });
    }
    if ops_max == 0 || ops_max > history::HISTORY_OPS_MAX {
        return Err(HistoryArgError::OpsMax { ops_max });
    }
    let model = parse_model(&model, init.as_deref())?;
    let format = Format::from_name(&format)
        .ok_or_else(|| HistoryArgError::UnknownFormat { name: format.clone() })?;
    let nil_read = parse_nil_read(nil_read.as_deref())?;
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 86_400.0) {
        return Err(HistoryArgError::Timeout { timeout_s: timeout });
    }
    let limits = Limits {
        timeout: Some(Duration::from_secs_f64(timeout)),
        memo_entries_max: memo_max.max(1),
        ..Limits::default()
    };
    let mut cfg = CheckConfig::new(model, limits);
    cfg.partition = !no_partition;
    cfg.minimize = !no_minimize;
    Ok(CheckArgs {
        files,
        parse: ParseOptions { format, nil_read },
        cfg,
        svg_dir,
        size_bytes_max: (size_mb_max * 1_048_576.0) as u64,
        ops_max,
    })
}

/// `--model`, with `--init` as its initial value where the model has one.
fn parse_model(name: &str, init: Option<&str>) -> Result<Model, HistoryArgError> {
    let model = Model::from_name(name)
        .ok_or_else(|| HistoryArgError::UnknownModel { name: name.to_string() })?;
    let Some(text) = init else { return Ok(model) };
    let value = parse_init(text)?;
    model
        .with_init(value)
        .ok_or_else(|| HistoryArgError::NoInitialValue { model: name.to_string() })
}

/// `--nil-read`; absent, the format's own convention.
fn parse_nil_read(name: Option<&str>) -> Result<Option<NilRead>, HistoryArgError> {
    match name {
        None => Ok(None),
        Some("absent") => Ok(Some(NilRead::Absent)),
        Some("unconstrained") => Ok(Some(NilRead::Unconstrained)),
        Some(other) => Err(HistoryArgError::UnknownNilRead { name: other.to_string() }),
    }
}

/// `--init`: an EDN scalar; `absent` is accepted for nil.
fn parse_init(text: &str) -> Result<Value, HistoryArgError> {
    if text == "absent" {
        return Ok(Value::Nil);
    }
    let mut reader = history::edn::Reader::new(text);
    let bad = |why: String| HistoryArgError::Init { text: text.to_string(), why };
    let form = reader.read(0).map_err(|e| bad(e.msg))?;
    reader.skip_ws().map_err(|e| bad(e.msg))?;
    if !reader.at_end() {
        return Err(bad("one value expected".into()));
    }
    history::edn::to_value(&form).map_err(|e| bad(e.to_string()))
}

/// Checks every file in turn, one line each; the exit code ranks a definite failure
/// above an unknown verdict (see `Ranking::UnmetBeforeLimit`).
fn check_files(args: &CheckArgs) -> ExitCode {
    let mut svg_names: Vec<String> = Vec::new();
    let codes: Vec<ExitCode> =
        args.files.iter().map(|path| check_file(path, args, &mut svg_names)).collect();
    ExitCode::most_severe(codes, Ranking::UnmetBeforeLimit)
}

/// Checks one file and prints its line (or its error); returns what it means for the
/// exit code.
fn check_file(path: &Path, args: &CheckArgs, svg_names: &mut Vec<String>) -> ExitCode {
    #[allow(clippy::disallowed_methods)] // reports how long a check took
    let started = Instant::now();
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    if size > args.size_bytes_max {
        super::say_err(&format!(
            "error: {}: limit size_mb_max hit: the file is {:.2} MB, above {:.2} MB; raise --size-mb-max to read it",
            path.display(),
            size as f64 / 1_048_576.0,
            args.size_bytes_max as f64 / 1_048_576.0
        ));
        return ExitCode::Limit;
    }
    let parsed = match history::load(path, &args.parse) {
        Ok(parsed) => parsed,
        Err(e) => {
            super::say_err(&format!("error: {e}"));
            return ExitCode::BadInput;
        }
    };
    if parsed.ops().len() > args.ops_max {
        super::say_err(&format!(
            "error: {}: limit ops_max hit: {} operations, above {}; raise --ops-max to check it",
            path.display(),
            parsed.ops().len(),
            args.ops_max
        ));
        return ExitCode::Limit;
    }
    let report = match linearizability::check_with(&parsed, &args.cfg) {
        Ok(report) => report,
        Err(e) => {
            let at = if e.line > 0 { format!(":{}", e.line) } else { String::new() };
            super::say_err(&format!("error: {}{at}: {}", path.display(), e.msg));
            return ExitCode::BadInput;
        }
    };
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let ops = parsed.ops().len();
    match &report.verdict {
        Verdict::Linearizable => {
            super::say(&format!("{}: linearizable ({ops} ops, {ms:.1} ms)", path.display()));
            ExitCode::Ok
        }
        Verdict::Unknown { reason } => {
            super::say(&format!("{}: unknown: {reason} ({ops} ops, {ms:.1} ms)", path.display()));
            ExitCode::Limit
        }
        Verdict::NotLinearizable(cx) => {
            super::say(&format!("{}: NOT linearizable ({ops} ops, {ms:.1} ms)", path.display()));
            for line in cx.summary(&parsed).lines() {
                super::say(&format!("  {line}"));
            }
            match &args.svg_dir {
                Some(dir) => draw_counterexample(dir, path, cx, &parsed, svg_names),
                None => ExitCode::Unmet,
            }
        }
    }
}

/// Writes the counterexample's timeline into `dir` and says where; a path that cannot
/// be written is bad input, which outranks the failure itself.
fn draw_counterexample(
    dir: &Path,
    path: &Path,
    cx: &Counterexample,
    parsed: &History,
    svg_names: &mut Vec<String>,
) -> ExitCode {
    let file = dir.join(svg_name(path, svg_names));
    let written =
        crate::output::check_file("--svg-dir", &file).map_err(CliError::from).and_then(|()| {
            crate::output::write::write_atomic(&file, cx.svg(parsed).as_bytes())
                .map_err(|source| CliError::Svg { path: file.clone(), source })
        });
    match written {
        Ok(()) => {
            super::say(&format!("  timeline: {}", file.display()));
            ExitCode::Unmet
        }
        Err(e) => {
            super::say_err(&format!("error: {e}"));
            ExitCode::BadInput
        }
    }
}

/// `<stem>.svg`, with `-2`, `-3`... when files of the same stem were checked.
fn svg_name(path: &Path, taken: &mut Vec<String>) -> String {
    let stem: String = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("history")
        .chars()
        .map(
            |c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '-' },
        )
        .collect();
    let mut name = format!("{stem}.svg");
    let mut i = 2;
    while taken.contains(&name) {
        name = format!("{stem}-{i}.svg");
        i += 1;
    }
    taken.push(name.clone());
    name
}
