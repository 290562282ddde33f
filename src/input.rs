//! Reading the user's input files (scenarios, designs, histories, shard outputs) with
//! a bound. A path may name anything: a folder, a named pipe nobody writes to, a device
//! such as `/dev/zero` that never ends, or a file far larger than any input could be.
//! `read` opens without waiting (a pipe with no writer reads as empty, not as a hang),
//! refuses folders and devices, and never reads more than the caller's limit, so a bad
//! path costs an error message, never a hang or all the memory there is.

use std::fs::{File, FileType, OpenOptions};
use std::io::Read;
use std::path::Path;

/// Why an input file could not be read. The caller names the file (and, for
/// `TooLarge`, the limit and how to raise it) around this reason.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("is {what}, not a file; give the path of a file")]
    NotAFile { what: &'static str },
    #[error(
        "limit {} hit: the file is larger than {} MB; {}",
        limit.name,
        mb(limit.bytes_max),
        limit.hint
    )]
    TooLarge { limit: Limit },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The most bytes an input may have: the limit's name and what to do past it, as the
/// message says them ("raise --size-mb-max", "split the sweep into more shards").
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub name: &'static str,
    pub bytes_max: u64,
    pub hint: &'static str,
}

/// `bytes` in megabytes, as messages show a limit.
pub fn mb(bytes: u64) -> String {
    let mb = bytes as f64 / 1_048_576.0;
    if mb.fract() == 0.0 {
        format!("{mb:.0}")
    } else {
        format!("{mb:.2}")
    }
}

/// What a path that is not a regular file names, as a message says it ("a device").
pub fn what(t: &FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a folder"
    } else if is_fifo(t) {
        "a named pipe"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading without waiting for a writer (O_NONBLOCK), then makes reads
/// wait again: a pipe with a writer is read to its end, one without reads as empty.
fn open(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        use std::os::unix::io::AsRawFd;
        opts.custom_flags(libc::O_NONBLOCK);
        let f = opts.open(path)?;
        // SAFETY: fcntl on a descriptor this function owns, with integer arguments only.
        let flags = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETFL) };
        if flags >= 0 {
            // SAFETY: as above.
            unsafe { libc::fcntl(f.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK) };
        }
        Ok(f)
    }
    #[cfg(not(unix))]
    opts.open(path)
}

/// The bytes of the file at `path`, at most `bytes_max` of them: a folder or a device is
/// refused, and a file (or pipe) longer than the limit is refused without reading on.
pub fn read(path: &Path, limit: Limit) -> Result<Vec<u8>, ReadError> {
    let bytes_max = limit.bytes_max;
    let f = open(path)?;
    let meta = f.metadata()?;
    let t = meta.file_type();
    if !(t.is_file() || is_fifo(&t)) {
        return Err(ReadError::NotAFile { what: what(&t) });
    }
    if meta.len() > bytes_max {
        return Err(ReadError::TooLarge { limit });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(bytes_max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > bytes_max {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

#[cfg(unix)]
fn is_fifo(t: &FileType) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(t)
}

#[cfg(not(unix))]
fn is_fifo(_t: &FileType) -> bool {
    false
}

/// `read`, as UTF-8 text: an error names the line and byte where the text stops being
/// UTF-8.
pub fn read_text(path: &Path, limit: Limit) -> Result<String, TextError> {
    let bytes = read(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        let byte = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..byte].iter().filter(|&&b| b == b'\n').count();
        TextError::NotUtf8 { line, byte }
    })
}

/// Why an input file could not be read as text.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("not UTF-8 text (line {line}, byte {byte})")]
    NotUtf8 { line: usize, byte: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: Limit = Limit { name: "test_bytes_max", bytes_max: 1 << 20, hint: "fix it" };

    #[test]
    fn folders_devices_pipes_and_long_files_are_bounded() {
        let kb = Limit { bytes_max: 1024, ..MB };
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let e = read(d, MB).unwrap_err().to_string();
        assert_eq!(e, "is a folder, not a file; give the path of a file");
        let e = read(Path::new("/dev/zero"), MB).unwrap_err().to_string();
        assert_eq!(e, "is a device, not a file; give the path of a file");
        let fifo = d.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(read(&fifo, MB).unwrap(), b"", "no writer: empty, not a hang");
        let big = d.join("big");
        std::fs::write(&big, vec![b'x'; 2048]).unwrap();
        let e = read(&big, kb).unwrap_err().to_string();
        assert_eq!(e, "limit test_bytes_max hit: the file is larger than 0.00 MB; fix it");
        assert_eq!(read(&big, Limit { bytes_max: 2048, ..MB }).unwrap().len(), 2048);
        std::fs::write(&big, b"ok\n\xff").unwrap();
        let e = read_text(&big, kb).unwrap_err().to_string();
        assert_eq!(e, "not UTF-8 text (line 2, byte 3)");
    }
}
