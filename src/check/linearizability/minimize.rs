//! Counterexamples: the smallest set of operations that cannot be linearized, found
//! by weakening operations (delta debugging over "this one may not have happened").

use super::search::{self, Budget, Item, Mode};
use super::*;

/// Builds the counterexample of a failed part: the furthest point the search reached,
/// and a minimized set of operations that still cannot be linearized.
///
/// The set starts as the history up to the unplaceable operation's completion (already
/// not linearizable; operations still pending then count as of unknown outcome). It is
/// minimized by weakening, not deleting: an operation leaves the set when the history
/// stays non-linearizable with that operation made optional (it happened within its
/// interval, or never). Deleting would be unfaithful: without the writes of 0 between
/// them, a write of 1 and a later read of 0 look contradictory when the real history is
/// not, for that reason. Weakening only adds possibilities, so what is left contradicts
/// itself whatever the others did, and also on its own.
///
/// A second condition keeps the explanation: the unplaceable operation's result must be
/// possible, given only the operations left, if its timing were free. Otherwise a read
/// of 2 would be kept alone, "not linearizable" because no write of 2 is left. When the
/// result is impossible at any time (nothing could have written it), the operation
/// alone is the counterexample.
pub(super) fn counterexample(
    c: &mut models::Compiled,
    key: Option<Value>,
    furthest: usize,
    prefix: &[usize],
    minimize: Option<u64>,
    budget: &mut Budget,
) -> Counterexample {
    let x = furthest as u32;
    let ret = c.ops[furthest].ret.expect("the search only stops at completions");
    let mut set: Vec<u32> = Vec::new();
    let mut context: Vec<Item> = Vec::new();
    for j in 0..c.ops.len() as u32 {
        let op = &c.ops[j as usize];
        if j == x || op.call >= ret {
            continue;
        }
        if op.ret.is_some_and(|r| r < ret) {
            set.push(j);
        } else if !op.step.is_read_only() {
            context.push(Item::new(j, Mode::Unknown));
        }
    }
    let (kept, complete) = if let Some(search_steps) = minimize {
        let total = (search_steps.saturating_mul(MINIMIZE_STEPS_PER_SEARCH_STEP))
            .clamp(MINIMIZE_STEPS_MIN, MINIMIZE_STEPS_MAX);
        let per_test = search_steps
            .saturating_mul(MINIMIZE_TEST_STEPS_PER_SEARCH_STEP)
            .max(MINIMIZE_TEST_STEPS_MIN);
        // Its own count from 0: the search's steps are already in `budget.steps_taken`.
        let mut mb =
            Budget { steps_left: budget.steps_left.min(total), steps_taken: 0, ..budget.clone() };
        let r = minimize_set(c, x, set, &context, per_test, &mut mb);
        budget.steps_taken += mb.steps_taken;
        budget.steps_left = budget.steps_left.saturating_sub(mb.steps_taken);
        budget.memo_entries_peak = budget.memo_entries_peak.max(mb.memo_entries_peak);
        r
    } else {
        (set, false)
    };
    let mut minimal: Vec<OpId> = kept.iter().map(|&j| c.ops[j as usize].id).collect();
    minimal.push(c.ops[furthest].id);
    minimal.sort();
    Counterexample {
        key,
        prefix: prefix.iter().map(|&k| c.ops[k].id).collect(),
        unplaceable: c.ops[furthest].id,
        minimal,
        minimal_complete: complete,
    }
}

/// Answers of one minimizing test: still a counterexample, not one, or out of budget.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Test {
    Keeps,
    Loses,
    /// Out of budget: this test's own cap, or (`abort`) the whole minimizing budget.
    GaveUp {
        abort: bool,
    },
}

/// Minimizes `set` (operations of definite outcome) around `pinned`, with `context`
/// (operations pending at `pinned`'s completion) always present; see `counterexample`.
/// Returns the operations kept (with the pending ones the explanation needs) and
/// whether the result is 1-minimal.
fn minimize_set(
    compiled: &mut models::Compiled,
    pinned: u32,
    set: Vec<u32>,
    context: &[Item],
    per_test: u64,
    budget: &mut Budget,
) -> (Vec<u32>, bool) {
    let mut minimizer = Minimizer { compiled, pinned, all: set.clone(), context, per_test, budget };
    let (mut kept, complete) = match minimizer.test(&set, true) {
        Test::Keeps => ddmin(set, |s| minimizer.test(s, true)),
        Test::GaveUp { .. } => return (set, false),
        // The result is impossible whatever its timing: weaken without the condition.
        Test::Loses => return ddmin(set, |s| minimizer.test(s, false)),
    };
    let needed = minimizer.needed_context(&kept);
    kept.extend(needed.iter().map(|it| it.op));
    (kept, complete)
}

/// One minimization's fixed inputs and budgets (see `minimize_set`): the tests that
/// delta debugging asks are its methods.
struct Minimizer<'a> {
    compiled: &'a mut models::Compiled,
    /// The operation that cannot be placed; always present, always definite.
    pinned: u32,
    /// The operations of definite outcome the minimization started from.
    all: Vec<u32>,
    /// Operations pending at the pinned one's completion, always present as unknown.
    context: &'a [Item],
    /// Steps one test may take.
    per_test: u64,
    budget: &'a mut Budget,
}

impl Minimizer<'_> {
    /// Is `kept` (as recorded, every other operation of `all` made optional) still a
    /// counterexample? With `plausible`, the pinned operation's result must also be
    /// possible among what is kept if its timing were free.
    fn test(&mut self, kept: &[u32], plausible: bool) -> Test {
        let items = self.weakened(kept);
        match self.run(&items) {
            Some(true) => return Test::Loses,
            None => return Test::GaveUp { abort: self.spent() },
            Some(false) => {}
        }
        if !plausible {
            return Test::Keeps;
        }
        let untimed = self.untimed(kept, self.context);
        match self.run(&untimed) {
            Some(true) => Test::Keeps,
            Some(false) => Test::Loses,
            None => Test::GaveUp { abort: self.spent() },
        }
    }

    /// The pinned operation, `kept` as recorded, the rest of `all` optional (read-only
    /// ones left out: an optional read constrains nothing), and the context.
    fn weakened(&self, kept: &[u32]) -> Vec<Item> {
        let mut items: Vec<Item> = Vec::with_capacity(self.all.len() + self.context.len() + 1);
        items.push(Item::new(self.pinned, Mode::Definite));
        // `kept` is a subsequence of `all`: walk both.
        let mut i = 0;
        for &j in &self.all {
            let definite = kept.get(i) == Some(&j);
            i += usize::from(definite);
            if definite {
                items.push(Item::new(j, Mode::Definite));
            } else if !self.compiled.ops[j as usize].step.is_read_only() {
                items.push(Item::new(j, Mode::Optional));
            }
        }
        items.extend_from_slice(self.context);
        items
    }

    /// `kept` as recorded and `context` of unknown outcome, with the pinned operation
    /// untimed: is its result possible among them at all?
    fn untimed(&self, kept: &[u32], context: &[Item]) -> Vec<Item> {
        let mut items: Vec<Item> = kept.iter().map(|&j| Item::new(j, Mode::Definite)).collect();
        items.push(Item { op: self.pinned, mode: Mode::Definite, untimed: true });
        items.extend_from_slice(context);
        items
    }

    /// One search under the per-test cap (`Some(linearizable)`, `None` past the cap);
    /// its steps count against the whole budget.
    fn run(&mut self, items: &[Item]) -> Option<bool> {
        let before = self.budget.steps_taken;
        let mut capped =
            Budget { steps_left: self.budget.steps_left.min(self.per_test), ..self.budget.clone() };
        let out = search::search(self.compiled, items, &mut capped, false);
        self.budget.steps_left = self.budget.steps_left.saturating_sub(capped.steps_taken - before);
        self.budget.steps_taken = capped.steps_taken;
        self.budget.memo_entries_peak = capped.memo_entries_peak;
        match out {
            search::Outcome::Linearizable => Some(true),
            search::Outcome::NotLinearizable { .. } => Some(false),
            search::Outcome::Limit(_) => None,
        }
    }

    /// Whether the whole budget (not just one test's cap) is gone.
    fn spent(&self) -> bool {
        self.budget.steps_left == 0
            || self.budget.deadline.is_some_and(|d| {
                #[allow(clippy::disallowed_methods)] // only when the caller set a timeout
                let now = Instant::now();
                now >= d
            })
    }

    /// The pending operations the explanation needs (say, the write whose value the
    /// unplaceable read returned, still running when the read completed): each is
    /// dropped in turn unless the pinned result becomes impossible without it.
    fn needed_context(&mut self, kept: &[u32]) -> Vec<Item> {
        let mut needed: Vec<Item> = self.context.to_vec();
        let mut i = 0;
        while i < needed.len() {
            let mut without = needed.clone();
            without.remove(i);
            let items = self.untimed(kept, &without);
            match self.run(&items) {
                Some(true) => needed = without,
                _ => i += 1,
            }
        }
        needed
    }
}

/// Zeller's delta debugging: drops chunks of `set`, then single items, as long as
/// `test` says what is left is still a counterexample. Returns what is left and whether
/// it is 1-minimal (no test ran out of budget).
fn ddmin(mut set: Vec<u32>, mut test: impl FnMut(&[u32]) -> Test) -> (Vec<u32>, bool) {
    let mut complete = true;
    let mut n = 2usize;
    while !set.is_empty() {
        let chunk = set.len().div_ceil(n);
        let mut removed = false;
        for start in (0..set.len()).step_by(chunk) {
            let end = (start + chunk).min(set.len());
            let mut rest: Vec<u32> = set[..start].to_vec();
            rest.extend_from_slice(&set[end..]);
            match test(&rest) {
                Test::Keeps => {
                    set = rest;
                    n = (n - 1).max(2);
                    removed = true;
                    break;
                }
                Test::Loses => {}
                Test::GaveUp { abort } => {
                    complete = false;
                    if abort {
                        return (set, false);
                    }
                }
            }
        }
        if !removed {
            if n >= set.len() {
                break;
            }
            n = (n * 2).min(set.len());
        }
    }
    (set, complete)
}
