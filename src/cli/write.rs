//! Writing a command's outputs once its work is done. Every path was checked writable
//! before the work started (`output::check_file`, `check_dir`), so a failure here is the
//! disk's, not the user's input: exit 3. HTML reports are held to `--report-mb-max`.
//! Every write goes through `output::write`, which never follows a symbolic link.

use super::error::CliError;
use crate::output;
use std::path::Path;

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    output::write::write_atomic(path, bytes)
        .map_err(|source| CliError::Write { path: path.to_path_buf(), source })
}

/// Writes an HTML report, unless it is larger than `--report-mb-max` (exit 3): then the
/// earlier report at `path` is removed, so it is not taken for this run's.
pub fn write_html(path: &Path, html: &str) -> Result<(), CliError> {
    output::check_report_size_or_remove(path, html.len())?;
    write(path, html.as_bytes())
}

/// Writes `value` as pretty JSON.
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), CliError> {
    write(path, &serde_json::to_vec_pretty(value).expect("JSON values serialize"))
}
