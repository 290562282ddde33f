//! `gameday history ...`: commands on operation histories from elsewhere (Jepsen,
//! Knossos, Porcupine, or the simulator's own `--history` files). Arguments are
//! validated before any file is read; each file then gets one line (verdict, operations,
//! time) and, when it is not linearizable, the counterexample's summary.
//!
//! Exit codes: 0 all linearizable, 1 any not linearizable, 2 bad input (unreadable or
//! malformed file, unknown model or option value), 3 any verdict unknown (a limit was
//! hit) and none not linearizable.

use crate::check::linearizability::{self, CheckConfig, Limits, Model, Verdict};
use crate::cli::{EXIT_BAD_INPUT, EXIT_LIMIT, EXIT_OK, EXIT_UNMET};
use crate::history::{self, Format, NilRead, ParseOptions, Value};
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

/// Runs a `history` command; returns the exit code.
pub fn run(cmd: HistoryCmd) -> i32 {
    match validate(cmd) {
        Ok(args) => check_files(&args),
        Err(msg) => {
            eprintln!("error: {msg}");
            EXIT_BAD_INPUT
        }
    }
}

fn validate(cmd: HistoryCmd) -> Result<CheckArgs, String> {
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
        return Err(format!("--size-mb-max: must be a positive number of megabytes up to 1048576, got {size_mb_max}"));
    }
    if ops_max == 0 || ops_max > history::HISTORY_OPS_MAX {
        return Err(format!(
            "--ops-max: must be 1 to {} operations, got {ops_max}",
            history::HISTORY_OPS_MAX
        ));
    }
    let names = || Model::NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let mut m = Model::from_name(&model)
        .ok_or_else(|| format!("--model {model}: unknown model (valid: {})", names()))?;
    if let Some(text) = init {
        let v = parse_init(&text)?;
        m = m.with_init(v).ok_or_else(|| {
            format!("--init: model {model} has no initial value to set (only register, cas-register, multi-register)")
        })?;
    }
    let format = Format::from_name(&format).ok_or_else(|| {
        format!("--format {format}: unknown format (valid: auto, edn, jepsen-log)")
    })?;
    let nil_read = match nil_read.as_deref() {
        None => None,
        Some("absent") => Some(NilRead::Absent),
        Some("unconstrained") => Some(NilRead::Unconstrained),
        Some(other) => {
            return Err(format!(
                "--nil-read {other}: unknown meaning (valid: absent, unconstrained)"
            ))
        }
    };
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 86_400.0) {
        return Err(format!(
            "--timeout: must be a positive number of seconds up to 86400, got {timeout}"
        ));
    }
    let limits = Limits {
        timeout: Some(Duration::from_secs_f64(timeout)),
        memo_entries_max: memo_max.max(1),
        ..Limits::default()
    };
    let mut cfg = CheckConfig::new(m, limits);
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

/// `--init`: an EDN scalar; `absent` is accepted for nil.
fn parse_init(text: &str) -> Result<Value, String> {
    if text == "absent" {
        return Ok(Value::Nil);
    }
    let mut r = history::edn::Reader::new(text);
    let bad = |why: String| format!("--init {text}: {why} (valid: an integer, a \"string\", nil)");
    let form = r.read(0).map_err(|e| bad(e.msg))?;
    r.skip_ws().map_err(|e| bad(e.msg))?;
    if !r.at_end() {
        return Err(bad("one value expected".into()));
    }
    history::edn::to_value(&form).map_err(|e| bad(e.to_string()))
}

fn check_files(args: &CheckArgs) -> i32 {
    let (mut bad, mut failed, mut unknown) = (false, false, false);
    let mut svg_names: Vec<String> = Vec::new();
    for path in &args.files {
        #[allow(clippy::disallowed_methods)] // reports how long a check took
        let t0 = Instant::now();
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        if size > args.size_bytes_max {
            eprintln!(
                "error: {}: limit size_mb_max hit: the file is {:.2} MB, above {:.2} MB; raise --size-mb-max to read it",
                path.display(),
                size as f64 / 1_048_576.0,
                args.size_bytes_max as f64 / 1_048_576.0
            );
            unknown = true;
            continue;
        }
        let h = match history::load(path, &args.parse) {
            Ok(h) => h,
            Err(e) => {
                eprintln!("error: {e}");
                bad = true;
                continue;
            }
        };
        if h.ops().len() > args.ops_max {
            eprintln!(
                "error: {}: limit ops_max hit: {} operations, above {}; raise --ops-max to check it",
                path.display(),
                h.ops().len(),
                args.ops_max
            );
            unknown = true;
            continue;
        }
        let report = match linearizability::check_with(&h, &args.cfg) {
            Ok(r) => r,
            Err(e) => {
                let at = if e.line > 0 { format!(":{}", e.line) } else { String::new() };
                eprintln!("error: {}{at}: {}", path.display(), e.msg);
                bad = true;
                continue;
            }
        };
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        let n = h.ops().len();
        match &report.verdict {
            Verdict::Linearizable => {
                println!("{}: linearizable ({n} ops, {ms:.1} ms)", path.display())
            }
            Verdict::Unknown { reason } => {
                unknown = true;
                println!("{}: unknown: {reason} ({n} ops, {ms:.1} ms)", path.display());
            }
            Verdict::NotLinearizable(cx) => {
                failed = true;
                println!("{}: NOT linearizable ({n} ops, {ms:.1} ms)", path.display());
                for line in cx.summary(&h).lines() {
                    println!("  {line}");
                }
                if let Some(dir) = &args.svg_dir {
                    let file = dir.join(svg_name(path, &mut svg_names));
                    let written = crate::output::check_file("--svg-dir", &file)
                        .map_err(|e| e.to_string())
                        .and_then(|()| {
                            crate::report::write_atomic(&file, cx.svg(&h).as_bytes())
                                .map_err(|e| format!("--svg-dir {}: {e}", file.display()))
                        });
                    match written {
                        Ok(()) => println!("  timeline: {}", file.display()),
                        Err(e) => {
                            eprintln!("error: {e}");
                            bad = true;
                        }
                    }
                }
            }
        }
    }
    if bad {
        EXIT_BAD_INPUT
    } else if failed {
        EXIT_UNMET
    } else if unknown {
        EXIT_LIMIT
    } else {
        EXIT_OK
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
