//! One writer per output folder. A command that writes a folder of outputs (run,
//! sweep, compare, check --out, merge) takes `DIR/.gameday.lock` first, created with
//! `create_new` so exactly one process wins; the second refuses before any work
//! instead of leaving a folder whose files come from different runs. A file written
//! outside such a folder (`run --trace X`, `check --junit X`, `shrink --out X`) gets a
//! lock of its own beside it, `.X.gameday.lock`, so two runs never write one export
//! at once either. A lock whose process is gone (killed, power cut) is stale: it is
//! removed, and the run says so.

use super::OutputError;
use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// The lock's file name inside the folder.
pub const LOCK_NAME: &str = ".gameday.lock";

/// A held lock; dropping it removes the lock file (and the folder, when this command
/// created it and wrote nothing there).
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    created_dir: Option<PathBuf>,
}

/// The lock file of the single output file `file`: `.NAME.gameday.lock` in the folder
/// the file is in (that folder resolved, so every spelling of the path finds it).
pub fn file_lock_path(file: &Path) -> PathBuf {
    let id = super::collide::identity(file);
    let name = id.file_name().map_or_else(|| "output".into(), |n| n.to_string_lossy());
    id.parent().unwrap_or(Path::new("/")).join(format!(".{name}{LOCK_NAME}"))
}

impl Lock {
    /// Takes the lock on `dir` (named by `flag` in messages), creating the folder.
    pub fn take(flag: &str, dir: &Path) -> Result<Lock, OutputError> {
        take_at(flag, dir, dir, &dir.join(LOCK_NAME))
    }

    /// Takes the lock on the one output file `file` (see `file_lock_path`), creating the
    /// folder it goes in.
    pub fn take_file(flag: &str, file: &Path) -> Result<Lock, OutputError> {
        let lock = file_lock_path(file);
        take_at(flag, file, lock.parent().unwrap_or(Path::new("/")), &lock)
    }
}

/// Takes the lock file `path` in the folder `dir` (created if need be) for the output
/// `what` (a folder or a file, as messages name it).
fn take_at(flag: &str, what: &Path, dir: &Path, path: &Path) -> Result<Lock, OutputError> {
    let cannot = |source: std::io::Error| OutputError::CannotLock {
        flag: flag.to_string(),
        path: what.to_path_buf(),
        source,
    };
    let locked = |pid| OutputError::Locked {
        flag: flag.to_string(),
        path: what.to_path_buf(),
        lock: path.to_path_buf(),
        pid,
    };
    let created_dir = (!dir.exists()).then(|| dir.to_path_buf());
    std::fs::create_dir_all(dir).map_err(|e| match e.kind() {
        // What create_dir_all says when a part of the path is a file.
        ErrorKind::AlreadyExists => {
            cannot(std::io::Error::other(format!("{} is a file, not a folder", dir.display())))
        }
        _ => cannot(e),
    })?;
    // Twice at most: once more after removing a stale lock.
    for _ in 0..2 {
        match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(mut f) => {
                let _ = writeln!(f, "{}", std::process::id());
                return Ok(Lock { path: path.to_path_buf(), created_dir });
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => match holder(path) {
                Holder::Gone(pid) => {
                    let _ = std::fs::remove_file(path);
                    let shown = path.display().to_string();
                    eprintln!(
                        "note: removed the stale lock {} (process {pid} is not running)",
                        super::text::terminal(&shown)
                    );
                }
                Holder::Running(pid) => return Err(locked(pid)),
            },
            Err(e) => return Err(cannot(e)),
        }
    }
    Err(locked(None))
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = &self.created_dir {
            // Fails, as it should, once the folder holds outputs.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Who holds a lock.
enum Holder {
    /// A process that may be running (or a lock being written this instant, or one
    /// that is not gameday's): the lock stands.
    Running(Option<u32>),
    /// The process that took it is gone: the lock is stale.
    Gone(u32),
}

/// Reads the lock's process id and asks whether that process still exists.
fn holder(path: &Path) -> Holder {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        return Holder::Running(None);
    }
    let pid = std::fs::read_to_string(path).ok().and_then(|t| t.trim().parse::<u32>().ok());
    match pid {
        Some(pid) if !process_exists(pid) => Holder::Gone(pid),
        pid => Holder::Running(pid),
    }
}

/// Whether a process `pid` exists (signal 0 checks without sending anything).
#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    alive || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_and_a_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let lock = Lock::take("--out", &out).unwrap();
        let e = Lock::take("--out", &out).unwrap_err().to_string();
        assert!(e.contains("another gameday run is writing to"), "{e}");
        drop(lock);
        assert!(!out.exists(), "the folder this lock created, still empty, is removed");
        std::fs::create_dir_all(&out).unwrap();
        // A process id no system hands out: the lock is stale.
        std::fs::write(out.join(LOCK_NAME), "4294967294\n").unwrap();
        let lock = Lock::take("--out", &out).unwrap();
        drop(lock);
        assert!(out.exists() && !out.join(LOCK_NAME).exists());
    }

    #[test]
    fn a_second_writer_of_one_file_is_refused_whichever_way_it_is_spelt() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("new/t.jsonl");
        let lock = Lock::take_file("--trace", &file).unwrap();
        assert!(dir.path().join("new/.t.jsonl.gameday.lock").exists());
        let spelt = dir.path().join("new/../new/./t.jsonl");
        let e = Lock::take_file("--history", &spelt).unwrap_err().to_string();
        assert!(e.contains("another gameday run is writing to") && e.contains("--history"), "{e}");
        let other = Lock::take_file("--trace", &dir.path().join("new/u.jsonl")).unwrap();
        drop(other);
        drop(lock);
        assert!(!dir.path().join("new").exists(), "the folder the lock made is removed");
    }
}
