//! The `gameday` binary: only calls `cli::run` and exits with its code.

fn main() {
    std::process::exit(gameday::cli::run(std::env::args().collect()));
}
