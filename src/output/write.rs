//! Writing output files so that nothing but the named file changes: never through a
//! symbolic link (planted at the final name or at a temporary one), and never half
//! written. Every file gameday writes goes through `write_atomic` (whole files) or
//! `create_stream` (the event trace and the history, written while a run goes on).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Temporary names tried before giving up: each is new, so a clash means another
/// writer took it a moment ago.
const TEMP_NAMES_MAX: u32 = 64;

/// The folder a file goes into (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// An error unless `path` is absent or not a symbolic link.
pub fn refuse_link(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(io::Error::other(
            "is a symbolic link; gameday does not write through links (remove it or give \
             another path)",
        )),
        _ => Ok(()),
    }
}

/// A new file at a fresh name in `dir`: created with `create_new` (O_EXCL), which
/// neither follows a link nor opens a file someone else made.
fn create_temp(dir: &Path) -> io::Result<(File, PathBuf)> {
    let pid = std::process::id();
    let mut last = None;
    for n in 0..TEMP_NAMES_MAX {
        let tmp = dir.join(format!(".gameday-{pid}-{n}.tmp"));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temporary name left")))
}

/// Writes `bytes` to `path` through a new temporary file in the same folder and a
/// rename, so a reader never sees half a file. The rename replaces whatever is at
/// `path` (never writing through it); a link there is refused outright.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    refuse_link(path)?;
    let dir = parent(path);
    std::fs::create_dir_all(dir)?;
    let (mut f, tmp) = create_temp(dir)?;
    let written = f.write_all(bytes).and_then(|()| f.flush());
    drop(f);
    let done = written.and_then(|()| std::fs::rename(&tmp, path));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// Opens `path` for a file written as the run goes (truncated if it exists), refusing
/// a symbolic link at the name (O_NOFOLLOW), so a planted link cannot redirect it.
pub fn create_stream(path: &Path) -> io::Result<File> {
    refuse_link(path)?;
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

/// Removes an earlier output at `path` (a report this run could not replace), so the
/// folder holds only this run's outputs; whether there was one to remove.
pub fn remove_stale(path: &Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => std::fs::remove_file(path).is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "mine").unwrap();
        let link = dir.path().join("out.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(write_atomic(&link, b"x").unwrap_err().to_string().contains("symbolic link"));
        assert!(create_stream(&link).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine");
        let fine = dir.path().join("sub/fine.json");
        write_atomic(&fine, b"ok").unwrap();
        assert_eq!(std::fs::read_to_string(&fine).unwrap(), "ok");
        let left: Vec<_> = std::fs::read_dir(dir.path().join("sub")).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }
}
