//! The event queue: a binary min-heap ordered by (time, sequence number).
//!
//! The sequence number is assigned at push, so events at the same instant pop
//! in the order they were scheduled, whatever the heap's internals do. That
//! is what makes a run a pure function of its inputs.

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
            next_seq: 0,
        }
    }

    #[inline]
    pub fn push(&mut self, time: Nanos, event: E) {
        self.heap.push(Entry {
            order: (u128::from(time.0) << 64) | u128::from(self.next_seq),
            event,
        });
        self.next_seq += 1;
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        self.heap
            .pop()
            .map(|e| (Nanos((e.order >> 64) as u64), e.event))
    }

    /// The instant of the next event, without removing it.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek().map(|e| Nanos((e.order >> 64) as u64))
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
    use proptest::prelude::*;

    proptest! {
        /// Events pop in time order, and in push order among equal times.
        #[test]
        fn pops_in_time_then_push_order(times in proptest::collection::vec(0u64..50, 0..200)) {
            let mut q = EventQueue::new();
            for (i, t) in times.iter().enumerate() {
                q.push(Nanos(*t), i);
            }
            let mut popped = Vec::new();
            while let Some((t, i)) = q.pop() {
                popped.push((t.0, i));
            }
            let mut expected: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
            expected.sort();
            prop_assert_eq!(popped, expected);
        }
    }
}
