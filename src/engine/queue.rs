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
use std::collections::{BinaryHeap, VecDeque};

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
    /// Events scheduled a constant delay after the instant they were
    /// pushed at: pushed in (time, seq) order, so a FIFO keeps them sorted.
    fifo: VecDeque<Entry<E>>,
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
            fifo: VecDeque::with_capacity(1024),
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

    /// Schedules `event` at `time` in the FIFO lane. Every event of this
    /// lane must be pushed a constant delay after the current instant (the
    /// time of the event being handled), so that times pushed here never
    /// decrease: a fixed answer time for 429s, say.
    #[inline]
    pub fn push_fifo(&mut self, time: Nanos, event: E) {
        let e = self.entry(time, event);
        debug_assert!(self.fifo.back().map_or(true, |b| b.order < e.order));
        self.fifo.push_back(e);
    }

    /// Removes and returns the earliest event of any lane.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        const NONE: u128 = u128::MAX;
        let h = self.heap.peek().map_or(NONE, |e| e.order);
        let f = self.few.peek().map_or(NONE, |e| e.order);
        let q = self.fifo.front().map_or(NONE, |e| e.order);
        // Orders are unique (the sequence number), so at most one lane
        // holds the minimum; all three at NONE means the queue is empty.
        let e = if q < h && q < f {
            self.fifo.pop_front()
        } else if f < h {
            self.few.pop()
        } else {
            self.heap.pop()
        };
        e.map(|e| (Nanos((e.order >> 64) as u64), e.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.few.len() + self.fifo.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.few.is_empty() && self.fifo.is_empty()
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

        /// With a FIFO lane fed a constant delay after each popped event's
        /// time, as the engine feeds it, the pops are exactly those of one
        /// sorted queue.
        #[test]
        fn the_fifo_lane_keeps_the_order_of_a_single_queue(
            start in proptest::collection::vec(0u64..100, 1..50),
            steps in proptest::collection::vec((0u8..3, 0u64..40), 0..300),
            delay in 0u64..30,
        ) {
            let mut q = EventQueue::new();
            let mut reference = std::collections::BTreeSet::new();
            let mut seq = 0u64;
            for t in start {
                q.push(Nanos(t), seq);
                reference.insert((t, seq));
                seq += 1;
            }
            for (lane, extra) in steps {
                let Some((now, id)) = q.pop() else { break };
                let first = reference.pop_first().unwrap();
                prop_assert_eq!((now.0, id), first);
                let (at, e) = match lane {
                    0 => { q.push_fifo(now + Nanos(delay), seq); (now.0 + delay, seq) }
                    1 => { q.push_few(now + Nanos(extra), seq); (now.0 + extra, seq) }
                    _ => { q.push(now + Nanos(extra), seq); (now.0 + extra, seq) }
                };
                reference.insert((at, e));
                seq += 1;
            }
            while let Some((t, id)) = q.pop() {
                prop_assert_eq!((t.0, id), reference.pop_first().unwrap());
            }
            prop_assert!(reference.is_empty());
        }
    }
}
