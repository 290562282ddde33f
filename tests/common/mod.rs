//! What the integration tests share: running the `gameday` binary as a user would.

use std::process::Command;

/// Runs `gameday ARGS...`; returns its exit code, stdout and stderr.
pub fn gameday(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gameday")).args(args).output().expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
