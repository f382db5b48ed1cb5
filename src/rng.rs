//! Seeded random streams.
//!
//! Each consumer of randomness gets its own ChaCha stream derived from
//! (scenario seed, stream name, purpose). A group's stream is named after the
//! group, not its position, so adding or reordering groups never changes the
//! arrivals of another, and two strategies fed the same scenario and seed see
//! the identical workload (common random numbers).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator every stream uses.
pub type Rng = ChaCha8Rng;

/// What a stream is used for; each purpose of a group is an independent stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    Arrivals = 1,
    Sizes = 2,
    Service = 3,
    Strategy = 4,
    /// A client's own draws of its random strategy parameters.
    Client = 5,
    /// A search's design (`ratesim tune`'s Latin hypercube), under the name `tune`.
    Design = 6,
}

/// FNV-1a: a stable hash (std's hasher is not guaranteed stable across releases).
pub fn stable_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The stream for `purpose` of the thing called `name`, under `seed`.
pub fn stream(seed: u64, name: &str, purpose: Purpose) -> Rng {
    let mut rng = Rng::seed_from_u64(seed);
    rng.set_stream(stable_hash(name) ^ (purpose as u64).rotate_left(56));
    rng
}

/// A uniform draw in [0, 1).
#[inline]
pub fn unit(rng: &mut Rng) -> f64 {
    use rand::Rng as _;
    rng.random::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_repeatable() {
        let a1: Vec<f64> = (0..4)
            .map({
                let mut r = stream(7, "chat", Purpose::Arrivals);
                move |_| unit(&mut r)
            })
            .collect();
        let a2: Vec<f64> = (0..4)
            .map({
                let mut r = stream(7, "chat", Purpose::Arrivals);
                move |_| unit(&mut r)
            })
            .collect();
        let b: Vec<f64> = (0..4)
            .map({
                let mut r = stream(7, "chat", Purpose::Sizes);
                move |_| unit(&mut r)
            })
            .collect();
        let c: Vec<f64> = (0..4)
            .map({
                let mut r = stream(8, "chat", Purpose::Arrivals);
                move |_| unit(&mut r)
            })
            .collect();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, c);
    }
}
