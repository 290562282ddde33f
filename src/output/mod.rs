//! Output paths. gameday overwrites its own earlier outputs (a rerun replaces last
//! run's report), but refuses to overwrite any other file, a scenario or a history
//! the user passed by mistake above all, unless `--force` is given. It never writes
//! through a symbolic link (`write`), never lets two outputs or an output and an input
//! share a file (`collide`), lets one process at a time write a folder (`lock`), and
//! keeps control characters of the user's text out of every output (`text`).

pub mod collide;
pub mod lock;
pub mod text;
pub mod write;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// `--force`, set once by the command line before any command runs.
static FORCE: AtomicBool = AtomicBool::new(false);

pub fn set_force(force: bool) {
    FORCE.store(force, Ordering::Relaxed);
}

pub fn force() -> bool {
    FORCE.load(Ordering::Relaxed)
}

/// `--report-mb-max` in bytes, set once by the command line.
static REPORT_BYTES_MAX: AtomicU64 = AtomicU64::new(REPORT_MB_MAX_DEFAULT as u64 * MB);

/// The largest HTML report written by default.
pub const REPORT_MB_MAX_DEFAULT: f64 = 64.0;
const MB: u64 = 1 << 20;

/// Why an output may not be written: a flag out of range, a report above its limit, or
/// a path that holds something gameday must not replace. Each message names the flag
/// and the path, and says how to get past it.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("--report-mb-max: must be a positive number of megabytes up to 65536, got {mb}")]
    ReportMbMax { mb: f64 },
    #[error(
        "limit report_mb_max hit: {} would be {size_mb:.2} MB, above {max_mb:.2} MB; raise \
         --report-mb-max, or shorten the drill or the seed range",
        path.display()
    )]
    ReportTooLarge { path: PathBuf, size_mb: f64, max_mb: f64 },
    /// The same, once the earlier report at that path was removed (so the folder holds
    /// only the new run's outputs).
    #[error(
        "limit report_mb_max hit: {} would be {size_mb:.2} MB, above {max_mb:.2} MB, so it is \
         not written and the earlier report there was removed (the folder's other outputs \
         are this run's); raise --report-mb-max, or shorten the drill or the seed range",
        path.display()
    )]
    ReportTooLargeStaleRemoved { path: PathBuf, size_mb: f64, max_mb: f64 },
    #[error("{flag} {}: is a folder; give a file name", path.display())]
    IsFolder { flag: String, path: PathBuf },
    #[error(
        "{flag} {}: exists and is not a gameday output; choose another path, or pass --force \
         to overwrite it",
        path.display()
    )]
    NotGamedayOutput { flag: String, path: PathBuf },
    #[error(
        "{flag} {}: is {what}, not a file; gameday writes only files (to skip this output, \
         leave {flag} out)",
        path.display()
    )]
    NotAFile { flag: String, path: PathBuf, what: &'static str },
    #[error("{flag} {}: is a file; give a folder", path.display())]
    IsFile { flag: String, path: PathBuf },
    #[error(
        "{flag} {}: is a symbolic link; gameday does not write through links (remove it, or \
         give another path)",
        path.display()
    )]
    Link { flag: String, path: PathBuf },
    #[error("{flag} {}: is also {other}; give each output a path of its own", path.display())]
    Collision { flag: String, path: PathBuf, other: String },
    #[error(
        "{flag} {}: is a hard link to {other} (one file under two names); give each output a \
         file of its own (remove the link, or choose another path)",
        path.display()
    )]
    HardLink { flag: String, path: PathBuf, other: String },
    #[error(
        "another gameday run is writing to {}{}; wait for it to finish, or give {flag} \
         another path (if no gameday run is going on, delete {})",
        path.display(),
        pid.map_or(String::new(), |pid| format!(" (process {pid})")),
        lock.display()
    )]
    Locked { flag: String, path: PathBuf, lock: PathBuf, pid: Option<u32> },
    #[error("{flag} {}: cannot create the folder or its lock: {source}", path.display())]
    CannotLock { flag: String, path: PathBuf, source: std::io::Error },
}

/// Sets `--report-mb-max`.
pub fn set_report_mb_max(mb: f64) -> Result<(), OutputError> {
    if !(mb.is_finite() && mb > 0.0 && mb <= 65_536.0) {
        return Err(OutputError::ReportMbMax { mb });
    }
    REPORT_BYTES_MAX.store((mb * MB as f64) as u64, Ordering::Relaxed);
    Ok(())
}

/// Checks an HTML report of `len` bytes against `--report-mb-max`: past it the report
/// is not written (exit 3), and the message says how to raise the limit.
pub fn check_report_size(path: &Path, len: usize) -> Result<(), OutputError> {
    let max = REPORT_BYTES_MAX.load(Ordering::Relaxed);
    if len as u64 <= max {
        return Ok(());
    }
    Err(OutputError::ReportTooLarge {
        path: path.to_path_buf(),
        size_mb: len as f64 / MB as f64,
        max_mb: max as f64 / MB as f64,
    })
}

/// `check_report_size`, and past the limit the earlier report at `path` is removed: a
/// folder never holds this run's summary beside last run's report.
pub fn check_report_size_or_remove(path: &Path, len: usize) -> Result<(), OutputError> {
    check_report_size(path, len).map_err(|e| match e {
        OutputError::ReportTooLarge { path, size_mb, max_mb } if write::remove_stale(&path) => {
            OutputError::ReportTooLargeStaleRemoved { path, size_mb, max_mb }
        }
        e => e,
    })
}

/// How much of an existing file is read to recognize it.
const SNIFF_BYTES: u64 = 1 << 20;

/// Strings only gameday's outputs carry (in their first `SNIFF_BYTES`): the version
/// field of every JSON output, the generator of every HTML page, the JUnit suite name,
/// the history's header comment, the counterexample timeline's comment, the
/// description of a shrunk scenario and the title of the scenario schema `new` writes.
const MARKERS: &[&str] = &[
    "\"gameday_version\"",
    "<meta name=\"generator\" content=\"gameday\"/>",
    "<testsuites name=\"gameday\"",
    "; gameday history",
    "<!-- gameday counterexample -->",
    "\"description\": \"Shrunk by gameday shrink",
    "\"title\": \"gameday scenario\"",
];

/// Whether `path` holds something gameday wrote (or nothing at all).
fn is_gameday_output(path: &Path) -> bool {
    let mut head = Vec::new();
    let Ok(f) = std::fs::File::open(path) else { return false };
    if f.take(SNIFF_BYTES).read_to_end(&mut head).is_err() {
        return false;
    }
    if head.is_empty() {
        return true;
    }
    let text = String::from_utf8_lossy(&head);
    // An event trace is JSON lines, each starting with the event's time.
    text.starts_with("{\"at_us\":") || MARKERS.iter().any(|m| text.contains(m))
}

/// Checks that writing the file `path` (given with `flag`) replaces nothing but an
/// earlier gameday output, unless `--force`.
pub fn check_file(flag: &str, path: &Path) -> Result<(), OutputError> {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return Ok(()) };
    if meta.file_type().is_symlink() {
        return Err(OutputError::Link { flag: flag.to_string(), path: path.to_path_buf() });
    }
    if meta.is_dir() {
        return Err(OutputError::IsFolder { flag: flag.to_string(), path: path.to_path_buf() });
    }
    // A device, a named pipe or a socket: replacing it (`/dev/null` run as root) or
    // waiting on it (a pipe nobody reads) is never what the user meant.
    if !meta.is_file() {
        let what = crate::input::what(&meta.file_type());
        return Err(OutputError::NotAFile {
            flag: flag.to_string(),
            path: path.to_path_buf(),
            what,
        });
    }
    if force() || is_gameday_output(path) {
        return Ok(());
    }
    Err(OutputError::NotGamedayOutput { flag: flag.to_string(), path: path.to_path_buf() })
}

/// Checks the files `names` that a command writes into the folder `dir`.
pub fn check_dir(flag: &str, dir: &Path, names: &[&str]) -> Result<(), OutputError> {
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError::IsFile { flag: flag.to_string(), path: dir.to_path_buf() });
    }
    names.iter().try_for_each(|n| check_file(flag, &dir.join(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gameday_outputs_and_empty_files_are_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        std::fs::write(p("summary.json"), "{\n  \"gameday_version\": \"0.1.0\"\n}").unwrap();
        std::fs::write(p("trace.jsonl"), "{\"at_us\":0,\"seq\":1}\n").unwrap();
        std::fs::write(p("empty"), "").unwrap();
        std::fs::write(p("mine.json"), "{\"name\": \"gameday-naive\"}").unwrap();
        std::fs::write(p("h.edn"), "{:process 0, :type :invoke}\n").unwrap();
        assert!(check_file("--out", &p("summary.json")).is_ok());
        assert!(check_file("--trace", &p("trace.jsonl")).is_ok());
        assert!(check_file("--out", &p("empty")).is_ok());
        assert!(check_file("--out", &p("absent")).is_ok());
        let e = check_file("--out", &p("mine.json")).unwrap_err().to_string();
        assert!(e.contains("not a gameday output") && e.contains("--force"), "{e}");
        assert!(check_file("--history", &p("h.edn")).is_err());
        assert!(check_file("--trace", dir.path()).unwrap_err().to_string().contains("is a folder"));
        let e = check_dir("--out", &p("mine.json"), &["x"]).unwrap_err();
        assert!(e.to_string().contains("is a file"), "{e}");
        assert!(check_dir("--out", dir.path(), &["summary.json", "absent"]).is_ok());
        assert!(check_dir("--out", dir.path(), &["mine.json"]).is_err());
        std::os::unix::fs::symlink(p("summary.json"), p("link.json")).unwrap();
        let e = check_file("--out", &p("link.json")).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
    }
}
