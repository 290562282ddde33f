//! The search: Wing and Gong's backtracking with Lowe's just-in-time linearization and
//! memoization, as in Lowe's "Testing for linearizability" and Porcupine.
//!
//! Invocations and completions form a doubly linked list in real-time order. Walking it,
//! an invocation may be linearized now if the model allows its step; it is then lifted
//! out of the list with its completion, and the walk restarts from the head. Reaching a
//! completion whose operation is not linearized means the choices so far were wrong:
//! undo the latest one and try the next invocation after it. A configuration (the set of
//! linearized operations, the model state) seen before is never explored again. The
//! history is linearizable once no completion is left; operations whose outcome is
//! unknown have no completion, so they may be linearized at any point, or never.
//!
//! Two reductions keep it small, both sound: a read-only step that fits the state is
//! never undone to try an alternative (it could move no earlier and no later with any
//! gain), and operations of unknown outcome with identical steps are linearized in one
//! order only. For minimizing counterexamples, an operation can also be optional: it
//! happened within its interval, or never.
//!
//! A search can pause after a number of steps and resume, so independent parts take
//! turns. Every loop is bounded by the `Budget`; hitting it gives `Limit`, never a hang
//! or an unbounded allocation.

use super::hash::mix;
use super::models::{Compiled, Step};
use std::collections::BTreeMap;
use std::time::Instant;

/// How often (in steps) the wall clock is read.
const CLOCK_EVERY_STEPS: u64 = 4096;

const NIL: u32 = u32::MAX;
/// Marks an entry of the linearization stack that was forced, not chosen: undoing it
/// leaves no alternative to try at that point.
const FORCED: u32 = 1 << 31;
/// Marks a node that is an operation's call (not its completion).
const CALL: u32 = 1 << 31;

/// What a search may still spend.
#[derive(Clone, Debug)]
pub(super) struct Budget {
    pub steps_left: u64,
    pub deadline: Option<Instant>,
    pub memo_entries_max: usize,
    pub memo_bytes_max: usize,
    pub memo_keep_bytes_max: usize,
    /// Steps taken, for the report.
    pub steps_taken: u64,
    /// The largest memo table any search built.
    pub memo_entries_peak: usize,
}

/// Which limit stopped a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LimitHit {
    Steps,
    Deadline,
    MemoEntries,
    MemoBytes,
}

pub(super) enum Outcome {
    Linearizable,
    /// `furthest` is the operation (index into the items) whose completion no branch
    /// of the search got past; `prefix` is the linearization (indices into the items)
    /// of the branch that first reached it.
    NotLinearizable {
        furthest: usize,
        prefix: Vec<usize>,
    },
    Limit(LimitHit),
}

#[inline]
fn hash_state(state: &[u64]) -> u64 {
    let mut h = 0x243f_6a88_85a3_08d3u64;
    for &w in state {
        h = mix(h ^ w);
    }
    h
}

/// Memo entries per arena chunk: chunks never move, so growing copies nothing.
const MEMO_CHUNK_ENTRIES: usize = 1 << 14;

/// Configurations seen: (linearized set, state) packed into an arena of fixed-size
/// chunks, indexed by an open-addressing table of (hash, entry index + 1) pairs, 0
/// meaning empty. Past `keep_bytes_max` it stops remembering: a configuration seen
/// again is explored again, so the search is slower but its verdict is the same.
struct Memo {
    slots: Vec<(u64, u32)>,
    chunks: Vec<Vec<u64>>,
    stride: usize,
    len: usize,
    keep_bytes_max: usize,
    full: bool,
}

impl Memo {
    fn new(stride: usize) -> Memo {
        Memo {
            slots: vec![(0, 0); 1024],
            chunks: Vec::new(),
            stride,
            len: 0,
            keep_bytes_max: usize::MAX,
            full: false,
        }
    }

    /// Whether `more` bytes on top of what is held stay within `keep_bytes_max`; once
    /// they would not, nothing more is remembered.
    fn room(&mut self, more: usize) -> bool {
        if self.bytes().saturating_add(more) > self.keep_bytes_max {
            self.full = true;
        }
        !self.full
    }

    fn bytes(&self) -> usize {
        self.slots.len() * 16 + self.chunks.iter().map(|c| c.capacity() * 8).sum::<usize>()
    }

    #[inline]
    fn home(hash: u64, mask: usize) -> usize {
        (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 20) as usize & mask
    }

    #[inline]
    fn entry(&self, e: usize) -> &[u64] {
        let at = (e % MEMO_CHUNK_ENTRIES) * self.stride;
        &self.chunks[e / MEMO_CHUNK_ENTRIES][at..at + self.stride]
    }

    /// Inserts the configuration unless present; true if it was new.
    #[inline]
    fn insert(&mut self, hash: u64, bits: &[u64], state: &[u64]) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = Memo::home(hash, mask);
        loop {
            let (h, e) = self.slots[i];
            if e == 0 {
                break;
            }
            if h == hash {
                let stored = self.entry(e as usize - 1);
                if stored[..bits.len()] == *bits && stored[bits.len()..] == *state {
                    return false;
                }
            }
            i = (i + 1) & mask;
        }
        // The table grows (old and new held at once) when this entry fills it past half.
        let grows = (self.len + 1) * 2 > self.slots.len();
        if self.full || (grows && !self.room(self.slots.len() * 2 * 16)) {
            return true;
        }
        if self.len.is_multiple_of(MEMO_CHUNK_ENTRIES) {
            // The first chunk starts small (most searches are): it grows like a Vec.
            let entries = if self.chunks.is_empty() { 64 } else { MEMO_CHUNK_ENTRIES };
            if !self.room(entries * self.stride * 8) {
                return true;
            }
            self.chunks.push(Vec::with_capacity(entries * self.stride));
        }
        let chunk = self.chunks.last_mut().expect("a chunk was just ensured");
        chunk.extend_from_slice(bits);
        chunk.extend_from_slice(state);
        self.len += 1;
        self.slots[i] = (hash, self.len as u32);
        if self.len * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    fn grow(&mut self) {
        let n = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, vec![(0, 0); n]);
        let mask = n - 1;
        for (h, e) in old {
            if e == 0 {
                continue;
            }
            let mut i = Memo::home(h, mask);
            while self.slots[i].1 != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = (h, e);
        }
    }
}

/// How a search treats an operation's completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// As recorded: it took effect between invocation and completion.
    Definite,
    /// It took effect between invocation and completion, or never: how a
    /// counterexample is weakened while it is minimized.
    Optional,
    /// It may take effect at any point after its invocation, or never (an unknown
    /// outcome; also what operations without a completion always get).
    Unknown,
}

/// One operation of a search: an index into `Compiled::ops` and how to treat it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Item {
    pub op: u32,
    pub mode: Mode,
    /// Invoked before and completed after everything else: its timing is free. Used to
    /// ask whether an operation's result is possible at all.
    pub untimed: bool,
}

impl Item {
    pub fn new(op: u32, mode: Mode) -> Item {
        Item { op, mode, untimed: false }
    }
}

/// One event in the list.
#[derive(Clone, Copy)]
struct Node {
    next: u32,
    prev: u32,
    /// The operation (index into the items), with `CALL` set for its call.
    op: u32,
}

/// What the walk needs of one operation, together for locality.
#[derive(Clone, Copy)]
struct OpInfo {
    step: Step,
    /// Index into `Compiled::ops`.
    op: u32,
    call_node: u32,
    /// `NIL` if the outcome is unknown.
    ret_node: u32,
    /// The latest earlier-invoked operation of unknown outcome with the same step
    /// (`NIL` if none). Such twins are interchangeable, so a twin may only be
    /// linearized once its predecessor is: one order instead of all subsets.
    twin_prev: u32,
    /// Reaching its completion unlinearized means it never happened.
    optional: bool,
    read_only: bool,
}

/// The event list: nodes `0..n` are events, node `n` is the head sentinel.
struct List {
    nodes: Vec<Node>,
    ops: Vec<OpInfo>,
}

impl List {
    fn new(c: &Compiled, items: &[Item]) -> List {
        // Event keys: history event index + 1, so that an untimed call sorts first.
        let mut events: Vec<(u64, u32, bool)> = Vec::with_capacity(items.len() * 2);
        for (k, it) in items.iter().enumerate() {
            let op = &c.ops[it.op as usize];
            let call = if it.untimed { 0 } else { op.call as u64 + 1 };
            events.push((call, k as u32, true));
            if let (Some(r), false) = (op.ret, it.mode == Mode::Unknown) {
                let ret = if it.untimed { u64::MAX } else { r as u64 + 1 };
                events.push((ret, k as u32, false));
            }
        }
        events.sort_unstable_by_key(|e| e.0);
        let n = events.len();
        assert!(n < FORCED as usize, "event nodes fit 31 bits");
        // Node i links to i + 1, the last event to nothing, the head to node 0.
        let mut nodes: Vec<Node> = (0..n)
            .map(|i| Node {
                next: if i + 1 < n { i as u32 + 1 } else { NIL },
                prev: if i == 0 { n as u32 } else { i as u32 - 1 },
                op: events[i].1 | if events[i].2 { CALL } else { 0 },
            })
            .collect();
        nodes.push(Node { next: if n > 0 { 0 } else { NIL }, prev: NIL, op: NIL });
        let mut ops: Vec<OpInfo> = items
            .iter()
            .map(|it| {
                let step = c.ops[it.op as usize].step;
                OpInfo {
                    step,
                    op: it.op,
                    call_node: NIL,
                    ret_node: NIL,
                    twin_prev: NIL,
                    optional: it.mode == Mode::Optional,
                    read_only: step.is_read_only(),
                }
            })
            .collect();
        for (i, e) in events.iter().enumerate() {
            let k = e.1 as usize;
            if e.2 {
                ops[k].call_node = i as u32;
            } else {
                ops[k].ret_node = i as u32;
            }
        }
        let mut last_of_step: BTreeMap<Step, u32> = BTreeMap::new();
        for e in &events {
            let k = e.1 as usize;
            if e.2 && ops[k].ret_node == NIL {
                if let Some(p) = last_of_step.insert(ops[k].step, k as u32) {
                    ops[k].twin_prev = p;
                }
            }
        }
        List { nodes, ops }
    }

    fn head(&self) -> u32 {
        self.nodes.len() as u32 - 1
    }

    #[inline]
    fn next(&self, x: u32) -> u32 {
        self.nodes[x as usize].next
    }

    /// The operation of node `x`, and whether `x` is its call.
    #[inline]
    fn event(&self, x: u32) -> (usize, bool) {
        let op = self.nodes[x as usize].op;
        ((op & !CALL) as usize, op & CALL != 0)
    }

    /// Whether op `k`'s completion must be reached with it linearized.
    #[inline]
    fn required(&self, k: usize) -> bool {
        self.ops[k].ret_node != NIL && !self.ops[k].optional
    }

    #[inline]
    fn remove(&mut self, x: u32) {
        let Node { prev: p, next: n, .. } = self.nodes[x as usize];
        self.nodes[p as usize].next = n;
        if n != NIL {
            self.nodes[n as usize].prev = p;
        }
    }

    /// Puts back a node removed last (dancing links: its own pointers are intact).
    #[inline]
    fn restore(&mut self, x: u32) {
        let Node { prev: p, next: n, .. } = self.nodes[x as usize];
        self.nodes[p as usize].next = x;
        if n != NIL {
            self.nodes[n as usize].prev = x;
        }
    }

    fn lift(&mut self, k: usize) {
        self.remove(self.ops[k].call_node);
        if self.ops[k].ret_node != NIL {
            self.remove(self.ops[k].ret_node);
        }
    }

    fn unlift(&mut self, k: usize) {
        if self.ops[k].ret_node != NIL {
            self.restore(self.ops[k].ret_node);
        }
        self.restore(self.ops[k].call_node);
    }
}

/// A search in progress, which can be paused and resumed: independent parts of a
/// history take turns, so an easy failing part is found before a hard one finishes.
pub(super) struct Search {
    list: List,
    head: u32,
    zobrist: Vec<u64>,
    memo: Memo,
    bits: Vec<u64>,
    bits_hash: u64,
    state: Vec<u64>,
    scratch: Vec<u64>,
    /// The linearization so far (nodes, `FORCED`-marked) and the states before each.
    calls: Vec<u32>,
    undo: Vec<u64>,
    returns_left: usize,
    node: u32,
    want_prefix: bool,
    furthest: Option<(u32, usize)>,
    prefix: Vec<usize>,
    /// Steps taken so far, over every run.
    pub steps: u64,
}

impl Search {
    /// A search for a linearization of `items`. `want_prefix` records the furthest
    /// point reached and its linearization, which costs a little time.
    pub fn new(c: &Compiled, items: &[Item], want_prefix: bool) -> Search {
        let m = items.len();
        let words = m.div_ceil(64).max(1);
        let list = List::new(c, items);
        let head = list.head();
        let returns_left = (0..m).filter(|&k| list.required(k)).count();
        let node = list.next(head);
        Search {
            zobrist: (0..m as u64).map(|k| mix(k.wrapping_add(0x5851_f42d_4c95_7f2d))).collect(),
            memo: Memo::new(words + c.width()),
            bits: vec![0u64; words],
            bits_hash: 0,
            state: c.init.clone(),
            scratch: c.init.clone(),
            calls: Vec::new(),
            undo: Vec::new(),
            returns_left,
            node,
            head,
            list,
            want_prefix,
            furthest: None,
            prefix: Vec::new(),
            steps: 0,
        }
    }

    /// Memory held, for the byte cap.
    pub fn bytes(&self) -> usize {
        self.memo.bytes()
            + self.undo.capacity() * 8
            + self.list.nodes.len() * 12
            + self.list.ops.len() * 48
    }

    /// Runs for at most `quantum` steps; `None` if it paused undecided. `other_bytes`
    /// is what other paused searches hold, counted against the byte cap.
    pub fn run(
        &mut self,
        c: &mut Compiled,
        budget: &mut Budget,
        quantum: u64,
        other_bytes: usize,
    ) -> Option<Outcome> {
        self.memo.keep_bytes_max = budget.memo_keep_bytes_max;
        let start = self.steps;
        let stop = start.saturating_add(quantum.min(budget.steps_left));
        let out = self.walk(c, budget, stop, other_bytes);
        let taken = self.steps - start;
        budget.steps_taken += taken;
        budget.steps_left = budget.steps_left.saturating_sub(taken);
        budget.memo_entries_peak = budget.memo_entries_peak.max(self.memo.len);
        match out {
            None if budget.steps_left == 0 => Some(Outcome::Limit(LimitHit::Steps)),
            out => out,
        }
    }

    fn walk(
        &mut self,
        c: &mut Compiled,
        budget: &Budget,
        stop: u64,
        other_bytes: usize,
    ) -> Option<Outcome> {
        loop {
            if self.returns_left == 0 {
                return Some(Outcome::Linearizable);
            }
            if self.steps >= stop {
                return None;
            }
            self.steps += 1;
            if self.memo.len >= budget.memo_entries_max {
                return Some(Outcome::Limit(LimitHit::MemoEntries));
            }
            if self.steps.is_multiple_of(CLOCK_EVERY_STEPS) {
                let bytes = self.bytes() + c.extra_bytes() + other_bytes;
                if let Some(hit) = over_budget(budget, bytes) {
                    return Some(Outcome::Limit(hit));
                }
            }
            let node = self.node;
            debug_assert!(node != NIL, "a completion is left, so the walk cannot end");
            let (k, is_call) = self.list.event(node);
            let done = if is_call {
                self.try_call(c, node, k);
                None
            } else if self.list.ops[k].optional {
                self.retire(node, k)
            } else {
                // The completion of an operation not linearized: this branch is wrong.
                if self.want_prefix && self.furthest.is_none_or(|(at, _)| node > at) {
                    self.furthest = Some((node, k));
                    self.prefix.clear();
                    let list = &self.list;
                    let ops = self.calls.iter().map(|&n| list.event(n & !FORCED).0);
                    self.prefix.extend(ops);
                }
                self.backtrack(k)
            };
            if done.is_some() {
                return done;
            }
        }
    }

    #[inline]
    fn has(&self, k: usize) -> bool {
        self.bits[k / 64] & (1 << (k % 64)) != 0
    }

    /// Linearizes op `k` at its call `node` if the model and the memo allow; moves on.
    #[inline]
    fn try_call(&mut self, c: &mut Compiled, node: u32, k: usize) {
        let info = self.list.ops[k];
        let twin = info.twin_prev;
        if twin != NIL && !self.has(twin as usize) {
            self.node = self.list.next(node);
            return;
        }
        self.scratch.copy_from_slice(&self.state);
        if c.apply(info.step, info.op as usize, &mut self.scratch) {
            self.bits[k / 64] |= 1 << (k % 64);
            let h = self.bits_hash ^ self.zobrist[k];
            if self.memo.insert(h ^ hash_state(&self.scratch), &self.bits, &self.scratch) {
                self.bits_hash = h;
                // A read-only step that fits the state now is as good here as anywhere
                // later (moving it earlier breaks no real-time order, and it changes
                // nothing), so no alternative to it need be tried.
                self.calls.push(if info.read_only { node | FORCED } else { node });
                self.undo.extend_from_slice(&self.state);
                std::mem::swap(&mut self.state, &mut self.scratch);
                self.list.lift(k);
                if self.list.required(k) {
                    self.returns_left -= 1;
                }
                self.node = self.list.next(self.head);
                return;
            }
            self.bits[k / 64] &= !(1 << (k % 64));
        }
        self.node = self.list.next(node);
    }

    /// An optional operation not linearized by its completion never happened: retire
    /// it as if it had been linearized with no effect.
    fn retire(&mut self, node: u32, k: usize) -> Option<Outcome> {
        self.bits[k / 64] |= 1 << (k % 64);
        let h = self.bits_hash ^ self.zobrist[k];
        if self.memo.insert(h ^ hash_state(&self.state), &self.bits, &self.state) {
            self.bits_hash = h;
            self.calls.push(node | FORCED);
            self.undo.extend_from_slice(&self.state);
            self.list.lift(k);
            self.node = self.list.next(self.head);
            return None;
        }
        self.bits[k / 64] &= !(1 << (k % 64));
        self.backtrack(k)
    }

    /// Undoes the latest choice and moves to the node to try next; when no choice is
    /// left, the history is not linearizable (`k`: the op whose completion failed).
    /// Forced entries (a read-only step, an optional operation retired at its
    /// completion) were not choices, so undoing one goes on to the choice before it.
    fn backtrack(&mut self, k: usize) -> Option<Outcome> {
        let w = self.state.len();
        loop {
            let Some(entry) = self.calls.pop() else {
                let furthest = self.furthest.map_or(k, |f| f.1);
                let prefix = std::mem::take(&mut self.prefix);
                return Some(Outcome::NotLinearizable { furthest, prefix });
            };
            let top = entry & !FORCED;
            let j = self.list.event(top).0;
            self.state.copy_from_slice(&self.undo[self.undo.len() - w..]);
            self.undo.truncate(self.undo.len() - w);
            self.bits[j / 64] &= !(1 << (j % 64));
            self.bits_hash ^= self.zobrist[j];
            self.list.unlift(j);
            if self.list.required(j) {
                self.returns_left += 1;
            }
            if entry & FORCED == 0 {
                self.node = self.list.next(top);
                return None;
            }
        }
    }
}

/// Runs a whole search of `items` within `budget`.
pub(super) fn search(
    c: &mut Compiled,
    items: &[Item],
    budget: &mut Budget,
    want_prefix: bool,
) -> Outcome {
    let mut s = Search::new(c, items, want_prefix);
    s.run(c, budget, u64::MAX, 0).expect("an unlimited quantum runs to a verdict")
}

fn over_budget(budget: &Budget, bytes: usize) -> Option<LimitHit> {
    if bytes >= budget.memo_bytes_max {
        return Some(LimitHit::MemoBytes);
    }
    if let Some(d) = budget.deadline {
        // Wall clock only to honour a caller's timeout; callers that need a
        // deterministic verdict pass no deadline.
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        if now >= d {
            return Some(LimitHit::Deadline);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{models, Model};
    use super::*;
    use crate::history::{Func, History, ProcessId, Value};

    /// `n` crashed writes of distinct values, then a read of none of them.
    fn crashed_writes(n: u64) -> (Compiled, Vec<Item>) {
        let mut h = History::new();
        for i in 0..n {
            h.invoke(ProcessId(i), Func::Write, None, Value::Int(i as i64)).unwrap();
        }
        for i in 0..n {
            h.info(ProcessId(i)).unwrap();
        }
        h.invoke(ProcessId(n), Func::Read, None, Value::Nil).unwrap();
        h.ok(ProcessId(n), Some(Value::Int(-1))).unwrap();
        let ids: Vec<_> = h.ops().iter().map(|o| o.id).collect();
        let c = models::compile(&h, &Model::register(), &ids).unwrap();
        let items = (0..c.ops.len() as u32).map(|k| Item::new(k, Mode::Definite)).collect();
        (c, items)
    }

    fn budget(steps_left: u64, memo_keep_bytes_max: usize) -> Budget {
        Budget {
            steps_left,
            deadline: None,
            memo_entries_max: usize::MAX,
            memo_bytes_max: usize::MAX,
            memo_keep_bytes_max,
            steps_taken: 0,
            memo_entries_peak: 0,
        }
    }

    /// The memo is what keeps a search over operations of unknown outcome to the
    /// subsets it must try, not their orders: twelve crashed writes of distinct values
    /// then a read of none of them (4096 subsets, 479 million orders) are decided well
    /// within a million steps.
    #[test]
    fn the_memo_keeps_crashed_writes_to_their_subsets() {
        let (mut c, items) = crashed_writes(12);
        let mut budget = budget(1_000_000, usize::MAX);
        match search(&mut c, &items, &mut budget, false) {
            Outcome::NotLinearizable { furthest, .. } => assert_eq!(furthest, 12),
            Outcome::Linearizable => panic!("linearizable"),
            Outcome::Limit(hit) => panic!("{hit:?} after {} steps", budget.steps_taken),
        }
        assert!(budget.memo_entries_peak >= 4096, "{}", budget.memo_entries_peak);
    }

    /// A memo that stops remembering (here, at once) only makes the search slower:
    /// eight crashed writes and a read of none of them are still not linearizable, past
    /// the same operation, in many more steps.
    #[test]
    fn a_memo_past_its_keep_cap_slows_the_search_but_keeps_its_verdict() {
        let (mut c, items) = crashed_writes(8);
        let mut steps = Vec::new();
        for keep in [usize::MAX, 0] {
            let mut budget = budget(50_000_000, keep);
            let mut s = Search::new(&c, &items, false);
            match s.run(&mut c, &mut budget, u64::MAX, 0) {
                Some(Outcome::NotLinearizable { furthest, .. }) => assert_eq!(furthest, 8),
                _ => panic!("not decided as not linearizable with keep cap {keep}"),
            }
            assert!(keep > 0 || s.memo.len == 0, "nothing is remembered past the cap");
            steps.push(budget.steps_taken);
        }
        assert!(steps[1] > steps[0] * 10, "{steps:?}");
    }
}
