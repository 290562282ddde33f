//! Memory must not grow with simulated time (issue 19). Each structure that used to grow
//! with the length of a run is held to a bound that does not depend on it: run at ten
//! times its duration, a scenario holds no more in it than at twice (where the bound is
//! already reached). Counted by the checkers themselves (`RunResult::held_max`), not by
//! the process's memory, which a test cannot measure without noise.
//! `cargo run --release --example memory_growth` measures the memory itself.

use gameday::check::SEGMENT_OPS_MAX;
use gameday::scenario;
use gameday::sim::{run, RunOptions, RunResult};

fn run_at(path: &str, factor: u64) -> RunResult {
    let s = scenario::load(path).expect("a bundled scenario");
    let opts = RunOptions { duration: Some(s.duration.times(factor)), ..RunOptions::default() };
    run(&s, &opts).expect("runs")
}

fn held(r: &RunResult, name: &str) -> usize {
    r.held_max.iter().find(|(n, _)| *n == name).map(|(_, h)| *h).expect("a checker by that name")
}

/// After its brownout, retry-storm's registers never pause: no register is ever without
/// an operation in flight, so a segment never closes at a quiescent point. The history
/// used to grow until the 200,000-operation cap stopped recording (at 10x); each
/// register's segment is now cut at `SEGMENT_OPS_MAX` operations.
#[test]
fn a_register_history_that_never_pauses_is_held_to_its_segment_cap() {
    let path = "scenarios/retry-storm.json";
    let registers = scenario::load(path).expect("bundled").workload.registers as usize;
    let (once, twice, ten) = (run_at(path, 1), run_at(path, 2), run_at(path, 10));
    let (once, twice, ten) =
        (held(&once, "linearizable"), held(&twice, "linearizable"), held(&ten, "linearizable"));
    assert!(once > 0 && twice >= once, "{once} {twice}");
    assert!(ten <= twice, "held {ten} operations at 10x, {twice} at 2x: the history grows");
    assert!(ten <= registers * SEGMENT_OPS_MAX, "{ten} past {registers} x {SEGMENT_OPS_MAX}");
}

/// Writes a last-writer-wins conflict dropped used to be remembered for ten minutes
/// whatever their key (aa-accounts-lww: 94,700 at 10x); now while among their key's last
/// few such writes, or within the retry horizon.
#[test]
fn writes_a_conflict_dropped_are_held_to_their_keys_and_the_retry_horizon() {
    let path = "scenarios/aa-accounts-lww.json";
    let (twice, ten) = (held(&run_at(path, 2), "ledger"), held(&run_at(path, 10), "ledger"));
    assert!(twice > 0);
    assert!(ten <= twice, "held {ten} dropped writes at 10x, {twice} at 2x: they pile up");
}
