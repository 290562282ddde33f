//! The linearizability checker against answers nobody on this project wrote (the Knossos
//! and Porcupine corpora), against histories linearizable by construction (and the same
//! with one read corrupted), and through the `gameday history check` command.

mod common;
use common::gameday;

use gameday::check::linearizability::{check, check_with, CheckConfig, Limits, Model, Verdict};
use gameday::history::{self, Format, Func, History, NilRead, ParseOptions, ProcessId, Value};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The public history corpora, copied unchanged into the repository: `tests/data/`
/// (sources, commits and licences in `tests/data/README.md`).
fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Linearizable => "linearizable",
        Verdict::NotLinearizable(_) => "not",
        Verdict::Unknown { .. } => "unknown",
    }
}

/// Checks every row of one `VERDICTS.tsv`; returns how many rows there were.
fn check_verdicts(folder: &Path) -> usize {
    let path = folder.join("VERDICTS.tsv");
    let tsv = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = 0;
    // Not every VERDICTS.tsv has the header line.
    for line in tsv.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("file\t")) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, model, expected] = cols[..] else { panic!("bad VERDICTS.tsv row {line:?}") };
        let model = Model::from_name(model).unwrap_or_else(|| panic!("unknown model {model}"));
        let h = history::load(&folder.join(file), &ParseOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let v = check(&h, &model, &Limits::deterministic(50_000_000)).unwrap();
        assert_eq!(verdict_name(&v), expected, "{file}");
        if let Verdict::NotLinearizable(cx) = &v {
            assert!(cx.minimal.contains(&cx.unplaceable), "{file}");
            // The minimized set is not linearizable on its own.
            let sub = sub_history(&h, &cx.minimal);
            let again = check(&sub, &model, &Limits::deterministic(50_000_000)).unwrap();
            assert_eq!(verdict_name(&again), "not", "{file}: minimized set {:?}", cx.minimal);
        }
        rows += 1;
    }
    rows
}

/// The operations `ids` of `h`, as a history of their own (same order of events).
fn sub_history(h: &History, ids: &[history::OpId]) -> History {
    let mut events: Vec<(u32, bool, &history::Op)> = Vec::new();
    for &id in ids {
        let op = h.op(id);
        events.push((op.invoke.index, true, op));
        if let Some(c) = op.completion {
            events.push((c.at.index, false, op));
        }
    }
    events.sort_by_key(|e| e.0);
    let mut sub = History::new();
    sub.nil_read = h.nil_read;
    for (_, invoke, op) in events {
        if invoke {
            sub.invoke(op.process, op.func, op.key.clone(), op.value.clone()).unwrap();
        } else {
            let c = op.completion.unwrap();
            sub.complete_at(op.process, None, c.outcome, op.output.clone(), None, 0).unwrap();
        }
    }
    sub
}

#[test]
fn corpus_verdicts_match_the_sources_own_tests() {
    let dir = corpora();
    assert_eq!(check_verdicts(&dir.join("knossos")), 122);
    assert_eq!(check_verdicts(&dir.join("porcupine-kv")), 6);
}

#[test]
fn the_verdict_and_counterexample_do_not_depend_on_threads() {
    // c50-bad fails in several keys; parts run in parallel rounds.
    let h = history::load(&corpora().join("porcupine-kv/c50-bad.txt"), &ParseOptions::default())
        .unwrap();
    let limits = Limits::deterministic(50_000_000);
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let a = one.install(|| check(&h, &Model::Kv, &limits).unwrap());
    let b = two.install(|| check(&h, &Model::Kv, &limits).unwrap());
    assert!(matches!(a, Verdict::NotLinearizable(_)));
    assert_eq!(a, b);
}

#[test]
fn kv_verdicts_hold_without_partitioning_too() {
    let dir = corpora().join("porcupine-kv");
    for (file, expected) in
        [("c01-ok.txt", "linearizable"), ("c01-bad.txt", "not"), ("c10-ok.txt", "linearizable")]
    {
        let h = history::load(&dir.join(file), &ParseOptions::default()).unwrap();
        let mut cfg = CheckConfig::new(Model::Kv, Limits::deterministic(50_000_000));
        cfg.partition = false;
        let r = check_with(&h, &cfg).unwrap();
        assert_eq!(r.partitions, 1);
        assert_eq!(verdict_name(&r.verdict), expected, "{file}");
    }
}

/// Values written are `0..VALUES`.
const VALUES: i64 = 6;

/// A random concurrent register history from a real sequential execution: each
/// operation takes effect atomically at a random moment between its invocation and its
/// completion, so the history is linearizable by construction. Some operations crash
/// (info; applied or not), some fail without effect, and a cas whose compare fails is
/// recorded as such.
fn random_register_history(rng: &mut ChaCha8Rng, ops: std::ops::Range<usize>) -> History {
    #[derive(Clone)]
    struct Pending {
        f: Func,
        key: i64,
        value: Value,
        applied: Option<Option<Value>>,
        fate: u8,
    }
    let processes = rng.gen_range(2..6u64);
    let ops_max = rng.gen_range(ops);
    let keys = rng.gen_range(1..3i64);
    let mut reg: Vec<Value> = vec![Value::Nil; keys as usize];
    let mut pending: Vec<Option<Pending>> = vec![None; processes as usize];
    let mut h = History::new();
    let mut invoked = 0;
    let mut next_pid = processes;
    let mut pids: Vec<u64> = (0..processes).collect();
    loop {
        let idle: Vec<usize> = (0..pending.len()).filter(|&p| pending[p].is_none()).collect();
        let busy: Vec<usize> = (0..pending.len()).filter(|&p| pending[p].is_some()).collect();
        if busy.is_empty() && invoked >= ops_max {
            break;
        }
        let choice = rng.gen_range(0..3);
        if choice == 0 && !idle.is_empty() && invoked < ops_max {
            let p = idle[rng.gen_range(0..idle.len())];
            let key = rng.gen_range(0..keys);
            let (f, value) = match rng.gen_range(0..3) {
                0 => (Func::Read, Value::Nil),
                1 => (Func::Write, Value::Int(rng.gen_range(0..VALUES))),
                _ => (
                    Func::Cas,
                    Value::List(vec![
                        Value::Int(rng.gen_range(0..VALUES)),
                        Value::Int(rng.gen_range(0..VALUES)),
                    ]),
                ),
            };
            h.invoke(ProcessId(pids[p]), f, Some(Value::Int(key)), value.clone()).unwrap();
            let fate = rng.gen_range(0..20);
            pending[p] = Some(Pending { f, key, value, applied: None, fate });
            invoked += 1;
        } else if choice == 1 && !busy.is_empty() {
            // The linearization point of one pending operation.
            let p = busy[rng.gen_range(0..busy.len())];
            let op = pending[p].as_mut().unwrap();
            if op.applied.is_some() || op.fate < 2 {
                continue; // already applied, or fails without effect
            }
            let r = &mut reg[op.key as usize];
            op.applied = Some(match (op.f, &op.value) {
                (Func::Read, _) => Some(r.clone()),
                (Func::Write, v) => {
                    *r = v.clone();
                    None
                }
                (_, Value::List(ft)) => {
                    let ok = *r == ft[0];
                    if ok {
                        *r = ft[1].clone();
                    }
                    Some(Value::Bool(ok))
                }
                _ => unreachable!(),
            });
        } else if choice == 2 && !busy.is_empty() {
            let p = busy[rng.gen_range(0..busy.len())];
            let op = pending[p].clone().unwrap();
            let pid = ProcessId(pids[p]);
            match (op.fate, &op.applied) {
                (0 | 1, _) => {
                    h.fail(pid).unwrap();
                }
                // A crash: applied or not, nobody knows; the process is replaced.
                (2, _) => {
                    h.info(pid).unwrap();
                    pids[p] = next_pid;
                    next_pid += 1;
                }
                (_, None) => continue, // not yet applied: cannot complete
                (_, Some(result)) => {
                    match (op.f, result) {
                        (Func::Cas, Some(Value::Bool(false))) => h.cas_compare_failed(pid),
                        (Func::Read, Some(v)) => h.ok(pid, Some(v.clone())),
                        _ => h.ok(pid, None),
                    }
                    .unwrap();
                }
            }
            pending[p] = None;
        }
    }
    h
}

/// The same history with one ok read's value changed; `None` if it has no ok read.
fn corrupt_one_read(h: &History, rng: &mut ChaCha8Rng) -> Option<History> {
    let reads: Vec<usize> = (h.ops().iter().enumerate())
        .filter(|(_, o)| o.func == Func::Read && o.output.is_some())
        .map(|(i, _)| i)
        .collect();
    if reads.is_empty() {
        return None;
    }
    let victim = reads[rng.gen_range(0..reads.len())];
    // Rebuild event by event, so the corrupted read keeps its place in time.
    let mut events: Vec<(u32, bool, usize)> = Vec::new();
    for (i, op) in h.ops().iter().enumerate() {
        events.push((op.invoke.index, true, i));
        if let Some(c) = op.completion {
            events.push((c.at.index, false, i));
        }
    }
    events.sort();
    let mut out = History::new();
    for (_, invoke, i) in events {
        let op = &h.ops()[i];
        if invoke {
            out.invoke(op.process, op.func, op.key.clone(), op.value.clone()).unwrap();
            continue;
        }
        let mut output = op.output.clone();
        if i == victim {
            output = Some(match output {
                Some(Value::Int(v)) => Value::Int((v + rng.gen_range(1..VALUES)) % VALUES),
                _ => Value::Int(rng.gen_range(0..VALUES)),
            });
        }
        out.complete_at(op.process, None, op.completion.unwrap().outcome, output, None, 0).unwrap();
    }
    Some(out)
}

#[test]
fn histories_from_a_real_execution_pass_and_a_corrupted_read_mostly_fails() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let limits = Limits::deterministic(10_000_000);
    let (mut corrupted, mut caught) = (0, 0);
    for i in 0..400 {
        let h = random_register_history(&mut rng, 10..40);
        let v = check(&h, &Model::register(), &limits).unwrap();
        assert_eq!(verdict_name(&v), "linearizable", "history {i}: {:#?}", h.ops());
        if let Some(bad) = corrupt_one_read(&h, &mut rng) {
            corrupted += 1;
            match check(&bad, &Model::register(), &limits).unwrap() {
                Verdict::NotLinearizable(cx) => {
                    caught += 1;
                    let sub = sub_history(&bad, &cx.minimal);
                    let again = check(&sub, &Model::register(), &limits).unwrap();
                    assert_eq!(verdict_name(&again), "not", "history {i}: minimized set");
                }
                Verdict::Unknown { reason } => panic!("history {i}: {reason}"),
                Verdict::Linearizable => {}
            }
        }
    }
    let rate = caught as f64 / corrupted as f64;
    println!(
        "corrupted one read in {corrupted} histories: {caught} not linearizable ({:.1}%)",
        rate * 100.0
    );
    assert!(corrupted > 300, "{corrupted}");
    assert!(rate >= 0.8, "only {:.1}% of corrupted histories were caught", rate * 100.0);
}

/// Linearizability by brute force, for small register histories: tries every order.
fn brute_force(h: &History) -> bool {
    use gameday::history::Outcome;
    let ops: Vec<&history::Op> = h.ops().iter().filter(|o| o.outcome() != Outcome::Fail).collect();
    let end = |o: &history::Op| match o.completion {
        Some(c) if c.outcome == Outcome::Ok => c.at.index,
        _ => u32::MAX,
    };
    fn go(
        ops: &[&history::Op],
        done: &mut Vec<bool>,
        regs: &mut Vec<(Option<Value>, Value)>,
        end: &dyn Fn(&history::Op) -> u32,
    ) -> bool {
        let all_required_done = (0..ops.len()).all(|i| done[i] || end(ops[i]) == u32::MAX);
        if all_required_done {
            return true;
        }
        for i in 0..ops.len() {
            // Next may be any op not done whose invocation follows no pending completion.
            let blocked =
                (0..ops.len()).any(|j| !done[j] && j != i && end(ops[j]) < ops[i].invoke.index);
            if done[i] || blocked {
                continue;
            }
            let o = ops[i];
            let slot = match regs.iter().position(|(k, _)| *k == o.key) {
                Some(p) => p,
                None => {
                    regs.push((o.key.clone(), Value::Nil));
                    regs.len() - 1
                }
            };
            let before = regs[slot].1.clone();
            let known = o.outcome() == Outcome::Ok;
            let legal = match (o.func, &o.value) {
                (Func::Read, _) => !known || o.output.as_ref() == Some(&before),
                (Func::Write, v) => {
                    regs[slot].1 = v.clone();
                    true
                }
                (Func::Cas, Value::List(ft)) if o.is_failed_compare() => before != ft[0],
                (Func::Cas, Value::List(ft)) => {
                    let ok = before == ft[0];
                    if ok {
                        regs[slot].1 = ft[1].clone();
                    }
                    ok
                }
                _ => unreachable!(),
            };
            if legal {
                done[i] = true;
                if go(ops, done, regs, end) {
                    return true;
                }
                done[i] = false;
            }
            regs[slot].1 = before;
        }
        false
    }
    go(&ops, &mut vec![false; ops.len()], &mut Vec::new(), &end)
}

#[test]
fn verdicts_agree_with_brute_force_on_small_histories() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let limits = Limits::deterministic(1_000_000);
    let (mut agreed, mut not_lin) = (0, 0);
    for i in 0..600 {
        let h = random_register_history(&mut rng, 3..9);
        let mut cases = vec![h.clone()];
        cases.extend(corrupt_one_read(&h, &mut rng));
        for (j, case) in cases.iter().enumerate() {
            let expected = brute_force(case);
            let got = check(case, &Model::register(), &limits).unwrap();
            let name = if expected { "linearizable" } else { "not" };
            assert_eq!(verdict_name(&got), name, "history {i}/{j}: {:#?}", case.ops());
            agreed += 1;
            not_lin += usize::from(!expected);
        }
    }
    assert!(not_lin > 100, "{not_lin} of {agreed}");
}

#[test]
fn a_tiny_limit_gives_unknown_and_the_same_answer_every_time() {
    let h = history::load(&corpora().join("porcupine-kv/c10-ok.txt"), &ParseOptions::default())
        .unwrap();
    let mut cfg = CheckConfig::new(Model::Kv, Limits::deterministic(500));
    cfg.partition = false;
    let a = check_with(&h, &cfg).unwrap();
    let Verdict::Unknown { reason } = &a.verdict else { panic!("{:?}", a.verdict) };
    assert!(reason.contains("500 steps"), "{reason}");
    assert_eq!(a, check_with(&h, &cfg).unwrap());
    cfg.limits = Limits { memo_entries_max: 10, ..Limits::default() };
    let b = check_with(&h, &cfg).unwrap();
    assert!(matches!(&b.verdict, Verdict::Unknown { reason } if reason.contains("10 entries")));
}

const LOG: &str = "INFO  jepsen.core - Worker 0 starting\n\
INFO  jepsen.util - 0\t:invoke\t:read\tnil\n\
INFO  jepsen.util - 1\t:invoke\t:write\t4\n\
INFO  jepsen.util - 0\t:ok\t:read\tnil\n\
INFO  jepsen.util - 1\t:ok\t:write\t4\n\
INFO jepsen.util - 2 :invoke :cas [4 1]\n\
INFO jepsen.util - 2 :ok :cas [4 1]\n\
INFO  jepsen.util - 3\t:invoke\t:cas\t[4 2]\n\
INFO  jepsen.util - 3\t:fail\t:cas\t[4 2]\n\
INFO  jepsen.util - 0\t:invoke\t:read\tnil\n\
INFO  jepsen.util - 0\t:fail\t:read\t:timed-out\n\
INFO  jepsen.util - 4\t:invoke\t:write\t3\n\
INFO  jepsen.util - 4\t:info\t:write\t:timed-out\n\
INFO  jepsen.util - 5\t:invoke\t:read\tnil\n\
INFO  jepsen.util - 5\t:ok\t:read\t3\n\
some other line\n";

fn log_verdict(text: &str) -> &'static str {
    let opts = ParseOptions { format: Format::JepsenLog, nil_read: None };
    let h = history::parse(text, None, &opts).unwrap();
    verdict_name(&check(&h, &Model::register(), &Limits::deterministic(1_000_000)).unwrap())
}

#[test]
fn jepsen_logs_with_tabs_spaces_timeouts_and_other_lines() {
    let opts = ParseOptions { format: Format::JepsenLog, nil_read: None };
    let h = history::parse(LOG, None, &opts).unwrap();
    assert_eq!(h.ops().len(), 7);
    assert_eq!(h.nil_read, NilRead::Absent);
    assert_eq!(log_verdict(LOG), "linearizable");
    // The register was absent at first: a read of nil after the write is stale.
    let stale = LOG
        .replace("INFO  jepsen.util - 5\t:ok\t:read\t3", "INFO  jepsen.util - 5\t:ok\t:read\tnil");
    assert_eq!(log_verdict(&stale), "not");
    // A failed cas saw something other than 4, but nothing else could be there.
    let cas = "INFO jepsen.util - 1 :invoke :write 4\nINFO jepsen.util - 1 :ok :write 4\n\
               INFO jepsen.util - 2 :invoke :cas [4 2]\nINFO jepsen.util - 2 :fail :cas [4 2]\n";
    assert_eq!(log_verdict(cas), "not");
    // Format::Auto recognizes a log by its text.
    assert_eq!(Format::Auto.resolve(None, LOG), Format::JepsenLog);
}

#[test]
fn nil_reads_are_unconstrained_in_knossos_edn_and_absent_when_asked() {
    let text = "{:process 0 :type :invoke :f :write :value 1}\n{:process 0 :type :ok :f :write :value 1}\n\
                {:process 1 :type :invoke :f :read :value nil}\n{:process 1 :type :ok :f :read :value nil}\n";
    let model = Model::register();
    let limits = Limits::deterministic(1_000_000);
    let knossos = history::parse(text, None, &ParseOptions::default()).unwrap();
    assert_eq!(verdict_name(&check(&knossos, &model, &limits).unwrap()), "linearizable");
    let opts = ParseOptions { nil_read: Some(NilRead::Absent), ..ParseOptions::default() };
    let absent = history::parse(text, None, &opts).unwrap();
    assert_eq!(verdict_name(&check(&absent, &model, &limits).unwrap()), "not");
}

#[test]
fn a_program_builds_a_keyed_register_history_and_gets_a_drawn_counterexample() {
    // As the simulator does: each logical operation its own process, :key the register.
    let mut h = History::new();
    let key = |k: i64| Some(Value::Int(k));
    h.invoke(ProcessId(1), Func::Write, key(7), Value::Int(5)).unwrap();
    h.ok(ProcessId(1), None).unwrap();
    h.invoke(ProcessId(2), Func::Write, key(8), Value::Int(6)).unwrap();
    h.invoke(ProcessId(3), Func::Read, key(7), Value::Nil).unwrap();
    h.ok(ProcessId(3), Some(Value::Nil)).unwrap(); // stale: absent after the write of 5
    h.info(ProcessId(2)).unwrap();
    let v = check(&h, &Model::register(), &Limits::deterministic(1_000_000)).unwrap();
    let Verdict::NotLinearizable(cx) = v else { panic!("{v:?}") };
    assert_eq!(cx.key, Some(Value::Int(7)));
    assert_eq!(cx.unplaceable, h.ops()[2].id);
    assert_eq!(cx.minimal, vec![h.ops()[0].id, h.ops()[2].id]);
    assert!(cx.minimal_complete);
    let svg = cx.svg(&h);
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert!(svg.contains("read[7] → nil"), "{svg}");
    assert!(cx.summary(&h).contains("cannot place: p3 read[7] → nil"));
}

/// Found on the simulator's own history: the write that a read returned was still
/// pending when the unplaceable read completed; the minimized set must show it.
#[test]
fn a_stale_read_after_a_pending_write_was_seen_keeps_that_write_in_the_set() {
    let mut h = History::new();
    let p = ProcessId;
    h.invoke(p(1), Func::Write, None, Value::Int(1)).unwrap();
    h.ok(p(1), None).unwrap();
    h.invoke(p(2), Func::Write, None, Value::Int(2)).unwrap();
    h.invoke(p(3), Func::Read, None, Value::Nil).unwrap();
    h.ok(p(3), Some(Value::Int(2))).unwrap();
    h.invoke(p(4), Func::Read, None, Value::Nil).unwrap();
    h.ok(p(4), Some(Value::Int(1))).unwrap(); // 1 again, after 2 was read
    h.info(p(2)).unwrap();
    let Verdict::NotLinearizable(cx) =
        check(&h, &Model::register(), &Limits::deterministic(1_000_000)).unwrap()
    else {
        panic!()
    };
    assert_eq!(cx.unplaceable, h.ops()[3].id);
    let all: Vec<history::OpId> = h.ops().iter().map(|o| o.id).collect();
    assert_eq!(cx.minimal, all, "{}", cx.summary(&h));
}

#[test]
fn counterexample_svg_escapes_what_the_history_says() {
    let text = "{:process 0 :type :invoke :f :append :key \"<k&'>\" :value \"<b>\\\"x\\\"</b>\"}\n\
                {:process 0 :type :ok :f :append :key \"<k&'>\" :value \"<b>\\\"x\\\"</b>\"}\n\
                {:process 1 :type :invoke :f :get :key \"<k&'>\" :value nil}\n\
                {:process 1 :type :ok :f :get :key \"<k&'>\" :value \"]]>&amp;\"}\n";
    let h = history::parse(text, None, &ParseOptions::default()).unwrap();
    let Verdict::NotLinearizable(cx) =
        check(&h, &Model::Kv, &Limits::deterministic(10_000)).unwrap()
    else {
        panic!()
    };
    let svg = cx.svg(&h);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed despite markup in the history");
    let texts: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains("<k&'>"), "{texts}");
    assert!(texts.contains("]]>&amp;"), "{texts}");
}

#[test]
fn mutex_and_multi_register_models() {
    let limits = Limits::deterministic(1_000_000);
    let mutex = "{:process 0 :type :invoke :f :acquire}\n{:process 0 :type :ok :f :acquire}\n\
                 {:process 1 :type :invoke :f :acquire}\n{:process 1 :type :ok :f :acquire}\n";
    let h = history::parse(mutex, None, &ParseOptions::default()).unwrap();
    assert_eq!(verdict_name(&check(&h, &Model::Mutex, &limits).unwrap()), "not");
    let txn = "{:process 0 :type :invoke :f :txn :value [[:write :x 1] [:write :y 1]]}\n\
               {:process 0 :type :ok :f :txn :value [[:write :x 1] [:write :y 1]]}\n\
               {:process 1 :type :invoke :f :txn :value [[:read :x nil] [:read :y nil]]}\n\
               {:process 1 :type :ok :f :txn :value [[:read :x 1] [:read :y 0]]}\n";
    let h = history::parse(txn, None, &ParseOptions::default()).unwrap();
    let model = Model::from_name("multi-register").unwrap();
    assert_eq!(verdict_name(&check(&h, &model, &limits).unwrap()), "not");
    let ok = txn.replace("[:read :y 0]", "[:read :y 1]");
    let h = history::parse(&ok, None, &ParseOptions::default()).unwrap();
    assert_eq!(verdict_name(&check(&h, &model, &limits).unwrap()), "linearizable");
}

#[test]
fn an_operation_the_model_cannot_read_is_an_error_with_its_line() {
    let text = "\n{:process 0 :type :invoke :f :append :key 1 :value \"x\"}\n";
    let h = history::parse(text, None, &ParseOptions::default()).unwrap();
    let e = check(&h, &Model::register(), &Limits::default()).unwrap_err();
    assert_eq!(e.line, 2);
    assert!(
        e.to_string()
            .contains(":append is not an operation of model register (valid: :read :write :cas)"),
        "{e}"
    );
}

#[test]
fn history_check_exit_codes() {
    let k = corpora().join("knossos/data/cas-register");
    let good = k.join("good/memstress3-0.edn");
    let bad = k.join("bad/rethink-fail-minimal.edn");
    let (g, b) = (good.to_str().unwrap(), bad.to_str().unwrap());

    let (code, out, _) = gameday(&["history", "check", g, "--model", "cas-register"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("memstress3-0.edn: linearizable ("), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let svg_dir = dir.path().join("svg");
    let (code, out, _) = gameday(&[
        "history",
        "check",
        g,
        b,
        "--model",
        "cas-register",
        "--svg-dir",
        svg_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("rethink-fail-minimal.edn: NOT linearizable (4 ops"), "{out}");
    assert!(out.contains("cannot place: p1 read → 3 (line 4)"), "{out}");
    let svg = std::fs::read_to_string(svg_dir.join("rethink-fail-minimal.svg")).unwrap();
    roxmltree::Document::parse(&svg).unwrap();

    let malformed = dir.path().join("broken.edn");
    std::fs::write(&malformed, "[{:process 0 :type :invoke :f :read :value nil}\n {:process 0 :type :ok :f :read :value [1}]\n").unwrap();
    let (code, _, err) =
        gameday(&["history", "check", malformed.to_str().unwrap(), "--model", "register"]);
    assert_eq!(code, 2);
    assert!(err.contains("broken.edn:2: unexpected '}'"), "{err}");

    let (code, _, err) = gameday(&["history", "check", g, "--model", "queue"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'queue' for '--model <MODEL>'"), "{err}");
    assert!(
        err.contains("[possible values: register, cas-register, kv, multi-register, mutex]"),
        "{err}"
    );

    let (code, _, err) =
        gameday(&["history", "check", "/nonexistent/h.edn", "--model", "register"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/h.edn: cannot read"), "{err}");

    let kv = corpora().join("porcupine-kv/c10-ok.txt");
    let (code, out, _) = gameday(&[
        "history",
        "check",
        kv.to_str().unwrap(),
        "--model",
        "kv",
        "--no-partition",
        "--memo-max",
        "5",
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("unknown: memo table reached its cap of 5 entries"), "{out}");
}

/// Register `key`: `k` concurrent writes of distinct values whose processes crashed
/// (each took effect or not), then a read of a value none of them wrote. Not
/// linearizable; the search must try every subset of the writes to find out.
fn crashed_writes_then_impossible_read(h: &mut History, key: i64, k: u64) {
    let pid = |i: u64| ProcessId(key as u64 * 1000 + i);
    for i in 0..k {
        h.invoke(pid(i), Func::Write, Some(Value::Int(key)), Value::Int(i as i64)).unwrap();
    }
    for i in 0..k {
        h.info(pid(i)).unwrap();
    }
    h.invoke(pid(k), Func::Read, Some(Value::Int(key)), Value::Nil).unwrap();
    h.ok(pid(k), Some(Value::Int(-1))).unwrap();
}

/// Kv key "k": `k` concurrent appends of distinct letters whose processes crashed,
/// then a get of a string none of their orders makes. Every order of every
/// subset of the appends is a different string: the search makes them all.
fn crashed_appends_then_impossible_get(k: u64) -> History {
    let mut h = History::new();
    let key = Some(Value::Str("k".into()));
    for i in 0..k {
        let letter = ((b'a' + i as u8) as char).to_string();
        h.invoke(ProcessId(i), Func::Append, key.clone(), Value::Str(letter)).unwrap();
    }
    for i in 0..k {
        h.info(ProcessId(i)).unwrap();
    }
    h.invoke(ProcessId(k), Func::Get, key.clone(), Value::Nil).unwrap();
    h.ok(ProcessId(k), Some(Value::Str("?".into()))).unwrap();
    h
}

/// A wall-clock timeout is honoured: a search of many steps (the clock is read every
/// few thousand) stops at once when the time is up, with a reason naming the timeout,
/// and a generous timeout changes nothing.
#[test]
fn a_timeout_stops_a_long_search_and_a_generous_one_does_not() {
    let mut h = History::new();
    crashed_writes_then_impossible_read(&mut h, 0, 10);
    let model = Model::register();
    let r =
        check_with(&h, &CheckConfig::new(model.clone(), Limits::timeout(Duration::ZERO))).unwrap();
    let Verdict::Unknown { reason } = &r.verdict else { panic!("{:?}", r.verdict) };
    assert_eq!(reason, "search exceeded the timeout of 0.000 s");
    assert!(r.steps < 10_000, "{} steps after the deadline", r.steps);
    let v = check(&h, &model, &Limits::timeout(Duration::from_secs(3600))).unwrap();
    assert!(matches!(v, Verdict::NotLinearizable(_)), "{v:?}");
}

/// The step limit is for the whole check: independent parts searched in rounds share
/// it, so however many parts there are, the steps taken never exceed it (and nearly
/// all of it is used before the verdict turns unknown).
#[test]
fn parts_searched_in_rounds_share_the_step_limit() {
    let mut h = History::new();
    for key in 0..4 {
        crashed_writes_then_impossible_read(&mut h, key, 10);
    }
    for steps_max in [1_000, 1_003, 70_000] {
        let r =
            check_with(&h, &CheckConfig::new(Model::register(), Limits::deterministic(steps_max)))
                .unwrap();
        assert_eq!(r.partitions, 4);
        let Verdict::Unknown { reason } = &r.verdict else { panic!("{:?}", r.verdict) };
        assert_eq!(*reason, format!("search exceeded {steps_max} steps"));
        assert!(r.steps <= steps_max, "{} steps taken of {steps_max}", r.steps);
        assert!(r.steps + 4 > steps_max, "only {} steps taken of {steps_max}", r.steps);
    }
}

/// The report's step count is what the search did: a check split into keys takes as
/// many steps as checking each key's history alone, added up.
#[test]
fn the_steps_of_a_partitioned_check_add_up_over_its_parts() {
    let model = Model::register();
    let limits = Limits::deterministic(10_000_000);
    let mut whole = History::new();
    let mut sum = 0;
    for key in 0..3 {
        let mut h = History::new();
        // Several writes of unknown outcome, then a read of the first value: found
        // only after the search tries orders that leave it last.
        for i in 0..(6 + key as u64) {
            let p = ProcessId(key as u64 * 100 + i);
            for h in [&mut h, &mut whole] {
                h.invoke(p, Func::Write, Some(Value::Int(key)), Value::Int(i as i64)).unwrap();
                h.info(p).unwrap();
            }
        }
        let p = ProcessId(key as u64 * 100 + 99);
        for h in [&mut h, &mut whole] {
            h.invoke(p, Func::Read, Some(Value::Int(key)), Value::Nil).unwrap();
            h.ok(p, Some(Value::Int(0))).unwrap();
        }
        let r = check_with(&h, &CheckConfig::new(model.clone(), limits.clone())).unwrap();
        assert_eq!(r.verdict, Verdict::Linearizable);
        assert!(r.steps >= r.ops_checked as u64, "{r:?}");
        sum += r.steps;
    }
    let r = check_with(&whole, &CheckConfig::new(model, limits)).unwrap();
    assert_eq!((r.verdict, r.partitions), (Verdict::Linearizable, 3));
    assert_eq!(r.steps, sum);
}

/// Histories the models cannot read are errors that say what is wrong and where,
/// never a panic or a silent misreading: a put or append of a non-string, a cas that
/// is not `[expected new]`, a kv operation without a key, a txn that is not a list of
/// `[:read k v]` / `[:write k v]` (of any length, however short).
#[test]
fn operations_the_models_cannot_read_are_errors_that_say_why() {
    let err = |model: Model, f: Func, key: Option<Value>, value: Value| {
        let mut h = History::new();
        // A readable operation first: the error names the second.
        let (f0, v0) = match model {
            Model::MultiRegister { .. } => (Func::Txn, Value::List(vec![])),
            _ => (model.funcs()[0], Value::Nil),
        };
        h.invoke(ProcessId(0), f0, Some(Value::Str("k".into())), v0).unwrap();
        h.ok(ProcessId(0), None).unwrap();
        h.invoke(ProcessId(1), f, key, value).unwrap();
        h.ok(ProcessId(1), None).unwrap();
        let e = check(&h, &model, &Limits::deterministic(1_000)).unwrap_err();
        assert_eq!(e.op, h.ops()[1].id);
        e.to_string()
    };
    let key = || Some(Value::Str("k".into()));
    let s = |t: &str| Value::Str(t.into());
    let kw = |t: &str| Value::Keyword(t.into());
    let list = Value::List;
    assert_eq!(
        err(Model::Kv, Func::Put, key(), Value::Int(3)),
        "operation 1: put needs a string, found 3"
    );
    assert_eq!(
        err(Model::Kv, Func::Append, key(), Value::Nil),
        "operation 1: append needs a string, found nil"
    );
    assert_eq!(err(Model::Kv, Func::Put, None, s("x")), "operation 1: kv operations need a :key");
    let reg = Model::register();
    assert_eq!(
        err(reg.clone(), Func::Cas, None, Value::Int(1)),
        "operation 1: a cas needs [expected new], found 1"
    );
    assert_eq!(
        err(reg, Func::Cas, None, list(vec![Value::Int(1)])),
        "operation 1: a cas needs [expected new], found [1]"
    );
    let txn = Model::from_name("multi-register").unwrap();
    assert_eq!(
        err(txn.clone(), Func::Txn, None, Value::Int(1)),
        "operation 1: a txn needs a list of [:read k v] / [:write k v], found 1"
    );
    assert_eq!(
        err(
            txn.clone(),
            Func::Txn,
            None,
            list(vec![list(vec![kw("inc"), kw("x"), Value::Int(1)])])
        ),
        "operation 1: unknown micro-op [:inc :x 1] (valid: :read :write)"
    );
    for short in [vec![], vec![kw("read")], vec![kw("write"), kw("x")]] {
        let m = list(short);
        let e = err(txn.clone(), Func::Txn, None, list(vec![m.clone()]));
        assert_eq!(e, format!("operation 1: a micro-op is [:read k v] or [:write k v], found {m}"));
    }
}

/// The memo byte cap counts everything a search holds: its memo table (slots and
/// arena) and the strings that appends make, with their index. A kv search over every
/// order of seven crashed appends (13,700 strings and configurations) needs a little
/// under 2 MiB in all: a cap of 1.8 MiB stops it, 2 MiB lets it finish. (Counting any
/// of those parts short would let it finish under the smaller cap.)
#[test]
fn the_memo_byte_cap_counts_the_memo_and_the_strings_appends_make() {
    let h = crashed_appends_then_impossible_get(7);
    let run = |cap: usize| {
        let limits = Limits { memo_bytes_max: cap, ..Limits::deterministic(10_000_000) };
        check_with(&h, &CheckConfig::new(Model::Kv, limits)).unwrap().verdict
    };
    let v = run(1856 << 10);
    assert_eq!(v, Verdict::Unknown { reason: "memo table reached its cap of 1 MiB".into() });
    assert!(matches!(run(2 << 20), Verdict::NotLinearizable(_)), "{v:?}");
}

/// Multi-register histories are checked per group of registers that transactions
/// connect (a txn over `w` and `y` joins `w` to the group of `x` and `y`), and a
/// counterexample names its group; unpartitioned, the verdict is the same.
#[test]
fn multi_register_histories_split_into_the_groups_txns_connect() {
    let kw = |t: &str| Value::Keyword(t.into());
    let micro = |f: &str, r: &str, v: Value| Value::List(vec![kw(f), kw(r), v]);
    let mut h = History::new();
    let mut txn = |p: u64, invoked: Vec<Value>, completed: Vec<Value>| {
        h.invoke(ProcessId(p), Func::Txn, None, Value::List(invoked)).unwrap();
        h.ok(ProcessId(p), Some(Value::List(completed))).unwrap();
    };
    let w = |r: &str, v: i64| micro("write", r, Value::Int(v));
    let (rn, r) =
        (|x: &str| micro("read", x, Value::Nil), |x: &str, v| micro("read", x, Value::Int(v)));
    txn(0, vec![w("z", 5)], vec![w("z", 5)]);
    txn(1, vec![w("x", 1), w("y", 1)], vec![w("x", 1), w("y", 1)]);
    txn(2, vec![w("w", 2), w("y", 1)], vec![w("w", 2), w("y", 1)]);
    txn(3, vec![rn("z")], vec![r("z", 5)]);
    // x was written with y: y cannot still be 0.
    txn(4, vec![rn("x"), rn("y")], vec![r("x", 1), r("y", 0)]);
    let model = Model::from_name("multi-register").unwrap();
    let mut cfg = CheckConfig::new(model, Limits::deterministic(1_000_000));
    let rep = check_with(&h, &cfg).unwrap();
    assert_eq!((rep.partitions, rep.ops_checked), (2, 5));
    let Verdict::NotLinearizable(cx) = &rep.verdict else { panic!("{:?}", rep.verdict) };
    assert_eq!(cx.key, Some(Value::List(vec![kw("w"), kw("x"), kw("y")])));
    assert_eq!(cx.unplaceable, h.ops()[4].id);
    // x and y are only ever written together: the read is impossible on its own.
    assert_eq!(cx.minimal, vec![h.ops()[4].id]);
    cfg.partition = false;
    let whole = check_with(&h, &cfg).unwrap();
    assert_eq!(whole.partitions, 1);
    let Verdict::NotLinearizable(cx) = &whole.verdict else { panic!("{:?}", whole.verdict) };
    assert_eq!((cx.key.clone(), cx.unplaceable), (None, h.ops()[4].id));
}

/// A kv get of `nil` reads a key nobody wrote, which holds the empty string; after an
/// append it is stale. Under Knossos's convention (nil says nothing) it constrains
/// nothing.
#[test]
fn a_kv_get_of_nil_reads_the_empty_string() {
    let key = || Some(Value::Str("k".into()));
    let get = |h: &mut History, p: u64, v: Value| {
        h.invoke(ProcessId(p), Func::Get, key(), Value::Nil).unwrap();
        h.ok(ProcessId(p), Some(v)).unwrap();
    };
    let limits = Limits::deterministic(10_000);
    let mut h = History::new();
    get(&mut h, 0, Value::Nil);
    get(&mut h, 1, Value::Str(String::new()));
    assert_eq!(check(&h, &Model::Kv, &limits).unwrap(), Verdict::Linearizable);
    h.invoke(ProcessId(2), Func::Append, key(), Value::Str("x".into())).unwrap();
    h.ok(ProcessId(2), None).unwrap();
    get(&mut h, 3, Value::Nil);
    assert_eq!(verdict_name(&check(&h, &Model::Kv, &limits).unwrap()), "not");
    h.nil_read = NilRead::Unconstrained;
    assert_eq!(check(&h, &Model::Kv, &limits).unwrap(), Verdict::Linearizable);
}

/// Models by name (every one `NAMES` lists, and the corpora's names), and with another
/// initial value: a first read of 0 fits a register that starts at 0, not one that
/// starts absent; kv and mutex have no initial value to change.
#[test]
fn models_by_name_and_with_another_initial_value() {
    for (name, _) in Model::NAMES {
        let m = Model::from_name(name).unwrap_or_else(|| panic!("{name}"));
        // A cas-register is a register.
        assert!(name.ends_with(m.name()), "{name} is {}", m.name());
    }
    assert_eq!(Model::from_name("queue"), None);
    assert_eq!(Model::from_name("kv-get-put-append"), Some(Model::Kv));
    let mut h = History::new();
    h.invoke(ProcessId(0), Func::Read, None, Value::Nil).unwrap();
    h.ok(ProcessId(0), Some(Value::Int(0))).unwrap();
    let limits = Limits::deterministic(1_000);
    let zero = Model::register().with_init(Value::Int(0)).unwrap();
    assert_eq!(Some(&zero), Model::from_name("cas-register").as_ref());
    assert_eq!(check(&h, &zero, &limits).unwrap(), Verdict::Linearizable);
    assert_eq!(verdict_name(&check(&h, &Model::register(), &limits).unwrap()), "not");
    let multi = Model::from_name("multi-register").unwrap().with_init(Value::Nil).unwrap();
    assert_eq!(multi, Model::MultiRegister { init: Value::Nil });
    assert_eq!(Model::Kv.with_init(Value::Int(0)), None);
    assert_eq!(Model::Mutex.with_init(Value::Int(0)), None);
}

/// Minimizing a counterexample is paid from the check's step limit: the steps
/// reported never exceed it, minimizing costs steps beyond the failed search, and
/// when the limit runs out mid-way the set is reported as not minimal (and the summary
/// says so). Without minimizing, the set is everything completed before the
/// unplaceable operation.
#[test]
fn minimizing_is_paid_from_the_step_limit_and_says_when_it_ran_out() {
    // Ten writes, one after another, then a read of a value none wrote.
    let mut h = History::new();
    for i in 0..10 {
        h.invoke(ProcessId(i), Func::Write, None, Value::Int(i as i64)).unwrap();
        h.ok(ProcessId(i), None).unwrap();
    }
    h.invoke(ProcessId(10), Func::Read, None, Value::Nil).unwrap();
    h.ok(ProcessId(10), Some(Value::Int(-1))).unwrap();
    let read = h.ops()[10].id;
    let run = |minimize: bool, steps_max: u64| {
        let cfg = CheckConfig {
            minimize,
            ..CheckConfig::new(Model::register(), Limits::deterministic(steps_max))
        };
        let r = check_with(&h, &cfg).unwrap();
        assert!(r.steps <= steps_max, "{} steps of {steps_max}", r.steps);
        let Verdict::NotLinearizable(cx) = r.verdict else { panic!("{:?}", r.verdict) };
        (r.steps, cx)
    };
    let (search_steps, cx) = run(false, 1_000_000);
    let all: Vec<history::OpId> = h.ops().iter().map(|o| o.id).collect();
    assert_eq!((cx.minimal, cx.minimal_complete), (all, false));
    let (steps, cx) = run(true, 1_000_000);
    assert!(steps > search_steps, "{steps} steps, {search_steps} without minimizing");
    // The read is impossible whatever else happened: it is the counterexample alone.
    assert_eq!((&cx.minimal, cx.minimal_complete), (&vec![read], true));
    assert!(
        cx.summary(&h).contains("not linearizable on their own (1 ops):"),
        "{}",
        cx.summary(&h)
    );
    let (_, cx) = run(true, search_steps + 5);
    assert!(!cx.minimal_complete);
    assert!(cx.minimal.contains(&read) && cx.minimal.len() > 1, "{:?}", cx.minimal);
    assert!(cx.summary(&h).contains("minimizing ran out of budget"), "{}", cx.summary(&h));
}
