//! Unit tests of the store's log shipping and leases.
use super::*;

const A: RegionId = RegionId(0);
const B: RegionId = RegionId(1);
const C: RegionId = RegionId(2);

fn design(extra: &str) -> Design {
    let text = format!(
        r#"{{"version":1,"name":"t","duration_s":10,
            "regions":[{{"name":"a","role":"primary"}},{{"name":"b","role":"standby"}},
                       {{"name":"c","role":"standby"}}],
            "workload":{{"rate_per_s":10}}{extra}}}"#
    );
    crate::scenario::from_str("t.json", &text).expect("a valid scenario").design
}

fn entry(lsn: u64, epoch: u32) -> Entry {
    Entry {
        lsn,
        epoch,
        op: EntryOp::Set,
        key: 0,
        key2: NO_KEY,
        value: lsn as i64,
        commit_at: SimTime(lsn),
        commit_local_us: lsn as i64,
        op_key: 0,
        attempt: 0,
        idem: false,
        effect: false,
    }
}

fn append(
    store: &mut Store,
    design: &Design,
    from: RegionId,
    epoch: u32,
    prev: u64,
    es: &[Entry],
) -> Out {
    let mut out = Out::default();
    let end = es.last().map_or(prev, |e| e.lsn);
    let prev_epoch = store.epoch_at(prev);
    store.on_append(
        SimTime::ZERO,
        design,
        from,
        epoch,
        prev,
        prev_epoch,
        es,
        0,
        end,
        0,
        0,
        &mut out,
    );
    out
}

fn asked_for_snapshot(out: &Out) -> bool {
    out.sends.iter().any(|(_, _, m)| {
        matches!(m, Msg::Repl(ReplMsg::Log(LogMsg::AppendAck { need_snapshot: true, .. })))
    })
}

/// A standby promoted under an epoch it never wrote in, then told to follow a leader
/// whose log goes on in the old epoch, takes that log as it is: the unused epoch
/// boundary goes, so the next append matches instead of asking for a snapshot.
#[test]
fn an_epoch_no_entry_reached_does_not_split_the_lineage() {
    let d = design("");
    let mut b = Store::new(B, 3, A, 4);
    let old: Vec<Entry> = (1..=16).map(|l| entry(l, 1)).collect();
    assert!(!asked_for_snapshot(&append(&mut b, &d, A, 1, 0, &old)));
    let mut out = Out::default();
    b.on_config(SimTime::ZERO, B, 2, &mut out);
    assert!(b.primary);
    b.on_config(SimTime::ZERO, C, 3, &mut out);
    assert!(!b.primary);
    // C's log carries on from A's (epoch 1) at lsn 17, then C's own epoch 3.
    let out = append(&mut b, &d, C, 3, 16, &[entry(17, 1)]);
    assert!(!asked_for_snapshot(&out));
    assert_eq!(b.epoch_at(17), 1, "lsn 17 was written in epoch 1");
    let mut out = Out::default();
    b.on_append(SimTime::ZERO, &d, C, 3, 17, 1, &[entry(18, 3)], 0, 18, 0, 0, &mut out);
    assert!(!asked_for_snapshot(&out), "the lineages agree up to 17");
    assert_eq!(b.end_lsn, 18);
    assert_eq!(b.epochs, vec![(1, 1), (3, 18)]);
}

/// A standby promoted while still replaying its log does not ship a snapshot of a
/// state behind its log end (a follower would discard entries the new primary
/// holds); it ships one at its log end once it has caught up.
#[test]
fn a_primary_ships_snapshots_only_of_its_whole_log() {
    let d = design(r#","design":{"replication":{"mode":"async","apply_rate_per_s":100}}"#);
    let mut b = Store::new(B, 3, A, 4);
    let old: Vec<Entry> = (1..=10).map(|l| entry(l, 1)).collect();
    append(&mut b, &d, A, 1, 0, &old);
    assert_eq!((b.applied_lsn, b.end_lsn), (0, 10), "nothing applied yet");
    let mut out = Out::default();
    b.on_config(SimTime::ZERO, B, 2, &mut out);
    let ack = AckPositions { end_lsn: 0, synced_lsn: 0, gap: false, need_snapshot: true };
    b.on_append_ack(SimTime::ZERO, &d, A, 2, ack, &mut out);
    let snapshots = |out: &Out| -> Vec<u64> {
        out.sends
            .iter()
            .filter_map(|(_, to, m)| match m {
                Msg::Repl(ReplMsg::Log(LogMsg::Snapshot(s))) if *to == A => Some(s.lsn),
                _ => None,
            })
            .collect()
    };
    let mut out = Out::default();
    b.flush(0, true, &mut out);
    assert_eq!(snapshots(&out), Vec::<u64>::new(), "still replaying: no snapshot yet");
    let mut now = SimTime::ZERO;
    while b.applied_lsn < b.end_lsn {
        now += APPLY_TICK;
        b.apply_tick(now, &d, &mut Out::default());
    }
    let mut out = Out::default();
    b.flush(0, true, &mut out);
    assert_eq!(snapshots(&out), vec![10], "caught up: a snapshot at the log end");
}

/// A fenced primary asks for its lease once `renew_ms` has passed on its own clock
/// since it last asked, not on every heartbeat; a newly promoted one asks at once.
#[test]
fn a_primary_asks_for_its_lease_every_renew_interval() {
    let d = design(
        r#","design":{"fencing":true,"lease":{"duration_ms":2000,"renew_ms":500},
            "promotion":{"heartbeat_ms":100}}"#,
    );
    let mut a = Store::new(A, 3, A, 4);
    // Offered a chance every 100 ms heartbeat for 2 s, on a clock 3 s ahead.
    let asked: Vec<i64> = (0..20)
        .map(|i| 3_000_000 + i * 100_000)
        .filter(|local_us| a.lease_request(&d, *local_us).is_some())
        .collect();
    assert_eq!(asked, vec![3_000_000, 3_500_000, 4_000_000, 4_500_000]);
    let mut b = Store::new(B, 3, A, 4);
    b.on_config(SimTime::ZERO, B, 2, &mut Out::default());
    assert_eq!(b.lease_request(&d, 7_000_000), Some(7_000_000), "promoted: asks at once");
    assert_eq!(b.lease_request(&d, 7_100_000), None);
    assert_eq!(b.lease_request(&d, 7_499_999), None);
    assert_eq!(b.lease_request(&d, 7_500_000), Some(7_500_000));
}
