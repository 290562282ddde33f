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

/// An error unless `path` is absent or a regular file: a symbolic link is never
/// written through, and a device, a named pipe or a socket is never replaced (renaming
/// over `/dev/null`, as root, would put a plain file in its place).
pub fn refuse_special(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(io::Error::other(
            "is a symbolic link; gameday does not write through links (remove it or give \
             another path)",
        )),
        Ok(meta) if !meta.is_file() => Err(io::Error::other(format!(
            "is {}, not a file; gameday writes only files",
            crate::input::what(&meta.file_type())
        ))),
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
    refuse_special(path)?;
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

/// Opens `path` for a file written as the run goes. An earlier file there is removed
/// first and a new one created (`create_new`, O_EXCL), never truncated in place: the
/// old file may have other names (hard links) whose contents must not change, and a
/// link planted at the name between the two steps makes the creation fail rather than
/// redirect it.
pub fn create_stream(path: &Path) -> io::Result<File> {
    refuse_special(path)?;
    if std::fs::symlink_metadata(path).is_ok() {
        std::fs::remove_file(path)?;
    }
    OpenOptions::new().write(true).create_new(true).open(path)
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
    use std::os::unix::fs::FileTypeExt;

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
        // Nor is a named pipe (or a device: not tried here, as a test run as root that
        // failed would replace /dev/null) replaced, nor a folder.
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = write_atomic(&fifo, b"x").unwrap_err().to_string();
        assert!(e.contains("is a named pipe, not a file"), "{e}");
        assert!(create_stream(&fifo).is_err());
        assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert!(create_stream(dir.path()).unwrap_err().to_string().contains("is a folder"));
        let fine = dir.path().join("sub/fine.json");
        write_atomic(&fine, b"ok").unwrap();
        assert_eq!(std::fs::read_to_string(&fine).unwrap(), "ok");
        let left: Vec<_> = std::fs::read_dir(dir.path().join("sub")).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn an_output_with_another_name_is_replaced_never_changed_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (i, name) in ["whole.json", "stream.jsonl"].iter().enumerate() {
            let (out, other) = (d.join(name), d.join(format!("other-{i}")));
            std::fs::write(&out, "old output").unwrap();
            std::fs::hard_link(&out, &other).unwrap();
            if i == 0 {
                write_atomic(&out, b"new").unwrap();
            } else {
                create_stream(&out).unwrap().write_all(b"new").unwrap();
            }
            assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
            assert_eq!(std::fs::read_to_string(&other).unwrap(), "old output", "{name}");
        }
    }
}
