//! The exploration commands: `check`, `sweep`, `shrink` and `merge` (see `explore`).

use crate::cli::{safe_dir_name, EXIT_BAD_INPUT, EXIT_LIMIT, EXIT_OK, EXIT_UNMET};
use crate::engine::SimDuration;
use crate::explore::{check, shrink, sweep};
use crate::scenario;
use crate::{output, report};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fail(msg: impl std::fmt::Display) -> i32 {
    eprintln!("error: {msg}");
    EXIT_BAD_INPUT
}

fn jobs_or_cores(jobs: Option<usize>) -> Result<usize, String> {
    match jobs {
        Some(0) => Err("--jobs: must be at least 1".into()),
        Some(n) if n > 1024 => Err(format!("--jobs: at most 1024 threads, got {n}")),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// `--jobs` (default: every core) and `--shard I/N`, checked.
fn jobs_and_shard(
    jobs: Option<usize>,
    shard: Option<&str>,
) -> Result<(usize, Option<(u32, u32)>), String> {
    Ok((jobs_or_cores(jobs)?, shard.map(sweep::parse_shard).transpose()?))
}

/// Writes an HTML report, unless it is larger than `--report-mb-max` (exit 3).
fn write_html(path: &Path, html: &str) -> Result<(), i32> {
    output::check_report_size(path, html.len()).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_LIMIT
    })?;
    write(path, html.as_bytes())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), i32> {
    report::write_atomic(path, bytes).map_err(|e| {
        eprintln!("error: writing {}: {e}", path.display());
        EXIT_LIMIT
    })
}

pub fn cmd_check(
    paths: Vec<PathBuf>,
    jobs: Option<usize>,
    junit: Option<PathBuf>,
    shard: Option<&str>,
    out: Option<PathBuf>,
) -> i32 {
    let (jobs, shard) = match jobs_and_shard(jobs, shard) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let paths = if paths.is_empty() { vec![PathBuf::from("scenarios")] } else { paths };
    let all = match check::find(&paths) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    if all.is_empty() {
        return fail(format!(
            "no scenario files (*.json) under {}",
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    let mine: Vec<PathBuf> = match shard {
        None => all.clone(),
        Some((i, n)) => all
            .iter()
            .enumerate()
            .filter(|(k, _)| *k as u64 % u64::from(n) == u64::from(i - 1))
            .map(|(_, p)| p.clone())
            .collect(),
    };
    let outputs =
        junit.as_ref().map_or(Ok(()), |j| output::check_file("--junit", j)).and_then(|()| {
            out.as_ref().map_or(Ok(()), |d| output::check_dir("--out", d, &["check.json"]))
        });
    if let Err(e) = outputs {
        return fail(e);
    }
    crate::explore::catch_interrupt();
    let (rows, partial) = check::check(&mine, jobs);
    print!("{}", check::table(&rows));
    if let Some(j) = junit {
        if let Err(code) = write(&j, check::junit(&rows).as_bytes()) {
            return code;
        }
    }
    if let Some(dir) = out {
        let v = check_json(&all, shard, partial, &rows);
        let bytes = serde_json::to_vec_pretty(&v).expect("serializes");
        if let Err(code) = write(&dir.join("check.json"), &bytes) {
            return code;
        }
    }
    if partial {
        eprintln!(
            "interrupted: {} of {} scenarios finished; what finished is written, marked partial",
            rows.len(),
            mine.len()
        );
        return EXIT_INTERRUPTED;
    }
    check::exit_code(&rows)
}

/// The exit code after Ctrl-C (128 + SIGINT), as shells report it.
pub const EXIT_INTERRUPTED: i32 = 130;

fn check_json(
    all: &[PathBuf],
    shard: Option<(u32, u32)>,
    partial: bool,
    rows: &[check::CheckRow],
) -> Value {
    json!({
        "kind": "gameday-check",
        "partial": partial,
        "gameday_version": env!("CARGO_PKG_VERSION"),
        "files": all.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
        "shard": shard.map(|(i, n)| json!({"index": i, "of": n})),
        "rows": rows,
    })
}

pub fn cmd_sweep(
    path: &Path,
    seeds: &str,
    jobs: Option<usize>,
    shard: Option<&str>,
    duration: Option<SimDuration>,
    out: Option<PathBuf>,
) -> i32 {
    let (jobs, shard) = match jobs_and_shard(jobs, shard) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let all = match crate::compare::parse_seeds(seeds) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let file = path.to_string_lossy().into_owned();
    let s = match scenario::load(&file) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let mine = sweep::shard_of(&all, shard);
    let id = sweep::SweepId {
        scenario: s.name.clone(),
        file: file.clone(),
        hash: format!("{:016x}", s.source_hash),
        seeds_from: all[0],
        seeds_to: all[all.len() - 1],
        duration_s: duration.unwrap_or(s.duration).as_secs_f64(),
    };
    // A progress bar only for a person watching: stderr a terminal.
    use std::io::IsTerminal;
    let bar = std::io::stderr().is_terminal().then(|| {
        let pb = indicatif::ProgressBar::new(mine.len() as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} seeds · {per_sec} · {msg} · eta {eta}",
            )
            .expect("a valid template"),
        );
        pb.set_message("0 failing");
        pb
    });
    let failing = std::sync::atomic::AtomicU64::new(0);
    let tick = |ok: bool| {
        if let Some(pb) = &bar {
            if !ok {
                let n = failing.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                pb.set_message(format!("{n} failing"));
            }
            pb.inc(1);
        }
    };
    let dir = out.unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}-sweep", safe_dir_name(&s.name)))
    });
    if let Err(e) = output::check_dir("--out", &dir, &["sweep.json", "sweep.html"]) {
        return fail(e);
    }
    crate::explore::catch_interrupt();
    let (records, defs, partial) = sweep::sweep(&s, &mine, duration, jobs, &tick);
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    let v = sweep::sweep_json(&id, shard, partial, &defs, &records);
    let bytes = serde_json::to_vec_pretty(&v).expect("serializes");
    if let Err(code) = write(&dir.join("sweep.json"), &bytes) {
        return code;
    }
    if let Err(code) = write_html(&dir.join("sweep.html"), &report::sweep::sweep_html(&v)) {
        return code;
    }
    print!("{}", report::sweep::sweep_terminal(&v));
    println!("report: {}", dir.join("sweep.html").display());
    if partial {
        eprintln!(
            "interrupted: {} of {} seeds finished; what finished is written, marked partial",
            records.len(),
            mine.len()
        );
        return EXIT_INTERRUPTED;
    }
    sweep_exit(&v)
}

/// 3 when a seed hit a limit, 1 when a seed missed its expectations, else 0.
fn sweep_exit(v: &Value) -> i32 {
    let s = &v["summary"];
    if s["limit_hit"].as_array().is_some_and(|a| !a.is_empty()) {
        EXIT_LIMIT
    } else if s["failed_expectations"].as_u64().unwrap_or(0) > 0 {
        EXIT_UNMET
    } else {
        EXIT_OK
    }
}

pub fn cmd_shrink(
    path: &Path,
    seed: u64,
    invariant: Option<&str>,
    out: Option<PathBuf>,
    attempts: u32,
) -> i32 {
    if attempts == 0 {
        return fail("--attempts: must be at least 1");
    }
    let file = path.to_string_lossy().into_owned();
    if let Err(e) = scenario::load(&file) {
        return fail(e);
    }
    if let Err(e) = out.as_ref().map_or(Ok(()), |o| output::check_file("--out", o)) {
        return fail(e);
    }
    let r = match shrink::shrink(&file, seed, invariant, attempts) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let name = r.scenario["name"].as_str().unwrap_or("shrunk").to_string();
    let dest = out.unwrap_or_else(|| PathBuf::from(format!("{}.json", safe_dir_name(&name))));
    if let Err(e) = output::check_file("--out", &dest) {
        return fail(e);
    }
    let mut text = serde_json::to_string_pretty(&r.scenario).expect("serializes");
    text.push('\n');
    if let Err(code) = write(&dest, text.as_bytes()) {
        return code;
    }
    println!("shrunk {file} seed {seed}, keeping {} violated", r.invariant);
    println!("  before: {}", r.before);
    println!("  after:  {}", r.after);
    println!(
        "  {} of {} attempts{}",
        r.attempts,
        r.attempts_max,
        if r.attempts >= r.attempts_max {
            " (limit reached; raise --attempts to go on)"
        } else {
            ""
        }
    );
    println!("wrote {}; check it with: gameday run {}", dest.display(), dest.display());
    EXIT_OK
}

pub fn cmd_merge(dirs: &[PathBuf], out: Option<PathBuf>) -> i32 {
    let mut parts: Vec<(String, Value)> = Vec::new();
    for d in dirs {
        let file = ["sweep.json", "check.json"].iter().map(|f| d.join(f)).find(|p| p.is_file());
        let Some(file) = file else {
            return fail(format!("{}: holds neither sweep.json nor check.json", d.display()));
        };
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => return fail(format!("{}: cannot read: {e}", file.display())),
        };
        match serde_json::from_str(&text) {
            Ok(v) => parts.push((file.display().to_string(), v)),
            Err(e) => return fail(format!("{}: not JSON: {e}", file.display())),
        }
    }
    let kinds: Vec<&str> = parts.iter().map(|p| p.1["kind"].as_str().unwrap_or("?")).collect();
    if kinds.iter().any(|k| *k != kinds[0]) {
        return fail("the folders mix sweep and check outputs; merge one kind at a time");
    }
    let dir = out.unwrap_or_else(|| PathBuf::from("."));
    let names: &[&str] = if kinds[0] == "gameday-check" {
        &["check.json", "junit.xml"]
    } else {
        &["sweep.json", "sweep.html"]
    };
    if let Err(e) = output::check_dir("--out", &dir, names) {
        return fail(e);
    }
    if kinds[0] == "gameday-check" {
        let merged = match merge_check(parts) {
            Ok(m) => m,
            Err(e) => return fail(e),
        };
        let rows: Vec<check::CheckRow> =
            serde_json::from_value(merged["rows"].clone()).expect("rows we wrote");
        let bytes = serde_json::to_vec_pretty(&merged).expect("serializes");
        if let Err(code) = write(&dir.join("check.json"), &bytes) {
            return code;
        }
        if let Err(code) = write(&dir.join("junit.xml"), check::junit(&rows).as_bytes()) {
            return code;
        }
        print!("{}", check::table(&rows));
        return check::exit_code(&rows);
    }
    let merged = match sweep::merge(parts) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let bytes = serde_json::to_vec_pretty(&merged).expect("serializes");
    if let Err(code) = write(&dir.join("sweep.json"), &bytes) {
        return code;
    }
    if let Err(code) = write_html(&dir.join("sweep.html"), &report::sweep::sweep_html(&merged)) {
        return code;
    }
    print!("{}", report::sweep::sweep_terminal(&merged));
    sweep_exit(&merged)
}

/// Check shards into one result: every shard of the same file list, once each.
fn merge_check(parts: Vec<(String, Value)>) -> Result<Value, String> {
    let files = parts[0].1["files"].clone();
    let mut of = None;
    let mut seen: Vec<(u64, String)> = Vec::new();
    let mut rows: Vec<check::CheckRow> = Vec::new();
    for (name, v) in &parts {
        if v["files"] != files {
            return Err(format!("{name}: checked other files than {}", parts[0].0));
        }
        let (Some(i), Some(n)) = (v["shard"]["index"].as_u64(), v["shard"]["of"].as_u64()) else {
            return Err(format!("{name}: a whole check, not a shard"));
        };
        if *of.get_or_insert(n) != n {
            return Err(format!(
                "{name}: shard {i}/{n}, but {} is one of {}",
                parts[0].0,
                of.unwrap_or(n)
            ));
        }
        if let Some((_, other)) = seen.iter().find(|(j, _)| *j == i) {
            return Err(format!("shard {i}/{n} given twice: {other} and {name}"));
        }
        seen.push((i, name.clone()));
        if v["partial"] == true {
            return Err(format!("{name}: an interrupted (partial) shard; run it again to the end"));
        }
        let rs: Vec<check::CheckRow> =
            serde_json::from_value(v["rows"].clone()).map_err(|e| format!("{name}: rows: {e}"))?;
        rows.extend(rs);
    }
    let n = of.unwrap_or(1);
    let missing: Vec<String> =
        (1..=n).filter(|i| !seen.iter().any(|(j, _)| j == i)).map(|i| format!("{i}/{n}")).collect();
    if !missing.is_empty() {
        return Err(format!(
            "shards {} missing; run them (--shard) and merge all {n}",
            missing.join(", ")
        ));
    }
    rows.sort_by(|a, b| a.file.cmp(&b.file));
    let all: Vec<PathBuf> = files
        .as_array()
        .map(|a| a.iter().filter_map(|f| f.as_str().map(PathBuf::from)).collect())
        .unwrap_or_default();
    Ok(check_json(&all, None, false, &rows))
}
