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

/// One pending arrival: (time, seq, group), ordered by (time, seq).
type Entry = (u64, u64, u32);

/// An empty place in the tree, after every arrival.
const NONE: Entry = (u64::MAX, u64::MAX, u32::MAX);

/// Pending arrivals in a binary min-heap on (time, seq), earliest first.
///
/// Hand-written rather than `std::collections::BinaryHeap`, whose sift was
/// the engine's one unpredictable branch: the arrival being handled is
/// replaced by its group's next, and at every level of the heap which of
/// two independent streams comes first is a coin toss (0.8M mispredicted
/// branches an hour of the day bench, 1.3 an arrival). Here the heap is a
/// complete tree padded with [`NONE`], so every sift from the root takes
/// the same number of steps, and each step picks the child and whether to
/// go on by arithmetic on 0/1 flags instead of branches.
pub(super) struct NextArrivals {
    /// A complete tree of `2^levels - 1` entries (children of `i` at
    /// `2i + 1` and `2i + 2`), then one scratch entry.
    tree: Vec<Entry>,
    levels: u32,
}

impl Default for NextArrivals {
    fn default() -> NextArrivals {
        NextArrivals {
            tree: vec![NONE; 2],
            levels: 1,
        }
    }
}

/// Whether `a` comes before `b`, as 0 or 1 without a branch.
#[inline(always)]
fn before(a: &Entry, b: &Entry) -> usize {
    (a.0 < b.0) as usize | ((a.0 == b.0) as usize & (a.1 < b.1) as usize)
}

impl NextArrivals {
    /// Group `group`'s next request arrives at `time`, ordered by `seq`
    /// (`None`: it has no more). The group has nothing pending, or its
    /// pending arrival is the first (the one being handled), which this
    /// replaces with one sift where a pop and a push would cost two.
    #[inline]
    pub(super) fn set(&mut self, group: u32, next: Option<(Nanos, u64)>) {
        let handling = self.first().is_some_and(|(_, g)| g == group);
        debug_assert!(
            handling || self.tree.iter().all(|e| e.2 != group),
            "group {group} has an arrival pending that is not the first"
        );
        let e = next.map_or(NONE, |(time, seq)| (time.0, seq, group));
        if handling {
            self.replace_first(e);
        } else if e != NONE {
            self.add(e);
        }
    }

    /// Puts `e` in place of the first entry and sifts it down: `levels - 1`
    /// steps, each moving the earlier child up while it comes before `e`.
    #[inline]
    fn replace_first(&mut self, e: Entry) {
        let t = &mut self.tree;
        let scratch = t.len() - 1;
        t[scratch] = e;
        let mut i = 0usize;
        for _ in 1..self.levels {
            let left = 2 * i + 1;
            let child = left + before(&t[left + 1], &t[left]);
            // All ones to move the child up and follow it, zero to put `e`
            // here. Once `e` has stopped, the later steps compare the same
            // child again and stop again.
            let mask = 0usize.wrapping_sub(before(&t[child], &e));
            t[i] = t[scratch ^ ((child ^ scratch) & mask)];
            i ^= (child ^ i) & mask;
        }
        t[i] = e;
    }

    /// Adds an arrival of a group with none pending, at an empty leaf (one
    /// exists whenever the tree has an empty place: below an empty place
    /// all are empty), growing the tree by a level when it is full.
    fn add(&mut self, e: Entry) {
        let leaves = (1usize << (self.levels - 1)) - 1..(1usize << self.levels) - 1;
        let mut at = leaves.clone().find(|&i| self.tree[i] == NONE);
        if at.is_none() {
            // A sorted array is a heap: lay the entries out again one level deeper.
            let mut all: Vec<Entry> = self.tree[..leaves.end].to_vec();
            all.sort_unstable_by_key(|&(t, s, _)| (t, s));
            self.levels += 1;
            all.resize((1 << self.levels) - 1 + 1, NONE);
            self.tree = all;
            at = Some(leaves.end);
        }
        let mut i = at.expect("a full tree grew a level");
        while i > 0 {
            let parent = (i - 1) / 2;
            if before(&e, &self.tree[parent]) == 0 {
                break;
            }
            self.tree[i] = self.tree[parent];
            i = parent;
        }
        self.tree[i] = e;
    }

    /// The (time, seq) key of the earliest pending arrival, or a key after
    /// every event when none is pending.
    #[inline]
    pub(super) fn first_key(&self) -> (u64, u64) {
        (self.tree[0].0, self.tree[0].1)
    }

    /// The earliest pending arrival: its time and group. It stays pending
    /// until its group's next is [`NextArrivals::set`].
    #[inline]
    pub(super) fn first(&self) -> Option<(Nanos, u32)> {
        let (t, _, g) = self.tree[0];
        (t != u64::MAX).then_some((Nanos(t), g))
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
