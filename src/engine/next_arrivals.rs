//! The next arrival of every open-loop and trace group, kept apart from the
//! event queue.
//!
//! Half of a busy run's events are arrivals, and each group has exactly one
//! pending at a time, so they sit in a heap no deeper than the number of
//! groups (in the L1 cache) instead of the calendar queue's ring, which then
//! holds only answers and retries. Each arrival keeps the sequence number
//! the queue would have given it ([`super::queue::EventQueue::take_seq`]),
//! so the engine takes events in exactly the (time, seq) order of one queue
//! holding both: the same run, event for event.

use crate::time::Nanos;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Pending arrivals as (time, seq, group), earliest first.
#[derive(Default)]
pub(super) struct NextArrivals {
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
}

impl NextArrivals {
    /// Group `group`'s next request arrives at `time`, ordered by `seq`
    /// (`None`: it has no more). The group has nothing pending, or its
    /// pending arrival is the first (the one being handled), which this
    /// replaces with one sift down where a pop and a push would cost two.
    #[inline]
    pub(super) fn set(&mut self, group: u32, next: Option<(Nanos, u64)>) {
        let handling = self.first().is_some_and(|(_, g)| g == group);
        debug_assert!(
            handling || self.heap.iter().all(|Reverse((_, _, g))| *g != group),
            "group {group} has an arrival pending that is not the first"
        );
        match (handling, next) {
            (true, Some((time, seq))) => {
                if let Some(mut first) = self.heap.peek_mut() {
                    *first = Reverse((time.0, seq, group));
                }
            }
            (true, None) => {
                self.heap.pop();
            }
            (false, Some((time, seq))) => self.heap.push(Reverse((time.0, seq, group))),
            (false, None) => {}
        }
    }

    /// The (time, seq) key of the earliest pending arrival, or a key after
    /// every event when none is pending.
    #[inline]
    pub(super) fn first_key(&self) -> (u64, u64) {
        self.heap
            .peek()
            .map_or((u64::MAX, u64::MAX), |Reverse((t, s, _))| (*t, *s))
    }

    /// The earliest pending arrival: its time and group. It stays pending
    /// until its group's next is [`NextArrivals::set`].
    #[inline]
    pub(super) fn first(&self) -> Option<(Nanos, u32)> {
        self.heap.peek().map(|Reverse((t, _, g))| (Nanos(*t), *g))
    }
}

#[cfg(test)]
mod tests {
    use super::super::queue::EventQueue;
    use super::*;
    use proptest::prelude::*;

    /// Pushes event `id` at `t` into `one` and, split, into `apart` (an
    /// arrival, with a sequence number from `q`) or `q`.
    fn push(
        arrival: bool,
        t: u64,
        id: u32,
        apart: &mut NextArrivals,
        q: &mut EventQueue<u32>,
        one: &mut EventQueue<u32>,
    ) {
        if arrival {
            let seq = q.take_seq();
            apart.set(id, Some((Nanos(t), seq)));
        } else {
            q.push(Nanos(t), id);
        }
        one.push(Nanos(t), id);
    }

    proptest! {
        /// Arrivals kept apart and events in the queue, taken the way the
        /// engine takes them (the queue's earliest when it is before the
        /// earliest arrival, else that arrival), come out in exactly the
        /// order of one queue holding both; pushes after each take may land
        /// behind the bucket the queue has moved on to.
        #[test]
        fn taking_from_both_is_the_order_of_one_queue(
            start in proptest::collection::vec((any::<bool>(), 0u64..50_000_000), 1..40),
            steps in proptest::collection::vec((any::<bool>(), 0u64..40_000_000, 0u8..3), 0..300),
        ) {
            let mut apart = NextArrivals::default();
            let mut q = EventQueue::new();
            let mut one = EventQueue::new();
            let mut id = 0u32;
            for (arrival, t) in start {
                push(arrival, t, id, &mut apart, &mut q, &mut one);
                id += 1;
            }
            let mut steps = steps.into_iter();
            loop {
                let taken = match q.pop_before(apart.first_key()) {
                    Some(e) => Some(e),
                    None => {
                        let first = apart.first();
                        if let Some((_, g)) = first {
                            apart.set(g, None);
                        }
                        first
                    }
                };
                prop_assert_eq!(taken, one.pop());
                let Some((now, _)) = taken else { break };
                if let Some((arrival, ahead, pushes)) = steps.next() {
                    for k in 0..pushes {
                        let t = now.0 + ahead / u64::from(k + 1);
                        push(arrival && k == 0, t, id, &mut apart, &mut q, &mut one);
                        id += 1;
                    }
                }
            }
        }
    }
}
