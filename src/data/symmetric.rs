//! The symmetric test functions the paper uses to measure compression error.
//!
//! Fig. 2 (§8.2): `f(θ) = (1/Σc) Σ_i c_i (1/10) Σ_{a=1}^{10} sigmoid(⟨w_i, x_a⟩)` with probe points
//! `x_a ~ U[-1,1]^m`. Fig. 8: the same with `1/(A + ⟨w_i, x_a⟩)`. Both are smooth symmetric functions of
//! the weighted cloud, so Theorem 3 bounds their change under compression by `mass × diam^(k+1)` per step.
//! Cost: `O(d · probes · m)`.

use crate::rng::{LabRng, uniform};

/// Probe points `x_a ~ U[-1,1]^m`, row-major.
pub fn probes(rng: &mut LabRng, dim: usize, count: usize) -> Vec<f64> {
    (0..dim * count).map(|_| uniform(rng, -1.0, 1.0)).collect()
}

/// Weighted mean over the cloud of `g(⟨w_i, x_a⟩)` averaged over probes.
pub fn symmetric_mean(
    points: &[f64],
    dim: usize,
    weights: &[f64],
    probes: &[f64],
    g: impl Fn(f64) -> f64,
) -> f64 {
    let n_probes = probes.len() / dim;
    let mut num = 0.0;
    let mut den = 0.0;
    for (i, &c) in weights.iter().enumerate() {
        if c == 0.0 {
            continue;
        }
        let w = &points[i * dim..(i + 1) * dim];
        let mut s = 0.0;
        for a in 0..n_probes {
            let x = &probes[a * dim..(a + 1) * dim];
            s += g(w.iter().zip(x).map(|(p, q)| p * q).sum());
        }
        num += c * s / n_probes as f64;
        den += c;
    }
    num / den
}

/// `sigmoid(t) = 1 / (1 + e^{-t})`.
pub fn sigmoid(t: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-t))
}
