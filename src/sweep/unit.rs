//! Work units: a (point, replication) pair, its stable hash, its shard and
//! its seed.
//!
//! The hash is FNV-1a (64 bit) over a canonical byte encoding of the
//! point's settings and the replication, never std's randomly keyed
//! hasher, so a unit lands on the same shard on every machine, build and
//! run. The seed depends on the replication only (common random numbers:
//! every point of a replication sees the same workload draws), never on
//! the shard count or order.

use crate::experiment::replication_seed;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64 bit, of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_more(FNV_OFFSET, bytes)
}

/// Continues an FNV-1a hash `h` over `bytes`.
pub fn fnv1a_more(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

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
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV reference (draft-eastlake-fnv): "" and "a".
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

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
