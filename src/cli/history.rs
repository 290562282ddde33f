//! `gameday history ...`: commands on operation histories from elsewhere (Jepsen,
//! Knossos, Porcupine, or the simulator's own `--history` files). Arguments are
//! validated before any file is read; each file then gets one line (verdict, operations,
//! time) and, when it is not linearizable, the counterexample's summary.
//!
//! Without `--model`, each file is checked against the model its operations fit
//! (`history_model`), or refused with the models that would.
//!
//! Exit codes: 0 all linearizable, 1 any not linearizable, 2 bad input (unreadable or
//! malformed file, unknown model or option value), 3 any verdict unknown (a limit was
//! hit) and none not linearizable.

use super::error::{CliError, HistoryArgError};
use super::exit::{ExitCode, Ranking};
use super::flags::ForceFlag;
use super::history_model::{self, ModelArg};
use crate::check::linearizability::{self, CheckConfig, Counterexample, Limits, Model, Verdict};
use crate::history::{self, Format, History, NilRead, ParseOptions, Value};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Seconds a file may take by default.
const TIMEOUT_S_DEFAULT: f64 = 60.0;
/// The largest history file read by default (memory is a few times the file's size).
const SIZE_MB_MAX_DEFAULT: f64 = (history::HISTORY_BYTES_MAX_DEFAULT >> 20) as f64;
/// The most operations one history may hold by default.
const OPS_MAX_DEFAULT: usize = 10_000_000;

#[derive(Subcommand, Debug)]
pub enum HistoryCmd {
    /// Check histories for linearizability against a sequential model.
    ///
    /// Without --model, each file is checked against the model its operations fit
    /// (get/put/append: kv; txn: multi-register; acquire/release: mutex); read/write/cas
    /// fit register and cas-register, which differ in the initial value, so such a file
    /// needs --model or --init (the simulator's own --history files are register).
    #[command(
        after_help = "Example: gameday history check history.edn --model cas-register --svg-dir cx/"
    )]
    Check {
        /// History files: Jepsen/Knossos EDN, or Jepsen's log lines.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The sequential model (default: the one each file's operations fit).
        #[arg(long, value_enum)]
        model: Option<ModelArg>,
        /// How the files are written (default: auto, from the name and the contents).
        #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
        format: FormatArg,
        /// Wall-clock seconds per file; past it the verdict is unknown (exit 3).
        #[arg(long, value_name = "S", default_value_t = TIMEOUT_S_DEFAULT)]
        timeout: f64,
        /// Check the history as one object instead of key by key.
        #[arg(long = "no-partition")]
        no_partition: bool,
        /// Initial register value (an integer, a "string", or nil for absent).
        #[arg(long)]
        init: Option<String>,
        /// What a nil read result means (default: the format's convention,
        /// unconstrained for EDN, absent for Jepsen logs).
        #[arg(long = "nil-read", value_enum)]
        nil_read: Option<NilReadArg>,
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
        #[command(flatten)]
        output: ForceFlag,
    },
}

impl HistoryCmd {
    /// `--force`: whether a file in --svg-dir that gameday did not write is replaced.
    pub fn force(&self) -> bool {
        let HistoryCmd::Check { output, .. } = self;
        output.force
    }
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// EDN if the name ends in .edn or the text opens with [, ( or {; Jepsen log lines
    /// otherwise
    Auto,
    /// Jepsen/Knossos EDN: a vector or list of op maps, or one op map after another
    Edn,
    /// Jepsen's log lines: INFO  jepsen.util - 3 :invoke :cas [1 4]
    JepsenLog,
}

/// `--nil-read`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NilReadArg {
    /// nil is a read that found the register absent
    Absent,
    /// nil is a read whose value nobody recorded: it constrains nothing
    Unconstrained,
}

/// The model to check against: the one named, or the one each file's operations fit,
/// with `--init` as its initial value.
#[derive(Clone, Debug)]
enum ModelChoice {
    Named(Model),
    Inferred { init: Option<Value> },
}

/// A validated `history check`.
struct CheckArgs {
    files: Vec<PathBuf>,
    parse: ParseOptions,
    model: ModelChoice,
    /// The check's settings; its model is replaced by each file's.
    cfg: CheckConfig,
    svg_dir: Option<PathBuf>,
    size_bytes_max: u64,
    ops_max: usize,
}

/// Runs a `history` command.
pub fn run(cmd: HistoryCmd) -> Result<ExitCode, CliError> {
    let args = validate(cmd)?;
    // A file where the folder should be is refused before any history is read, not
    // once per counterexample.
    if let Some(dir) = &args.svg_dir {
        crate::output::check_dir("--svg-dir", dir, &[])?;
    }
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
        output: _,
    } = cmd;
    if !(size_mb_max.is_finite() && size_mb_max > 0.0 && size_mb_max <= 1_048_576.0) {
        return Err(HistoryArgError::SizeMbMax { size_mb_max });
    }
    if ops_max == 0 || ops_max > history::HISTORY_OPS_MAX {
        return Err(HistoryArgError::OpsMax { ops_max });
    }
    let model = parse_model(model, init.as_deref())?;
    let format = match format {
        FormatArg::Auto => Format::Auto,
        FormatArg::Edn => Format::Edn,
        FormatArg::JepsenLog => Format::JepsenLog,
    };
    let nil_read = nil_read.map(|n| match n {
        NilReadArg::Absent => NilRead::Absent,
        NilReadArg::Unconstrained => NilRead::Unconstrained,
    });
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 86_400.0) {
        return Err(HistoryArgError::Timeout { timeout_s: timeout });
    }
    let limits = Limits {
        timeout: Some(Duration::from_secs_f64(timeout)),
        memo_entries_max: memo_max.max(1),
        ..Limits::default()
    };
    let mut cfg = CheckConfig::new(Model::register(), limits);
    cfg.partition = !no_partition;
    cfg.minimize = !no_minimize;
    Ok(CheckArgs {
        files,
        parse: ParseOptions { format, nil_read },
        model,
        cfg,
        svg_dir,
        size_bytes_max: (size_mb_max * 1_048_576.0) as u64,
        ops_max,
    })
}

/// `--model`, with `--init` as its initial value where the model has one; without
/// `--model`, each file's model is inferred later, from its operations.
fn parse_model(
    model: Option<ModelArg>,
    init: Option<&str>,
) -> Result<ModelChoice, HistoryArgError> {
    let init = init.map(parse_init).transpose()?;
    let Some(arg) = model else { return Ok(ModelChoice::Inferred { init }) };
    let Some(value) = init else { return Ok(ModelChoice::Named(arg.model())) };
    arg.model()
        .with_init(value)
        .map(ModelChoice::Named)
        .ok_or_else(|| HistoryArgError::NoInitialValue { model: arg.name().to_string() })
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
    let parsed = match load_within_limits(path, args) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let (model, inferred) = match &args.model {
        ModelChoice::Named(model) => (model.clone(), false),
        ModelChoice::Inferred { init } => {
            match history_model::infer(path, &parsed, init.as_ref()) {
                Ok(model) => (model, true),
                Err(why) => {
                    super::say_err(&format!("error: {}: {why}", path.display()));
                    return ExitCode::BadInput;
                }
            }
        }
    };
    let cfg = CheckConfig { model, ..args.cfg.clone() };
    let report = match linearizability::check_with(&parsed, &cfg) {
        Ok(report) => report,
        Err(e) => {
            let at = if e.line > 0 { format!(":{}", e.line) } else { String::new() };
            super::say_err(&format!("error: {}{at}: {}", path.display(), e.msg));
            return ExitCode::BadInput;
        }
    };
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let model = if inferred {
        format!("model {} from its operations, ", cfg.model.name())
    } else {
        String::new()
    };
    let stats = format!("({model}{} ops, {ms:.1} ms)", parsed.ops().len());
    match &report.verdict {
        Verdict::Linearizable => {
            super::say(&format!("{}: linearizable {stats}", path.display()));
            ExitCode::Ok
        }
        Verdict::Unknown { reason } => {
            super::say(&format!("{}: unknown: {reason} {stats}", path.display()));
            ExitCode::Limit
        }
        Verdict::NotLinearizable(cx) => {
            super::say(&format!("{}: NOT linearizable {stats}", path.display()));
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

/// Reads and parses the history at `path`, within `--size-mb-max` and `--ops-max`; on
/// failure, prints why and returns the exit code it means.
fn load_within_limits(path: &Path, args: &CheckArgs) -> Result<History, ExitCode> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    if size > args.size_bytes_max {
        super::say_err(&format!(
            "error: {}: limit size_mb_max hit: the file is {:.2} MB, above {:.2} MB; raise --size-mb-max to read it",
            path.display(),
            size as f64 / 1_048_576.0,
            args.size_bytes_max as f64 / 1_048_576.0
        ));
        return Err(ExitCode::Limit);
    }
    let limit = crate::input::Limit {
        name: "size_mb_max",
        bytes_max: args.size_bytes_max,
        hint: "raise --size-mb-max to read it",
    };
    let parsed = history::load_within(path, &args.parse, limit).map_err(|e| {
        super::say_err(&format!("error: {e}"));
        match e {
            history::LoadError::TooLarge { .. } => ExitCode::Limit,
            _ => ExitCode::BadInput,
        }
    })?;
    if parsed.ops().is_empty() {
        // Nothing to check is not a pass: an empty file (or a pipe no one wrote to) is
        // far more likely the wrong path than a run that did nothing.
        super::say_err(&format!(
            "error: {}: holds no operations; a history lists operations such as \
             {{:process 0, :type :invoke, :f :read, :value nil}} (is this the right file?)",
            path.display()
        ));
        return Err(ExitCode::BadInput);
    }
    if parsed.ops().len() > args.ops_max {
        super::say_err(&format!(
            "error: {}: limit ops_max hit: {} operations, above {}; raise --ops-max to check it",
            path.display(),
            parsed.ops().len(),
            args.ops_max
        ));
        return Err(ExitCode::Limit);
    }
    Ok(parsed)
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
