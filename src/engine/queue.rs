//! The event queue: pending events in (time, sequence number) order.
//!
//! The sequence number is assigned at push, so events at the same instant pop
//! in the order they were scheduled, whatever the queue's internals do. That
//! is what makes a run a pure function of its inputs.
//!
//! The queue is a calendar (a timing wheel) with exact order. Virtual time is
//! cut into buckets of 2^23 ns (about 8 ms); a ring of 4,096 buckets covers
//! the next 34 s from the bucket being consumed, and events further ahead
//! wait in a binary heap (`far`) until the ring reaches them. A ring bucket
//! is an unsorted linked list through one slab of nodes, so a push writes a
//! recently freed node and a 4-byte list head (the heads of the whole ring
//! are 16 KiB, within the L1 cache; a `Vec` per bucket cost two cache
//! misses per push; a ring of 16,384 measured the same). When the
//! queue reaches a bucket, its list is copied out and sorted (`current`,
//! popped from its end); pushes that land in it are inserted in order, up
//! to 32 entries, beyond which they go to a small heap (`late`), so a burst
//! at one instant costs a heap, not quadratic inserts. Buckets hold disjoint
//! time ranges, so bucket order, then (time, seq) order within a bucket, is
//! exactly the order of one sorted queue (property tests check this against
//! a sorted set).
//!
//! Why: the events of a busy run are answers a few seconds ahead, a
//! thousand or more pending. `BinaryHeap::pop` at that depth was a fifth of
//! a day-long run under perf, most of it one stalled load per pop; here the
//! queue's share (push, bucket sort, pop) is about a tenth. A 4-ary heap
//! measured 1.6x faster than `BinaryHeap` on the engine's hold model, this
//! calendar 2.5x; an earlier radix heap was slower than `BinaryHeap`.
//!
//! Every push is at or after the time of the last event the engine took
//! (it never schedules into the past). The engine takes some events from
//! outside the queue (each group's next arrival, see `next_arrivals`),
//! ordered among the queue's by a sequence number from [`EventQueue::take_seq`];
//! [`EventQueue::pop_before`] may then have moved on to a bucket later
//! than such an event, and a push behind the bucket being consumed joins
//! it (`current` is sorted by key, so it still pops first).

use crate::time::Nanos;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// log2 of a bucket's width in nanoseconds.
const WIDTH_BITS: u32 = 23;
/// Buckets in the ring (a power of two).
const BUCKETS: usize = 4096;
/// The end of a bucket's list.
const NIL: u32 = u32::MAX;
const WORDS: usize = BUCKETS / 64;
/// Most events the current bucket keeps sorted; more go to a heap.
const SORTED_MAX: usize = 32;

/// An event with its (time, seq) key. Two 64-bit fields, not one 128-bit
/// integer: the heap moves entries through the stack, and a 16-byte load of
/// a key just written as two 8-byte halves stalls store forwarding (it
/// showed as most of the heap's pop time under perf).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry<E> {
    time: u64,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    /// The order of entries: time, then push order.
    #[inline]
    fn key(&self) -> (u64, u64) {
        (self.time, self.seq)
    }

    #[inline]
    fn bucket(&self) -> u64 {
        self.time >> WIDTH_BITS
    }
}

impl<E: Eq> Ord for Entry<E> {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest first.
        other.key().cmp(&self.key())
    }
}

impl<E: Eq> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// An event in a ring bucket's list.
#[derive(Clone, Copy)]
struct Node<E> {
    entry: Entry<E>,
    next: u32,
}

/// Pending events in virtual time.
pub struct EventQueue<E> {
    /// Per ring slot (`bucket % BUCKETS`, for buckets `base + 1 .. base +
    /// BUCKETS`), the first node of its unsorted list of events, or `NIL`.
    heads: Vec<u32>,
    /// The nodes of every ring list.
    nodes: Vec<Node<E>>,
    /// Indices of free nodes (a stack: the last freed is the next used,
    /// and still in cache).
    free: Vec<u32>,
    /// One bit per ring slot: whether its bucket holds events.
    occupied: [u64; WORDS],
    /// The events of bucket `base`, once the queue has reached it, latest
    /// first (so the next pops from the end).
    current: Vec<Entry<E>>,
    /// Events pushed into bucket `base` while `current` already held
    /// `SORTED_MAX` (a burst at one instant), so inserts stay cheap.
    late: BinaryHeap<Entry<E>>,
    /// The bucket being consumed.
    base: u64,
    /// Events at or beyond bucket `base + BUCKETS` when pushed.
    far: BinaryHeap<Entry<E>>,
    len: usize,
    next_seq: u64,
}

impl<E: Eq + Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Eq + Copy> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heads: vec![NIL; BUCKETS],
            nodes: Vec::with_capacity(1024),
            free: Vec::with_capacity(1024),
            occupied: [0; WORDS],
            current: Vec::with_capacity(64),
            late: BinaryHeap::new(),
            base: 0,
            far: BinaryHeap::new(),
            len: 0,
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time` (never before the last event taken).
    #[inline]
    pub fn push(&mut self, time: Nanos, event: E) {
        let seq = self.take_seq();
        self.len += 1;
        self.place(Entry {
            time: time.0,
            seq,
            event,
        });
    }

    /// The sequence number the next push would get, used up: an event the
    /// caller keeps outside the queue with it orders among the queue's
    /// events exactly as if it had been pushed now.
    #[inline]
    pub fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    // Inlined into `push`, so the entry goes from registers into its node:
    // passed through the stack, it was written in 4- and 8-byte parts and
    // read back in 16-byte ones, a store-forwarding stall on every push
    // (half of `place` under perf).
    #[inline(always)]
    fn place(&mut self, e: Entry<E>) {
        let b = e.bucket();
        // A bucket behind `base` (an event taken from outside the queue
        // scheduled it) joins the current one, which is sorted by key.
        if b <= self.base {
            if self.current.len() < SORTED_MAX {
                let at = self.current.partition_point(|c| c.key() > e.key());
                self.current.insert(at, e);
            } else {
                self.late.push(e);
            }
        } else if b < self.base + BUCKETS as u64 {
            let slot = (b as usize) & (BUCKETS - 1);
            let node = Node {
                entry: e,
                next: self.heads[slot],
            };
            self.heads[slot] = match self.free.pop() {
                Some(n) => {
                    self.nodes[n as usize] = node;
                    n
                }
                None => {
                    self.nodes.push(node);
                    (self.nodes.len() - 1) as u32
                }
            };
            self.occupied[slot / 64] |= 1 << (slot % 64);
        } else {
            self.far.push(e);
        }
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        self.pop_before((u64::MAX, u64::MAX))
    }

    /// Removes and returns the earliest event if its (time, seq) key is
    /// before `limit` (the key of the earliest event kept outside the queue).
    #[inline]
    pub fn pop_before(&mut self, limit: (u64, u64)) -> Option<(Nanos, E)> {
        if self.current.is_empty() && self.late.is_empty() && !self.advance() {
            return None;
        }
        let from_late = match (self.current.last(), self.late.peek()) {
            (Some(c), Some(l)) => l.key() < c.key(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        let e = if from_late {
            let l = self.late.peek()?;
            if l.key() >= limit {
                return None;
            }
            self.late.pop()?
        } else {
            let c = self.current.last()?;
            if c.key() >= limit {
                return None;
            }
            self.current.pop()?
        };
        self.len -= 1;
        Some((Nanos(e.time), e.event))
    }

    /// Moves `base` to the next bucket that holds events and makes it
    /// `current`; false when the queue is empty.
    fn advance(&mut self) -> bool {
        if self.len == 0 {
            return false;
        }
        let ring = self.next_occupied();
        let far = self.far.peek().map(Entry::bucket);
        self.base = match (ring, far) {
            (Some(r), Some(f)) => r.min(f),
            (Some(r), None) => r,
            (None, Some(f)) => f,
            (None, None) => unreachable!("len counts an event in no lane"),
        };
        let slot = (self.base as usize) & (BUCKETS - 1);
        if self.occupied[slot / 64] & (1 << (slot % 64)) != 0 {
            self.occupied[slot / 64] &= !(1 << (slot % 64));
            // The bucket's list into `current` (drained), its nodes freed,
            // then sorted latest first.
            let mut n = std::mem::replace(&mut self.heads[slot], NIL);
            while n != NIL {
                let node = self.nodes[n as usize];
                self.current.push(node.entry);
                self.free.push(n);
                n = node.next;
            }
            sort_latest_first(&mut self.current);
        }
        // Events of the far heap that the ring now reaches move into it
        // (those of bucket `base` into `current`).
        while let Some(e) = self.far.peek() {
            if e.bucket() >= self.base + BUCKETS as u64 {
                break;
            }
            let e = self.far.pop().expect("peeked");
            self.place(e);
        }
        true
    }

    /// The first occupied bucket after `base`, if the ring holds any.
    fn next_occupied(&self) -> Option<u64> {
        let from = (self.base as usize + 1) & (BUCKETS - 1);
        let (w, bit) = (from / 64, from % 64);
        let first = self.occupied[w] & (!0u64 << bit);
        let slot = if first != 0 {
            w * 64 + first.trailing_zeros() as usize
        } else {
            (1..=WORDS).find_map(|k| {
                let i = (w + k) % WORDS;
                let word = if i == w {
                    self.occupied[i] & !(!0u64 << bit)
                } else {
                    self.occupied[i]
                };
                (word != 0).then(|| i * 64 + word.trailing_zeros() as usize)
            })?
        };
        // Slots after `from` (mod BUCKETS) are buckets base+1 onwards.
        let ahead = (slot + BUCKETS - from) % BUCKETS;
        Some(self.base + 1 + ahead as u64)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Sorts a bucket's events latest first. A bucket holds a few events, for
/// which an inlined insertion sort on the two key words costs a fraction of
/// the library sort's call (4% of a day-long run under perf); a burst
/// bucket still gets the library's O(n log n) sort.
#[inline]
fn sort_latest_first<E: Copy>(v: &mut [Entry<E>]) {
    if v.len() > 16 {
        v.sort_unstable_by_key(|e| std::cmp::Reverse(e.key()));
        return;
    }
    for i in 1..v.len() {
        let e = v[i];
        let mut j = i;
        while j > 0 && v[j - 1].key() < e.key() {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BUCKET: u64 = 1 << WIDTH_BITS;

    proptest! {
        /// Events pushed before any pop come out in time order, and in push
        /// order among equal times, wherever they fall: the current bucket,
        /// the ring, or beyond it.
        #[test]
        fn pops_in_time_then_push_order(times in proptest::collection::vec(
            prop_oneof![0u64..50, 0u64..4 * BUCKET, 0u64..3 * BUCKETS as u64 * BUCKET],
            0..300,
        )) {
            let mut q = EventQueue::new();
            for (i, t) in times.iter().enumerate() {
                q.push(Nanos(*t), i);
            }
            prop_assert_eq!(q.len(), times.len());
            let mut popped = Vec::new();
            while let Some((t, i)) = q.pop() {
                popped.push((t.0, i));
            }
            let mut expected: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
            expected.sort();
            prop_assert_eq!(popped, expected);
            prop_assert!(q.is_empty());
        }

        /// Interleaved as the engine uses it (each push at or after the
        /// last popped time, some at the same instant, some in the current
        /// bucket, some a ring or more ahead), the pops are exactly those of
        /// one sorted set.
        #[test]
        fn interleaved_pushes_keep_the_order_of_a_sorted_set(
            start in proptest::collection::vec(0u64..10 * BUCKET, 1..50),
            steps in proptest::collection::vec((0u8..4, 0u64..u64::MAX, 0u8..3), 0..400),
        ) {
            let mut q = EventQueue::new();
            let mut reference = std::collections::BTreeSet::new();
            let mut seq = 0u64;
            for t in start {
                q.push(Nanos(t), seq);
                reference.insert((t, seq));
                seq += 1;
            }
            for (kind, r, pushes) in steps {
                let Some((now, id)) = q.pop() else { break };
                prop_assert_eq!(Some((now.0, id)), reference.pop_first());
                for _ in 0..pushes {
                    let ahead = match kind {
                        0 => 0,
                        1 => r % BUCKET,
                        2 => r % (8 * BUCKET),
                        _ => r % (2 * BUCKETS as u64 * BUCKET),
                    };
                    q.push(now + Nanos(ahead), seq);
                    reference.insert((now.0 + ahead, seq));
                    seq += 1;
                }
            }
            while let Some((t, id)) = q.pop() {
                prop_assert_eq!(Some((t.0, id)), reference.pop_first());
            }
            prop_assert!(reference.is_empty());
        }
    }

    /// A queue left empty far into a run picks up again at the next push,
    /// however far ahead (the ring is found empty and the far heap leads).
    #[test]
    fn an_empty_queue_resumes_at_any_later_time() {
        let mut q = EventQueue::new();
        q.push(Nanos(5), 'a');
        assert_eq!(q.pop(), Some((Nanos(5), 'a')));
        assert_eq!(q.pop(), None);
        let later = Nanos(5 + 10 * BUCKETS as u64 * BUCKET);
        q.push(later, 'b');
        q.push(Nanos(6), 'c');
        assert_eq!(q.pop(), Some((Nanos(6), 'c')));
        assert_eq!(q.pop(), Some((later, 'b')));
        assert_eq!(q.pop(), None);
    }
}
