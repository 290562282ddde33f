//! The event queue: a binary heap of small `(at, seq, slot)` entries, with payloads kept
//! beside it in a slab, so sifting moves 24 bytes however large the event enum grows.
//! `(at, seq)` is a total order: two events at the same instant run in the order they
//! were scheduled, which is what makes a run reproducible.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    at: u64,
    seq: u64,
    slot: u32,
}

impl Entry {
    /// `(at, seq)` as one number, so that comparing two entries is one 128-bit compare
    /// (two instructions, no select) on the sift's critical path.
    #[inline]
    fn key(&self) -> u128 {
        (u128::from(self.at) << 64) | u128::from(self.seq)
    }
}

impl Ord for Entry {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest `(at, seq)` first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
    // `BinaryHeap` sifts with `<=` and `<`. The defaults go through `cmp` and an
    // `Ordering`, which LLVM turns into two compares and a select per step: PHOLD ran
    // ~25% slower through the engine than on a bare `(u64, u64, u32)` heap.
    #[inline]
    fn lt(&self, other: &Self) -> bool {
        other.key() < self.key()
    }
    #[inline]
    fn le(&self, other: &Self) -> bool {
        other.key() <= self.key()
    }
    #[inline]
    fn gt(&self, other: &Self) -> bool {
        other.lt(self)
    }
    #[inline]
    fn ge(&self, other: &Self) -> bool {
        other.le(self)
    }
}

/// A priority queue of events ordered by `(at, seq)`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry>,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), slots: Vec::new(), free: Vec::new(), next_seq: 0 }
    }

    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            slots: Vec::with_capacity(n),
            free: Vec::new(),
            next_seq: 0,
        }
    }

    /// Schedules `ev` at `at`; returns its sequence number.
    #[inline]
    pub fn push(&mut self, at: SimTime, ev: E) -> u64 {
        let slot = match self.free.pop() {
            Some(s) => {
                debug_assert!(self.slots[s as usize].is_none());
                self.slots[s as usize] = Some(ev);
                s
            }
            None => {
                let s =
                    u32::try_from(self.slots.len()).expect("more than 4 billion pending events");
                self.slots.push(Some(ev));
                s
            }
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { at: at.0, seq, slot });
        seq
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime(e.at))
    }

    /// Removes and returns the earliest event with its time and sequence number.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, u64, E)> {
        let e = self.heap.pop()?;
        let ev = self.slots[e.slot as usize].take().expect("heap entry points at an empty slot");
        self.free.push(e.slot);
        Some((SimTime(e.at), e.seq, ev))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_schedule_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), "c");
        q.push(SimTime(5), "a");
        q.push(SimTime(10), "d");
        q.push(SimTime(5), "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn slots_are_reused() {
        let mut q = EventQueue::new();
        for i in 0..100u64 {
            q.push(SimTime(i), i);
            q.pop();
        }
        assert_eq!(q.slots.len(), 1);
        assert!(q.is_empty());
    }
}
