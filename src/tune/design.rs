//! The space-filling design the search starts from: a Latin hypercube in
//! the unit cube, drawn from a seeded stream.
//!
//! A Latin hypercube of `n` points puts exactly one point in each of the `n`
//! equal slices of every axis, so every parameter is tried across its whole
//! range even when a few parameters matter and the others do not (where a
//! grid of the same size would try only n^(1/d) values of each). Sobol
//! points would fill the cube more evenly in many dimensions, but tune's
//! spaces have one to six dimensions and the halving that follows forgives
//! small gaps; the hypercube needs no direction-number tables.

use crate::rng::{stream, unit, Purpose};

/// `n` points in `[0, 1)^dims`: on each axis the `n` slices are dealt to the
/// points in an order shuffled by the stream of (`seed`, "tune"), and each
/// coordinate lies uniformly within its slice.
pub fn latin_hypercube(n: usize, dims: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = stream(seed, "tune", Purpose::Design);
    let mut points = vec![vec![0.0; dims]; n];
    for d in 0..dims {
        let mut slices: Vec<usize> = (0..n).collect();
        // Fisher-Yates with the stream's own draws (portable across rand versions).
        for i in (1..n).rev() {
            let j = ((unit(&mut rng) * (i + 1) as f64) as usize).min(i);
            slices.swap(i, j);
        }
        for (p, slice) in points.iter_mut().zip(slices) {
            p[d] = (slice as f64 + unit(&mut rng)) / n as f64;
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slice_of_every_axis_holds_one_point_and_the_seed_fixes_them() {
        let pts = latin_hypercube(20, 3, 7);
        for d in 0..3 {
            let mut slices: Vec<usize> = pts.iter().map(|p| (p[d] * 20.0) as usize).collect();
            slices.sort_unstable();
            assert_eq!(slices, (0..20).collect::<Vec<_>>(), "axis {d}");
        }
        assert_eq!(pts, latin_hypercube(20, 3, 7));
        assert_ne!(pts, latin_hypercube(20, 3, 8));
    }
}
