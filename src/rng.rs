//! Seeded, portable randomness.
//!
//! Every experiment takes a `u64` seed and draws from [`LabRng`] (PCG-64 MCG from `rand_pcg`), whose output
//! is specified bit for bit, so the same seed gives the same numbers natively, in the browser worker and in
//! the tests. Normal variates use the Box–Muller transform written out here (two uniforms in, one normal out
//! per call), so no sampler whose algorithm might change between crate versions sits in the way.

use rand::{RngExt, SeedableRng};

/// The one generator of the project.
pub type LabRng = rand_pcg::Pcg64Mcg;

/// A generator from a seed. The same seed always gives the same stream.
pub fn seeded(seed: u64) -> LabRng {
    LabRng::seed_from_u64(seed)
}

/// Derive an independent sub-seed for stream `stream` of an experiment seeded with `seed`
/// (SplitMix64 finaliser of the pair), so that arms and data sets draw from unrelated streams.
pub fn sub_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed
        ^ stream
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0x6A09_E667_F3BC_C909);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform on `[lo, hi)`.
pub fn uniform(rng: &mut LabRng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

/// Standard normal by Box–Muller (uses two uniforms, returns one variate).
pub fn standard_normal(rng: &mut LabRng) -> f64 {
    // 1 - u lies in (0, 1], so the log is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * libm::log(u1)).sqrt() * libm::cos(std::f64::consts::TAU * u2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = seeded(7);
        let mut b = seeded(7);
        for _ in 0..100 {
            assert_eq!(
                standard_normal(&mut a).to_bits(),
                standard_normal(&mut b).to_bits()
            );
        }
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut r = seeded(1);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| standard_normal(&mut r)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "var {var}");
    }

    #[test]
    fn sub_seeds_differ() {
        assert_ne!(sub_seed(1, 0), sub_seed(1, 1));
        assert_ne!(sub_seed(1, 0), sub_seed(2, 0));
    }
}
