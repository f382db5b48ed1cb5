//! The event queue: a binary min-heap ordered by (time, sequence number).
//!
//! The sequence number is assigned at push, so events at the same instant pop
//! in the order they were scheduled, whatever the heap's internals do. That
//! is what makes a run a pure function of its inputs.
//!
//! Events live in two heaps that share the sequence counter: the main one,
//! and a small one for events of which only a few are ever pending (the next
//! arrival of each source). Half of all events are arrivals; keeping them out
//! of the main heap makes their push and pop cost the depth of a heap of a
//! dozen entries instead of a thousand. `pop` takes the earlier of the two
//! tops, so the order is exactly that of a single queue.
//!
//! A radix heap (monotone keys) was tried and measured slower at these depths.

use crate::time::Nanos;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// `order` packs (time, seq) into one integer, time in the high half, so a
/// single comparison orders entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry<E> {
    order: u128,
    event: E,
}

impl<E: Eq> Ord for Entry<E> {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest first.
        other.order.cmp(&self.order)
    }
}

impl<E: Eq> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Pending events in virtual time.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    few: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E: Eq> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Eq> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            few: BinaryHeap::with_capacity(64),
            next_seq: 0,
        }
    }

    fn entry(&mut self, time: Nanos, event: E) -> Entry<E> {
        let order = (u128::from(time.0) << 64) | u128::from(self.next_seq);
        self.next_seq += 1;
        Entry { order, event }
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: Nanos, event: E) {
        let e = self.entry(time, event);
        self.heap.push(e);
    }

    /// Schedules `event` at `time` in the small lane: for kinds of event of
    /// which only a few are pending at once (one arrival per source).
    #[inline]
    pub fn push_few(&mut self, time: Nanos, event: E) {
        let e = self.entry(time, event);
        self.few.push(e);
    }

    /// Removes and returns the earliest event of either lane.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        let from_few = match (self.heap.peek(), self.few.peek()) {
            (Some(a), Some(b)) => b.order < a.order,
            (None, Some(_)) => true,
            _ => false,
        };
        let e = if from_few {
            self.few.pop()
        } else {
            self.heap.pop()
        };
        e.map(|e| (Nanos((e.order >> 64) as u64), e.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.few.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.few.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Events pop in time order, and in push order among equal times.
        #[test]
        fn pops_in_time_then_push_order(times in proptest::collection::vec((0u64..50, any::<bool>()), 0..200)) {
            let mut q = EventQueue::new();
            for (i, (t, few)) in times.iter().enumerate() {
                if *few {
                    q.push_few(Nanos(*t), i);
                } else {
                    q.push(Nanos(*t), i);
                }
            }
            let mut popped = Vec::new();
            while let Some((t, i)) = q.pop() {
                popped.push((t.0, i));
            }
            let mut expected: Vec<(u64, usize)> = times.iter().map(|t| t.0).zip(0..).collect();
            expected.sort();
            prop_assert_eq!(popped, expected);
        }
    }
}
