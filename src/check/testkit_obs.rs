//! Hand-made observations for checker unit tests.

use crate::engine::SimTime;
use crate::model::obs::*;
use crate::model::types::*;
use crate::scenario::{OpKind, RegionId};

/// A client write of `key` by operation `op` (attempt 1), committed in `region` at `at`.
pub fn commit(region: RegionId, key: Key, op: u64, at: SimTime) -> Obs {
    let entry = Entry {
        lsn: op,
        epoch: 1,
        op: EntryOp::Set,
        key,
        key2: NO_KEY,
        value: op as i64,
        commit_at: at,
        commit_local_us: at.as_us() as i64,
        op_key: op,
        attempt: 1,
        idem: false,
        effect: false,
    };
    Obs::Commit { region, entry, before: 0, after: [(key, op as i64), (NO_KEY, 0)] }
}

/// The client of operation `op` hears that its write of `key` succeeded.
pub fn acked(region: RegionId, kind: OpKind, key: Key, op: u64, delta: i64) -> Obs {
    Obs::Complete {
        op: OpId { slot: 0, gen: 0 },
        kind,
        region,
        ok: true,
        version: None,
        write: Some(WriteId::new(op, 1)),
        delta,
        invoked_at: SimTime::ZERO,
        attempts: 1,
        op_key: op,
        key,
        session: 0,
        read: None,
    }
}

/// A read of `key` by operation `op`, begun at `invoked_at`, that saw `seen` (and a
/// list's `elements`), served by `served_by`.
#[allow(clippy::too_many_arguments)]
pub fn read(
    region: RegionId,
    served_by: RegionId,
    kind: OpKind,
    key: Key,
    op: u64,
    invoked_at: SimTime,
    seen: Seen,
    elements: Option<Vec<u64>>,
) -> Obs {
    Obs::Complete {
        op: OpId { slot: 0, gen: 0 },
        kind,
        region,
        ok: true,
        version: None,
        write: None,
        delta: 0,
        invoked_at,
        attempts: 1,
        op_key: op,
        key,
        session: 0,
        read: Some(Box::new(ReadResult {
            served_by,
            value: 0,
            list: elements.map(Vec::into_boxed_slice),
            version: Version::default(),
            seen,
        })),
    }
}

/// What a store lists for a key after applying these writes (operation, when).
pub fn seen(writes: &[(u64, SimTime)]) -> Seen {
    let mut s = SeenRing::default();
    for &(op, at) in writes {
        s.push(WriteId::new(op, 1), at);
    }
    s.view()
}
