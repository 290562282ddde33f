//! Checking a register a segment at a time gives the verdict of checking its whole
//! history at once, and holds only the operations in flight.

use super::segment::{KeyLog, SegmentVerdict};
use crate::check::linearizability::{self as lin, Limits, Model, Verdict};
use crate::history::{Func, History, Outcome, ProcessId, Value};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One event of a generated history.
#[derive(Clone, Debug)]
enum Ev {
    Invoke { p: u64, f: Func, value: Value },
    Complete { p: u64, outcome: Outcome, output: Option<Value> },
}

/// Feeds `events` to a `KeyLog` as the invariant does, closing a segment whenever no
/// operation is in flight; returns whether any segment failed, and the most operations
/// it held at once.
fn segmented(events: &[Ev]) -> (bool, usize) {
    segmented_cut(events, usize::MAX)
}

/// `segmented`, also cutting a segment where it stands when it holds `cap` operations
/// and another is invoked (as the invariant does at `SEGMENT_OPS_MAX`).
fn segmented_cut(events: &[Ev], cap: usize) -> (bool, usize) {
    let mut log = KeyLog::new(7, Value::Int(0));
    let mut held_max = 0;
    for (t, e) in events.iter().enumerate() {
        let t = t as i64;
        let close = match e {
            Ev::Invoke { p, f, value } => {
                if log.recorded() >= cap
                    && matches!(log.close(true), SegmentVerdict::NotLinearizable(_))
                {
                    return (true, held_max);
                }
                log.invoke(*p, *f, value.clone(), t);
                false
            }
            Ev::Complete { p, outcome, output } => log.complete(*p, *outcome, output.clone(), t),
        };
        held_max = held_max.max(log.recorded());
        if close && matches!(log.close(true), SegmentVerdict::NotLinearizable(_)) {
            return (true, held_max);
        }
    }
    (matches!(log.close(false), SegmentVerdict::NotLinearizable(_)), held_max)
}

/// The same events checked as one history.
fn whole(events: &[Ev]) -> bool {
    let mut h = History::new();
    let key = Some(Value::Int(7));
    for e in events {
        match e {
            Ev::Invoke { p, f, value } => {
                h.invoke(ProcessId(*p), *f, key.clone(), value.clone()).unwrap();
            }
            Ev::Complete { p, outcome, output } => {
                h.complete_at(ProcessId(*p), None, *outcome, output.clone(), None, 0).unwrap();
            }
        }
    }
    let model = Model::Register { init: Value::Int(0) };
    match lin::check(&h, &model, &Limits::deterministic(50_000_000)).unwrap() {
        Verdict::NotLinearizable(_) => true,
        Verdict::Linearizable => false,
        Verdict::Unknown { reason } => panic!("{reason}"),
    }
}

/// An operation takes effect on the register: what a read returns, and whether a cas
/// swapped.
fn take_effect(state: &mut i64, f: Func, value: &Value) -> (Option<Value>, bool) {
    match (f, value) {
        (Func::Read, _) => (Some(Value::Int(*state)), true),
        (Func::Write, Value::Int(v)) => {
            *state = *v;
            (None, true)
        }
        (_, Value::List(v)) => {
            let hit = v[0] == Value::Int(*state);
            if let (true, Value::Int(n)) = (hit, &v[1]) {
                *state = *n;
            }
            (None, hit)
        }
        _ => (None, true),
    }
}

/// A history of a real register (each operation takes effect at one instant inside its
/// interval) with faults: sometimes a read returns a value it should not, and, when
/// `info` is set, a client sometimes gives up on a write that then happens or not.
fn generate(rng: &mut ChaCha8Rng, info: bool) -> Vec<Ev> {
    const PROCS: u64 = 3;
    let mut state = 0i64;
    // Per process: 0 idle, 1 invoked (not yet effective), 2 effective (not yet completed).
    let mut phase = [0u8; PROCS as usize];
    let mut op: Vec<(Func, Value, Option<Value>, bool)> =
        vec![(Func::Read, Value::Nil, None, false); 3];
    let mut next_p = [0u64; PROCS as usize];
    let mut out = Vec::new();
    let mut left = rng.gen_range(6..30);
    while left > 0 || phase.iter().any(|&s| s != 0) {
        let i = rng.gen_range(0..PROCS as usize);
        let p = next_p[i] * PROCS + i as u64 + 1;
        match phase[i] {
            0 if left > 0 => {
                left -= 1;
                let f = [Func::Read, Func::Write, Func::Cas][rng.gen_range(0..3)];
                let v = |rng: &mut ChaCha8Rng| Value::Int(rng.gen_range(0..3));
                let value = match f {
                    Func::Read => Value::Nil,
                    Func::Write => v(rng),
                    _ => Value::List(vec![v(rng), v(rng)]),
                };
                op[i] = (f, value.clone(), None, false);
                out.push(Ev::Invoke { p, f, value });
                phase[i] = 1;
            }
            1 => {
                // The instant it takes effect.
                let (f, value, _, _) = op[i].clone();
                let (output, swapped) = take_effect(&mut state, f, &value);
                op[i] = (f, value, output, swapped);
                phase[i] = 2;
            }
            2 => {
                let (f, _, output, swapped) = op[i].clone();
                let ev = if info && f != Func::Read && rng.gen_bool(0.15) {
                    Ev::Complete { p, outcome: Outcome::Info, output: None }
                } else if f == Func::Read {
                    let output = if rng.gen_bool(0.08) {
                        Some(Value::Int(rng.gen_range(0..3)))
                    } else {
                        output
                    };
                    Ev::Complete { p, outcome: Outcome::Ok, output }
                } else if f == Func::Cas && !swapped {
                    Ev::Complete { p, outcome: Outcome::Fail, output: None }
                } else {
                    Ev::Complete { p, outcome: Outcome::Ok, output: None }
                };
                out.push(ev);
                phase[i] = 0;
                next_p[i] += 1;
            }
            _ => {}
        }
    }
    out
}

#[test]
fn segments_give_the_whole_historys_verdict() {
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    let (mut violated, mut total) = (0, 0);
    for _ in 0..1500 {
        let events = generate(&mut rng, false);
        let want = whole(&events);
        let (got, _) = segmented(&events);
        assert_eq!(got, want, "{events:?}");
        violated += usize::from(want);
        total += 1;
    }
    // Both verdicts occur, so the agreement means something.
    assert!(violated > total / 10 && violated < total * 9 / 10, "{violated} of {total}");
}

#[test]
fn with_operations_given_up_on_segments_never_accuse_a_linearizable_history() {
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let (mut agree, mut violated) = (0, 0);
    for _ in 0..1500 {
        let events = generate(&mut rng, true);
        let want = whole(&events);
        let (got, _) = segmented(&events);
        if !want {
            assert!(!got, "a linearizable history was called a violation: {events:?}");
        }
        agree += usize::from(got == want);
        violated += usize::from(want);
    }
    // The one-way approximation (an operation given up on may be counted in two
    // segments) should rarely matter.
    assert!(violated > 100 && agree >= 1450, "{agree} agree, {violated} violated");
}

#[test]
fn a_stale_read_after_a_quiet_moment_is_caught() {
    let events = [
        Ev::Invoke { p: 1, f: Func::Write, value: Value::Int(5) },
        Ev::Complete { p: 1, outcome: Outcome::Ok, output: None },
        // Nothing in flight here: the first segment closes, the register holds 5.
        Ev::Invoke { p: 2, f: Func::Read, value: Value::Nil },
        Ev::Complete { p: 2, outcome: Outcome::Ok, output: Some(Value::Int(0)) },
    ];
    assert!(segmented(&events).0);
}

#[test]
fn a_write_given_up_on_may_take_effect_many_segments_later() {
    let mut events = vec![
        Ev::Invoke { p: 1, f: Func::Write, value: Value::Int(9) },
        Ev::Complete { p: 1, outcome: Outcome::Info, output: None },
    ];
    for i in 0..10 {
        events.push(Ev::Invoke { p: 10 + i, f: Func::Read, value: Value::Nil });
        events.push(Ev::Complete { p: 10 + i, outcome: Outcome::Ok, output: Some(Value::Int(0)) });
    }
    events.push(Ev::Invoke { p: 30, f: Func::Read, value: Value::Nil });
    events.push(Ev::Complete { p: 30, outcome: Outcome::Ok, output: Some(Value::Int(9)) });
    assert!(!segmented(&events).0);
    // And once seen, it cannot be undone without another write.
    events.push(Ev::Invoke { p: 31, f: Func::Read, value: Value::Nil });
    events.push(Ev::Complete { p: 31, outcome: Outcome::Ok, output: Some(Value::Int(0)) });
    assert!(segmented(&events).0);
}

#[test]
fn memory_is_bounded_by_the_operations_in_flight() {
    let mut events = Vec::new();
    for i in 0..20_000u64 {
        let p = 2 * i + 1;
        events.push(Ev::Invoke { p, f: Func::Write, value: Value::Int((i % 5) as i64) });
        events.push(Ev::Invoke { p: p + 1, f: Func::Read, value: Value::Nil });
        events.push(Ev::Complete { p, outcome: Outcome::Ok, output: None });
        let seen = Value::Int((i % 5) as i64);
        events.push(Ev::Complete { p: p + 1, outcome: Outcome::Ok, output: Some(seen) });
    }
    let (violated, held_max) = segmented(&events);
    assert!(!violated);
    assert_eq!(held_max, 2);
}

/// A segment cut with operations in flight treats them as given up on: it never calls
/// a linearizable history a violation, with or without operations given up on, and
/// still finds most violations (only the results of operations in flight at a cut go
/// unchecked).
#[test]
fn segments_cut_where_they_stand_never_accuse_a_linearizable_history() {
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let (mut found, mut violated) = (0, 0);
    for i in 0..3000 {
        let events = generate(&mut rng, i % 2 == 1);
        let want = whole(&events);
        for cap in [2, 3, 5, 8] {
            let (got, held_max) = segmented_cut(&events, cap);
            assert!(held_max <= cap, "held {held_max} past the cap {cap}");
            if !want {
                assert!(
                    !got,
                    "cut at {cap}: a linearizable history was called a violation: {events:?}"
                );
            }
            found += usize::from(got && want);
            violated += usize::from(want);
        }
    }
    assert!(violated > 400 && found * 2 > violated, "{found} of {violated} violations found");
}

/// A register that never pauses: every write overlaps the next, so no segment would
/// ever close at a quiescent point. Cut at the cap, it holds no more than the cap and
/// still catches a read of a value nobody wrote.
#[test]
fn a_register_that_never_pauses_is_held_to_the_cap() {
    let mut events = Vec::new();
    let mut prev: Option<u64> = None;
    for i in 0..20_000u64 {
        let p = i + 1;
        events.push(Ev::Invoke { p, f: Func::Write, value: Value::Int((i % 5) as i64) });
        if let Some(q) = prev {
            events.push(Ev::Complete { p: q, outcome: Outcome::Ok, output: None });
        }
        prev = Some(p);
    }
    let (violated, held_max) = segmented_cut(&events, 64);
    assert!(!violated);
    assert_eq!(held_max, 64);
    let n = events.len();
    events.insert(n - 1, Ev::Invoke { p: 99_999, f: Func::Read, value: Value::Nil });
    events.insert(n, Ev::Complete { p: 99_999, outcome: Outcome::Ok, output: Some(Value::Int(7)) });
    assert!(segmented_cut(&events, 64).0, "a read of 7, which nobody wrote, is caught");
}
