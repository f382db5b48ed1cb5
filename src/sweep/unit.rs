//! Work units: a (point, replication) pair, its stable hash, its shard and
//! its seed.
//!
//! The hash is FNV-1a (64 bit, `experiment::shard`) over a canonical byte
//! encoding of the point's settings and the replication. The seed depends
//! on the replication only (common random numbers: every point of a
//! replication sees the same workload draws), never on the shard count or
//! order.

use crate::experiment::replication_seed;
use crate::experiment::shard::{fnv1a, fnv1a_more};

/// One run of a grid: point `point` (an index into the grid's points),
/// replication `replication`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Unit {
    pub point: usize,
    pub replication: u32,
}

impl Unit {
    /// The stable hash of this unit, given its point's canonical encoding
    /// (see [`super::Point::canonical`]).
    pub fn hash(&self, point_bytes: &[u8]) -> u64 {
        let h = fnv1a(point_bytes);
        fnv1a_more(h, &self.replication.to_le_bytes())
    }

    /// The seed this unit runs with.
    pub fn seed(&self, base_seed: u64) -> u64 {
        replication_seed(base_seed, self.replication)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_depends_on_the_replication() {
        let a = Unit {
            point: 0,
            replication: 0,
        };
        let b = Unit {
            point: 0,
            replication: 1,
        };
        assert_ne!(a.hash(b"x"), b.hash(b"x"));
        assert_eq!(a.seed(7), 7);
        assert_eq!(b.seed(7), 8);
    }
}
