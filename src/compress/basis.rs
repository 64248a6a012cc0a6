//! The moment space: exponents of total degree ≤ k and a well-conditioned basis that spans it.
//!
//! Moments up to order k of a weighted cloud `μ = Σ c_i δ_{x_i}` in R^m are the numbers `Σ c_i x_i^α` for all
//! multi-indices `|α| ≤ k`; there are `N(m,k) = C(m+k, k)` of them (order 0 is the total weight).
//!
//! Raw monomials of large or far-away coordinates are ill-conditioned, but the *span* of the monomials of
//! degree ≤ k is invariant under any affine change of coordinates and under any change of polynomial basis
//! of the same degree. So every computation here maps a cluster into `u = (x - centre) / scale ∈ [-1,1]^m`
//! and uses tensor Chebyshev polynomials `T_α(u) = Π_a T_{α_a}(u_a)`: matching these features for a
//! cluster matches exactly the same moments as matching the raw monomials, with entries bounded by 1.
//!
//! Cost: evaluating all `N` features of one point is `O(m k + N m)` flops.

/// `C(m+k, k)`, the number of moments of order ≤ k in m dimensions; `None` on overflow of `usize`.
///
/// Cost: `O(min(m, k))` — at most about 64 steps whatever the arguments, since `C(m+k, j)` exceeds
/// `usize::MAX` after at most 64 steps once `j ≤ min(m, k)` (each step at least doubles it).
pub fn n_moments(dim: usize, order: usize) -> Option<usize> {
    // C(m+k, k) = C(m+k, j) with j = min(m, k), computed incrementally:
    // C(b+i, i) = C(b+i-1, i-1) · (b+i) / i with b = max(m, k), exact at every step.
    let (small, big) = (dim.min(order) as u128, dim.max(order) as u128);
    let mut c: u128 = 1;
    for i in 1..=small {
        c = c.checked_mul(big + i)? / i;
        if c > usize::MAX as u128 {
            return None;
        }
    }
    usize::try_from(c).ok()
}

/// All exponent vectors `α ∈ N^m` with `|α| ≤ k`, graded: by total degree, then lexicographically
/// descending in the first coordinate (so for m = 2: `00, 10, 01, 20, 11, 02, …`).
pub fn exponents(dim: usize, order: usize) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    for total in 0..=order as u32 {
        let mut current = vec![0u32; dim];
        push_with_total(&mut out, &mut current, 0, total);
    }
    out
}

fn push_with_total(out: &mut Vec<Vec<u32>>, current: &mut Vec<u32>, pos: usize, remaining: u32) {
    if pos + 1 == current.len() {
        current[pos] = remaining;
        out.push(current.clone());
        return;
    }
    if current.is_empty() {
        if remaining == 0 {
            out.push(Vec::new());
        }
        return;
    }
    for a in (0..=remaining).rev() {
        current[pos] = a;
        push_with_total(out, current, pos + 1, remaining - a);
    }
    current[pos] = 0;
}

/// An affine frame `u = (x - centre) / scale` (one scale for all axes, so the frame is a similarity and
/// diameters keep their ratios) together with the exponent list; evaluates Chebyshev features.
#[derive(Clone, Debug)]
pub struct Frame {
    pub centre: Vec<f64>,
    pub scale: f64,
}

impl Frame {
    /// The frame that maps the bounding box of `points` (selected rows of a row-major `?×dim` array) into
    /// `[-1,1]^m`. A cloud of identical points gets scale 1.
    pub fn bounding(
        points: &[f64],
        dim: usize,
        rows: impl Iterator<Item = usize> + Clone,
    ) -> Frame {
        let mut lo = vec![f64::INFINITY; dim];
        let mut hi = vec![f64::NEG_INFINITY; dim];
        for r in rows {
            let p = &points[r * dim..(r + 1) * dim];
            for a in 0..dim {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        let centre: Vec<f64> = lo.iter().zip(&hi).map(|(l, h)| 0.5 * (l + h)).collect();
        let half = lo
            .iter()
            .zip(&hi)
            .map(|(l, h)| 0.5 * (h - l))
            .fold(0.0f64, f64::max);
        let scale = if half > 0.0 && half.is_finite() {
            half
        } else {
            1.0
        };
        Frame { centre, scale }
    }
}

/// Evaluates the `N(m,k)` tensor-Chebyshev features of points in a [`Frame`].
#[derive(Clone, Debug)]
pub struct Features {
    pub dim: usize,
    pub order: usize,
    pub exponents: Vec<Vec<u32>>,
    /// How each feature is made from an earlier one: `T_α = T_β · T_{α_a}(u_a)` with `a` the last
    /// coordinate where `α` is not 0 and `β = α` without it (`β` has a lower degree, so an earlier index);
    /// `(index of β, a * (k+1) + α_a)`. Feature 0 (`α = 0`) is 1.
    steps: Vec<(u32, u32)>,
    /// Scratch: Chebyshev values `T_j(u_a)` at `[a * (k+1) + j]`.
    cheb: Vec<f64>,
}

impl Features {
    pub fn new(dim: usize, order: usize) -> Features {
        let exponents = exponents(dim, order);
        let index: std::collections::HashMap<&[u32], usize> = exponents
            .iter()
            .enumerate()
            .map(|(i, e)| (e.as_slice(), i))
            .collect();
        let mut beta = vec![0u32; dim];
        let steps = exponents
            .iter()
            .map(|alpha| match alpha.iter().rposition(|&e| e > 0) {
                None => (0, 0),
                Some(a) => {
                    beta.copy_from_slice(alpha);
                    beta[a] = 0;
                    let parent = index[beta.as_slice()];
                    (parent as u32, (a * (order + 1)) as u32 + alpha[a])
                }
            })
            .collect();
        Features {
            dim,
            order,
            steps,
            exponents,
            cheb: vec![0.0; dim * (order + 1)],
        }
    }

    pub fn len(&self) -> usize {
        self.exponents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exponents.is_empty()
    }

    /// Writes the features of point `x` (length m) in `frame` into `out` (length N).
    pub fn eval(&mut self, x: &[f64], frame: &Frame, out: &mut [f64]) {
        let k1 = self.order + 1;
        for (a, (&xa, &ca)) in x.iter().zip(&frame.centre).enumerate().take(self.dim) {
            let u = (xa - ca) / frame.scale;
            let t = &mut self.cheb[a * k1..(a + 1) * k1];
            t[0] = 1.0;
            if k1 > 1 {
                t[1] = u;
            }
            for j in 2..k1 {
                t[j] = 2.0 * u * t[j - 1] - t[j - 2];
            }
        }
        // One product per feature, from an earlier one: the same left-to-right product of the factors
        // `T_{α_a}(u_a)` with `α_a > 0` as multiplying all of them in turn (the factors T_0 = 1 are exact).
        let n = self.steps.len().min(out.len());
        if n > 0 {
            out[0] = 1.0;
        }
        for f in 1..n {
            let (parent, factor) = self.steps[f];
            out[f] = out[parent as usize] * self.cheb[factor as usize];
        }
    }

    /// `Σ_i w_i φ(x_i)` over the given rows: the cloud's moment vector in this basis.
    pub fn moment_vector(
        &mut self,
        points: &[f64],
        weights: impl Fn(usize) -> f64,
        rows: impl Iterator<Item = usize>,
        frame: &Frame,
    ) -> Vec<f64> {
        let n = self.len();
        let mut acc = vec![0.0; n];
        let mut phi = vec![0.0; n];
        for r in rows {
            let w = weights(r);
            if w == 0.0 {
                continue;
            }
            self.eval(&points[r * self.dim..(r + 1) * self.dim], frame, &mut phi);
            for (a, p) in acc.iter_mut().zip(&phi) {
                *a += w * p;
            }
        }
        acc
    }
}

/// Raw monomial `x^α`.
pub fn monomial(x: &[f64], alpha: &[u32]) -> f64 {
    x.iter()
        .zip(alpha)
        .map(|(&v, &e)| v.powi(e as i32))
        .product()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_binomials() {
        for m in 1..6 {
            for k in 0..7 {
                assert_eq!(
                    exponents(m, k).len(),
                    n_moments(m, k).unwrap(),
                    "m={m} k={k}"
                );
            }
        }
        assert_eq!(n_moments(3, 5), Some(56));
        assert_eq!(n_moments(4, 6), Some(210));
        assert_eq!(n_moments(8, 3), Some(165));
        assert_eq!(n_moments(2, 0), Some(1));
        assert_eq!(n_moments(200, 100), None);
        // Symmetric in m and k, and O(min(m, k)): huge arguments answer at once.
        assert_eq!(n_moments(5, 3), n_moments(3, 5));
        assert_eq!(n_moments(1, usize::MAX - 1), Some(usize::MAX));
        assert_eq!(n_moments(1, usize::MAX), None);
        assert_eq!(n_moments(usize::MAX, 1), None);
        assert_eq!(n_moments(usize::MAX, usize::MAX), None);
        assert_eq!(n_moments(0, usize::MAX), Some(1));
        assert_eq!(n_moments(2, 1 << 32), Some((1 << 63) + (3 << 31) + 1));
        assert_eq!(n_moments(2, 1 << 33), None);
    }

    #[test]
    fn graded_order() {
        let e = exponents(2, 2);
        assert_eq!(
            e,
            vec![
                vec![0, 0],
                vec![1, 0],
                vec![0, 1],
                vec![2, 0],
                vec![1, 1],
                vec![0, 2]
            ]
        );
    }

    /// Each feature is built from an earlier one with one product; that is bit for bit the product of its
    /// Chebyshev factors taken left to right, as the plain definition computes it.
    #[test]
    fn features_equal_the_product_of_their_factors() {
        for (dim, order) in [(1, 6), (2, 5), (3, 5), (4, 6), (8, 3), (5, 0)] {
            let mut f = Features::new(dim, order);
            let frame = Frame {
                centre: vec![0.1; dim],
                scale: 0.9,
            };
            let mut out = vec![0.0; f.len()];
            for p in 0..20 {
                let x: Vec<f64> = (0..dim)
                    .map(|a| ((p * 7 + a * 3) % 11) as f64 / 5.5 - 1.0)
                    .collect();
                f.eval(&x, &frame, &mut out);
                for (alpha, &got) in f.exponents.iter().zip(&out) {
                    let mut want = 1.0f64;
                    for (a, &e) in alpha.iter().enumerate() {
                        let u = (x[a] - frame.centre[a]) / frame.scale;
                        let (mut t0, mut t1) = (1.0f64, u);
                        for _ in 0..e {
                            (t0, t1) = (t1, 2.0 * u * t1 - t0);
                        }
                        want *= t0;
                    }
                    assert_eq!(got.to_bits(), want.to_bits(), "m={dim} k={order} {alpha:?}");
                }
            }
        }
    }

    #[test]
    fn chebyshev_features() {
        let mut f = Features::new(2, 3);
        let frame = Frame {
            centre: vec![0.0, 0.0],
            scale: 1.0,
        };
        let mut out = vec![0.0; f.len()];
        f.eval(&[0.5, -0.25], &frame, &mut out);
        // T3(0.5) = 4*0.125 - 3*0.5 = -1; T2(-0.25) = 2*0.0625 - 1 = -0.875
        let idx30 = f.exponents.iter().position(|a| a == &vec![3, 0]).unwrap();
        let idx02 = f.exponents.iter().position(|a| a == &vec![0, 2]).unwrap();
        assert!((out[idx30] + 1.0).abs() < 1e-15);
        assert!((out[idx02] + 0.875).abs() < 1e-15);
    }
}
