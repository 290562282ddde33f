//! The `gameday` binary: only calls `cli::run` and exits with its code.

fn main() {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`gameday check | head`)
    // would panic; restore the default: the process ends quietly, as `cat` would.
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(gameday::cli::run(std::env::args().collect()));
}
