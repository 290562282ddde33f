//! The ledger of writes: what the checkers know of every client write, by its identity
//! (operation and attempt), never by where the model put it in a log. It follows which
//! stores hold each write from the world's journal, and remembers per key the recent
//! commits, acknowledgements and known losses that reads are judged against.
//!
//! `Checkers` keeps it up to date before any invariant sees an observation; invariants
//! only read it. It is bounded: a write is followed until every store holds it (then
//! it is safe: nothing but a store discarding it can lose it) or until none does (then
//! it is gone, and remembered for `GONE_WINDOW` so a late acknowledgement is seen);
//! per key only the last few commits and acknowledgements are kept. A write a conflict
//! dropped is remembered while it is among its key's last few such writes, or for as
//! long as an operation may still be acknowledged. So what it holds depends on the keys
//! and on the operations in flight, not on how long the run goes on.

use super::probe::Probe;
use crate::engine::{SimDuration, SimTime};
use crate::model::obs::Obs;
use crate::model::store::Journaled;
use crate::model::types::{Key, Seen, WriteId, NO_KEY};
use crate::scenario::{RegionId, Scenario, Topology};
use std::collections::{BTreeMap, VecDeque};

/// A store that does not hold a write.
const NOT_HELD: u64 = u64::MAX;
/// Commits remembered per key (their times tell whether a read could have missed them).
const KEY_COMMITS_MAX: usize = 32;
/// Acknowledged writes remembered per key, for judging later reads.
const KEY_ACKS_MAX: usize = 16;
/// Writes a conflict dropped that are remembered per key, however old: the checkers
/// ask about a key's last `KEY_ACKS_MAX` acknowledged writes and about a session's or
/// a permission's last write to it, and a write with this many later losses on its key
/// lies far back in the key's history (which keeps only its last `KEY_COMMITS_MAX`
/// commit times, so a read whose value lists a full ring of newer writes is judged
/// unknown, not stale, for missing it). Younger ones are all remembered (`lost_for`).
/// Before, every one was remembered for `GONE_WINDOW`: in aa-accounts-lww, over a
/// hundred a second for ten minutes.
const KEY_LOST_MAX: usize = 64;
/// Slack beyond the retry horizon for remembering a write a conflict dropped: its
/// acknowledgement may still be on its way (a request can sit on a slow link).
const LATE_ACK_SLACK: SimDuration = SimDuration::from_secs(60);
/// How long, and how many, writes that no store holds any more are remembered.
const GONE_WINDOW: SimDuration = SimDuration::from_secs(600);
const GONE_MAX: usize = 1 << 20;

/// A write some store holds and some does not.
#[derive(Clone, Debug)]
pub struct Track {
    /// Per store: `NOT_HELD`, or the store's count of journaled writes when it got this
    /// one (a snapshot of that store taken at a count at least this includes it).
    held: Box<[u64]>,
    holders: u32,
    /// When the write first committed (from its commit observation).
    pub commit_at: Option<SimTime>,
    /// The newest commit time among writes every store held when this one committed:
    /// how much committed history this write was ahead of what was safe.
    pub safe_before: SimTime,
}

/// An acknowledged write, as later reads of its key are judged against it.
#[derive(Clone, Copy, Debug)]
pub struct Ack {
    pub write: WriteId,
    pub at: SimTime,
    pub commit_at: Option<SimTime>,
}

/// Whether a read's value reflects a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reflects {
    Yes,
    No,
    /// The value reflects more writes than it lists, and the write may be among them.
    Unknown,
}

#[derive(Clone, Debug, Default)]
struct KeyLog {
    /// `(write, first commit time, the other key it touched)`, newest last.
    commits: VecDeque<(WriteId, SimTime, Key)>,
    acks: VecDeque<Ack>,
    /// Writes to the key a conflict dropped (in some region), newest last.
    lost: VecDeque<WriteId>,
}

impl KeyLog {
    fn commit(&self, w: WriteId) -> Option<&(WriteId, SimTime, Key)> {
        self.commits.iter().rev().find(|c| c.0 == w)
    }
}

fn push_bounded<T>(q: &mut VecDeque<T>, x: T, max: usize) {
    if q.len() == max {
        q.pop_front();
    }
    q.push_back(x);
}

pub struct Ledger {
    /// Single-writer designs journal their client writes; active-active ones do not
    /// (their losses are conflicts, judged by `no_lost_update`).
    pub follows_stores: bool,
    stores: usize,
    /// The next journal position to read.
    cursor: u64,
    /// Journal entries dropped before the ledger read them (a bound hit: holdings may
    /// be wrong, so checkers that rely on them say so).
    pub overrun: u64,
    /// Per store, how many `Held` entries it has journaled.
    counts: Vec<u64>,
    tracked: BTreeMap<WriteId, Track>,
    gone: BTreeMap<WriteId, SimTime>,
    gone_fifo: VecDeque<(SimTime, WriteId)>,
    /// Writes a conflict dropped (in some region), with how many of the two reasons to
    /// remember them still hold: younger than `lost_for` (`superseded_fifo`), and among
    /// their key's last `KEY_LOST_MAX` (`KeyLog::lost`).
    superseded: BTreeMap<WriteId, u8>,
    superseded_fifo: VecDeque<(SimTime, WriteId)>,
    /// How long a dropped write is remembered whatever its key: as long as an operation
    /// may be retried, and then some.
    lost_for: SimDuration,
    /// Per key touched so far.
    keys: BTreeMap<Key, KeyLog>,
    /// The newest commit time among writes every store has held.
    safe_commit_at: SimTime,
    /// Writes whose fate was decided (held everywhere, or nowhere) since the last
    /// sample: checkers waiting on a write's fate look at these, not at all they wait on.
    decided: Vec<WriteId>,
    /// Writes that reached every store, and the most followed at once.
    pub confirmed: u64,
    pub tracked_max: usize,
    /// The most writes remembered as lost (gone or superseded) at once.
    lost_max: usize,
}

impl Ledger {
    pub fn new(scenario: &Scenario) -> Self {
        let regions = scenario.regions.len();
        Ledger {
            follows_stores: scenario.design.topology != Topology::ActiveActiveWrites,
            stores: regions,
            cursor: 0,
            overrun: 0,
            counts: vec![0; regions],
            tracked: BTreeMap::new(),
            gone: BTreeMap::new(),
            gone_fifo: VecDeque::new(),
            superseded: BTreeMap::new(),
            superseded_fifo: VecDeque::new(),
            lost_for: {
                let w = &scenario.workload;
                (w.timeout + w.backoff_max).times(u64::from(w.attempts)) + LATE_ACK_SLACK
            },
            keys: BTreeMap::new(),
            safe_commit_at: SimTime::ZERO,
            decided: Vec::new(),
            confirmed: 0,
            tracked_max: 0,
            lost_max: 0,
        }
    }

    /// The most writes remembered as lost at once (`held_max` of the checkers).
    pub fn held_max(&self) -> usize {
        self.lost_max
    }

    /// Reads the world's journal from where it stopped.
    pub fn catch_up(&mut self, probe: &dyn Probe, at: SimTime) {
        let journal = probe.journal();
        if self.cursor < journal.start() {
            self.overrun += journal.start() - self.cursor;
            self.cursor = journal.start();
        }
        while let Some((region, entry)) = journal.get(self.cursor) {
            self.cursor += 1;
            match entry {
                Journaled::Held(w) => self.on_held(region, w),
                Journaled::Replaced { from, upto } => self.replaced(region, from, upto, at),
            }
        }
        self.expire_gone(at);
    }

    fn on_held(&mut self, r: RegionId, w: WriteId) {
        self.counts[r.idx()] += 1;
        let count = self.counts[r.idx()];
        self.gone.remove(&w);
        let n = self.stores;
        let safe = self.safe_commit_at;
        let t = self.tracked.entry(w).or_insert_with(|| Track {
            held: vec![NOT_HELD; n].into_boxed_slice(),
            holders: 0,
            commit_at: None,
            safe_before: safe,
        });
        if t.held[r.idx()] == NOT_HELD {
            t.held[r.idx()] = count;
            t.holders += 1;
        }
        if t.holders as usize == n {
            self.confirm(w);
        }
        self.tracked_max = self.tracked_max.max(self.tracked.len());
    }

    fn confirm(&mut self, w: WriteId) {
        if let Some(t) = self.tracked.remove(&w) {
            self.decided.push(w);
            self.confirmed += 1;
            if let Some(c) = t.commit_at {
                self.safe_commit_at = self.safe_commit_at.max(c);
            }
        }
    }

    /// Store `r` now holds exactly what `from` held after its first `upto` writes.
    fn replaced(&mut self, r: RegionId, from: RegionId, upto: u64, at: SimTime) {
        let count = self.counts[r.idx()];
        let (mut everywhere, mut nowhere) = (Vec::new(), Vec::new());
        for (w, t) in &mut self.tracked {
            let was = t.held[r.idx()] != NOT_HELD;
            let now = t.held[from.idx()] != NOT_HELD && t.held[from.idx()] <= upto;
            if now && !was {
                t.held[r.idx()] = count;
                t.holders += 1;
            } else if was && !now {
                t.held[r.idx()] = NOT_HELD;
                t.holders -= 1;
            }
            if t.holders as usize == self.stores {
                everywhere.push(*w);
            } else if t.holders == 0 {
                nowhere.push(*w);
            }
        }
        everywhere.into_iter().for_each(|w| self.confirm(w));
        for w in nowhere {
            self.tracked.remove(&w);
            self.decided.push(w);
            if self.gone.len() < GONE_MAX {
                self.gone.insert(w, at);
                self.gone_fifo.push_back((at, w));
            }
            self.lost_max = self.lost_max.max(self.gone.len() + self.superseded.len());
        }
    }

    fn expire_gone(&mut self, at: SimTime) {
        while self.gone_fifo.front().is_some_and(|(t, _)| at.since(*t) > GONE_WINDOW) {
            let (t, w) = self.gone_fifo.pop_front().expect("non-empty");
            if self.gone.get(&w) == Some(&t) {
                self.gone.remove(&w);
            }
        }
        while self.superseded_fifo.front().is_some_and(|(t, _)| at.since(*t) > self.lost_for) {
            let (_, w) = self.superseded_fifo.pop_front().expect("non-empty");
            self.forget_superseded(w);
        }
    }

    /// A conflict dropped `w`, a write to `key` (in some region; the first time counts).
    fn superseded(&mut self, at: SimTime, key: Key, w: WriteId) {
        if self.superseded.len() >= GONE_MAX || self.superseded.contains_key(&w) {
            return;
        }
        let lost = &mut self.keys.entry(key).or_default().lost;
        let evicted = (lost.len() == KEY_LOST_MAX).then(|| lost.pop_front()).flatten();
        lost.push_back(w);
        if let Some(old) = evicted {
            self.forget_superseded(old);
        }
        self.superseded.insert(w, 2);
        self.superseded_fifo.push_back((at, w));
        self.lost_max = self.lost_max.max(self.gone.len() + self.superseded.len());
    }

    /// One reason to remember a dropped write no longer holds.
    fn forget_superseded(&mut self, w: WriteId) {
        if let Some(n) = self.superseded.get_mut(&w) {
            *n -= 1;
            if *n == 0 {
                self.superseded.remove(&w);
            }
        }
    }

    /// Records commits, acknowledgements and known losses by key.
    pub fn observe(&mut self, at: SimTime, obs: &Obs) {
        match obs {
            Obs::Commit { entry, .. } if !entry.write().is_none() => {
                // When its writer took it, which no store's copy can precede (under
                // consensus a commit is observed later, once a majority holds it).
                let at = entry.commit_at;
                let w = entry.write();
                for (k, other) in [(entry.key, entry.key2), (entry.key2, entry.key)] {
                    if k == NO_KEY {
                        continue;
                    }
                    let log = self.keys.entry(k).or_default();
                    if log.commit(w).is_none() {
                        push_bounded(&mut log.commits, (w, at, other), KEY_COMMITS_MAX);
                    }
                }
                if let Some(t) = self.tracked.get_mut(&w) {
                    t.commit_at.get_or_insert(at);
                }
            }
            Obs::Complete { write: Some(w), key, .. } => {
                let log = self.keys.get(key);
                let commit = log.and_then(|l| l.commit(*w));
                let (commit_at, other) = commit.map_or((None, NO_KEY), |c| (Some(c.1), c.2));
                for k in [*key, other] {
                    if k != NO_KEY {
                        let ack = Ack { write: *w, at, commit_at };
                        push_bounded(&mut self.keys.entry(k).or_default().acks, ack, KEY_ACKS_MAX);
                    }
                }
            }
            Obs::Superseded { key, loser, .. } => {
                self.expire_gone(at);
                self.superseded(at, *key, *loser);
            }
            _ => {}
        }
    }

    /// The writes whose fate was decided since the last sample (their fate now may
    /// have moved on again: ask `fate`).
    pub fn decided(&self) -> &[WriteId] {
        &self.decided
    }

    /// Called once every checker has sampled.
    pub fn clear_decided(&mut self) {
        self.decided.clear();
    }

    /// Whether store `r` holds `w`. A write the ledger no longer follows is held
    /// everywhere, unless it left every store.
    pub fn held(&self, r: RegionId, w: WriteId) -> bool {
        match self.tracked.get(&w) {
            Some(t) => t.held[r.idx()] != NOT_HELD,
            None => !self.gone.contains_key(&w),
        }
    }

    /// The write is followed: some store holds it and some does not.
    pub fn track(&self, w: WriteId) -> Option<&Track> {
        self.tracked.get(&w)
    }

    /// The write left every store (within `GONE_WINDOW`), and when.
    pub fn gone_at(&self, w: WriteId) -> Option<SimTime> {
        self.gone.get(&w).copied()
    }

    /// The write's first commit time, while its key remembers it.
    pub fn commit_at(&self, key: Key, w: WriteId) -> Option<SimTime> {
        self.keys.get(&key).and_then(|l| l.commit(w)).map(|c| c.1)
    }

    /// Whether a read's `seen` reflects `w`, committed at `commit_at`.
    pub fn reflects(seen: &Seen, w: WriteId, commit_at: Option<SimTime>) -> Reflects {
        if seen.contains(w) {
            return Reflects::Yes;
        }
        if !seen.is_full() {
            return Reflects::No;
        }
        // Had the store applied `w`, it would have done so after `w` committed, and so
        // after the oldest listed write: `w` would be listed.
        match (seen.oldest_applied_at(), commit_at) {
            (Some(oldest), Some(c)) if oldest < c => Reflects::No,
            _ => Reflects::Unknown,
        }
    }

    /// The oldest write to `key` acknowledged before `before` that a read which saw
    /// `seen` does not reflect, leaving out writes known lost (a read is not stale for
    /// missing a write no store keeps, or one a conflict dropped: those are
    /// `acked_durability`'s and `no_lost_update`'s findings). The write's fate may still
    /// be open: the caller defers its verdict until it is known.
    pub fn missed(&self, key: Key, seen: &Seen, before: SimTime) -> Option<Ack> {
        let log = self.keys.get(&key)?;
        // Cheapest tests first: most acknowledged writes are reflected.
        log.acks.iter().copied().find(|a| {
            a.at < before
                && Ledger::reflects(seen, a.write, a.commit_at) == Reflects::No
                && self.fate(a.write) != Fate::Lost
        })
    }
}

/// What became of a write, as far as the ledger can tell now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Every store has held it (or the ledger does not follow stores in this design).
    Safe,
    /// No store holds it any more.
    Lost,
    /// Some store holds it and some does not: it may yet be kept or lost.
    Open,
}

impl Ledger {
    /// A write a conflict dropped counts as lost too (it is `no_lost_update`'s finding).
    pub fn fate(&self, w: WriteId) -> Fate {
        if self.gone.contains_key(&w) || self.superseded.contains_key(&w) {
            Fate::Lost
        } else if self.tracked.contains_key(&w) {
            Fate::Open
        } else {
            Fate::Safe
        }
    }
}

/// Items waiting for a write's fate: a read that missed a write is stale only if the
/// write survives (one that is lost is `acked_durability`'s finding, not a stale read),
/// and while replication is under way nobody knows yet. Bounded: past `DEFERRED_MAX`
/// waiting items, new ones are counted as dropped rather than kept.
pub struct Deferred<T> {
    by_write: BTreeMap<WriteId, Vec<T>>,
    len: usize,
    pub dropped: u64,
}

/// Items kept waiting at most, over all writes.
pub const DEFERRED_MAX: usize = 100_000;

impl<T> Default for Deferred<T> {
    fn default() -> Self {
        Deferred { by_write: BTreeMap::new(), len: 0, dropped: 0 }
    }
}

impl<T> Deferred<T> {
    pub fn push(&mut self, w: WriteId, item: T) {
        if self.len >= DEFERRED_MAX {
            self.dropped += 1;
            return;
        }
        self.len += 1;
        self.by_write.entry(w).or_default().push(item);
    }

    /// The items whose write turned out safe since the last sample; those whose write
    /// was lost are dropped. Only the writes the ledger decided are looked at.
    pub fn settle(&mut self, ledger: &Ledger) -> Vec<T> {
        let mut out = Vec::new();
        if self.by_write.is_empty() {
            return out;
        }
        for w in ledger.decided() {
            let fate = ledger.fate(*w);
            if fate == Fate::Open {
                continue;
            }
            let Some(items) = self.by_write.remove(w) else { continue };
            self.len -= items.len();
            if fate == Fate::Safe {
                out.extend(items);
            }
        }
        out
    }

    /// At the end: the items whose write the final writer holds.
    pub fn finish(&mut self, ledger: &Ledger, writer: RegionId) -> Vec<T> {
        let mut out = Vec::new();
        for (w, items) in std::mem::take(&mut self.by_write) {
            let keep = match ledger.fate(w) {
                Fate::Safe => true,
                Fate::Lost => false,
                Fate::Open => ledger.held(writer, w),
            };
            if keep {
                out.extend(items);
            }
        }
        self.len = 0;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write a conflict dropped is known lost while it is among its key's last
    /// `KEY_LOST_MAX` such writes, or younger than the retry horizon; past both it is
    /// forgotten, so a busy key holds a fixed number and the ledger does not grow with
    /// the run.
    #[test]
    fn writes_a_conflict_dropped_are_remembered_per_key_and_within_the_horizon() {
        let s = crate::scenario::load("scenarios/aa-accounts-lww.json").expect("bundled");
        let mut ledger = Ledger::new(&s);
        let (busy, quiet) = (1, 2);
        let drop = |ledger: &mut Ledger, ms: u64, key: Key, op: u64| {
            let (region, winner) = (RegionId(0), WriteId::new(1 << 40, 1));
            let obs = Obs::Superseded { region, key, loser: WriteId::new(op, 1), winner };
            ledger.observe(SimTime(ms * 1_000), &obs);
        };
        drop(&mut ledger, 0, quiet, 1);
        for op in 0..1_000 {
            drop(&mut ledger, 1_000 * op, busy, 100 + op);
        }
        let lost = |ledger: &Ledger, op: u64| ledger.fate(WriteId::new(op, 1)) == Fate::Lost;
        // The quiet key's one loss is among its last: kept, however old.
        assert!(lost(&ledger, 1));
        // The busy key's oldest are past its last 64 and the horizon: forgotten.
        assert!(!lost(&ledger, 100));
        let horizon_s = ledger.lost_for.as_us() / 1_000_000;
        assert!(horizon_s > 64 && horizon_s < 900, "{horizon_s}");
        // Within the horizon, all are kept, even past the key's last 64.
        assert!(lost(&ledger, 100 + 999 - horizon_s + 1));
        assert!((100 + 999 - 64..1_100).all(|op| lost(&ledger, op)));
        // The quiet key's loss and the busy key's last horizon's worth (one a second).
        let held = ledger.superseded.len();
        assert!(held > horizon_s as usize && held <= 2 + horizon_s as usize, "{held}");
    }
}
