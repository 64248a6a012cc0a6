//! Carathéodory peeling of one cluster (Algorithm 2 of the paper), many points per factorisation.
//!
//! Given a cluster `S` of `n` weighted points with feature matrix `A` (`N × n`) and weights `c ≥ 0`, any
//! `z` with `A z = 0` gives a family `c - t z` with the same moments. Taking
//! `t = min_{z_i > 0} c_i / z_i` keeps every weight non-negative and sends at least one to zero: one point
//! leaves the support, every moment up to order k stays.
//!
//! Instead of one SVD per removed point, the null space is computed once (pivoted QR, `n - r` vectors) and
//! used up vector by vector: after a step with `z` kills point `i*`, every remaining basis vector `b` is
//! replaced by `b - (b_{i*}/z_{i*}) z`, which is still in the null space and now vanishes at `i*`. So a
//! cluster of `n` points drops to `r ≤ N` points for one `O(N² n)` factorisation plus `O(n (n-r)²)` updates.
//! A final least-squares correction on the survivors (accepted only if it keeps all weights ≥ 0 and lowers
//! the residual) puts the cluster's moments back to rounding level.
//!
//! Features are computed in the cluster's own frame (see [`super::basis`]), so the result does not depend
//! on where the cluster sits or how large it is.

use super::basis::{Features, Frame};
use super::linalg::PivotedQr;

/// Relative threshold on `|R_jj| / |R_00|` below which a direction counts as null.
pub const RANK_TOL: f64 = 1e-11;

/// Reduces the weights of `members` in place (weights indexed like the rows of `points`), removing at most
/// `max_removals` points. Removed points get weight exactly 0. Returns how many were removed.
pub fn reduce_cluster(
    points: &[f64],
    features: &mut Features,
    weights: &mut [f64],
    members: &[usize],
    max_removals: usize,
) -> usize {
    let dim = features.dim;
    let n_mom = features.len();
    let n = members.len();
    if n == 0 || max_removals == 0 {
        return 0;
    }
    let frame = Frame::bounding(points, dim, members.iter().copied());
    let mut a = vec![0.0; n_mom * n];
    for (j, &p) in members.iter().enumerate() {
        features.eval(
            &points[p * dim..(p + 1) * dim],
            &frame,
            &mut a[j * n_mom..(j + 1) * n_mom],
        );
    }
    let mut c: Vec<f64> = members.iter().map(|&p| weights[p]).collect();
    let target = mat_vec(&a, n_mom, &c);
    let qr = PivotedQr::new(a.clone(), n_mom, n, RANK_TOL);
    let mut basis = qr.null_space();
    let mut alive = vec![true; n];
    let c_max = c.iter().cloned().fold(0.0, f64::max);
    let weight_floor = 1e-14 * c_max;
    let mut removed = 0;

    while removed < max_removals {
        let Some(mut z) = basis.pop() else { break };
        // A usable direction must move some alive weight; orient it so that some entry is positive.
        let (zmax, zmin) = alive_extremes(&z, &alive);
        if zmax.max(-zmin) <= 1e-300 {
            continue;
        }
        if zmax <= 0.0 {
            z.iter_mut().for_each(|v| *v = -*v);
        }
        let mut t = f64::INFINITY;
        let mut star = usize::MAX;
        for i in 0..n {
            if alive[i] && z[i] > 0.0 {
                let ratio = c[i] / z[i];
                if ratio < t {
                    t = ratio;
                    star = i;
                }
            }
        }
        for i in 0..n {
            if alive[i] {
                c[i] -= t * z[i];
            }
        }
        // The pivot leaves exactly; points driven to rounding level leave with it.
        let mut gone = vec![star];
        for i in 0..n {
            if alive[i] && i != star && c[i] <= weight_floor {
                gone.push(i);
            }
        }
        for &g in &gone {
            alive[g] = false;
            c[g] = 0.0;
        }
        removed += gone.len();
        // Keep the remaining basis in the null space and zero on the departed points.
        let zs = z[star];
        for b in basis.iter_mut() {
            let f = b[star] / zs;
            if f != 0.0 {
                for (bi, zi) in b.iter_mut().zip(&z) {
                    *bi -= f * zi;
                }
            }
            b[star] = 0.0;
        }
        for &g in &gone[1..] {
            eliminate_coordinate(&mut basis, g);
        }
    }
    if removed > 0 {
        polish(&a, n_mom, &target, &mut c, &alive);
    }
    for (j, &p) in members.iter().enumerate() {
        weights[p] = if alive[j] { c[j].max(0.0) } else { 0.0 };
    }
    removed
}

fn alive_extremes(z: &[f64], alive: &[bool]) -> (f64, f64) {
    let mut hi = f64::NEG_INFINITY;
    let mut lo = f64::INFINITY;
    for (v, &a) in z.iter().zip(alive) {
        if a {
            hi = hi.max(*v);
            lo = lo.min(*v);
        }
    }
    (hi, lo)
}

/// Makes every basis vector vanish at coordinate `g`, spending the vector with the largest entry there.
fn eliminate_coordinate(basis: &mut Vec<Vec<f64>>, g: usize) {
    let Some((pi, _)) = basis
        .iter()
        .enumerate()
        .map(|(i, b)| (i, b[g].abs()))
        .filter(|&(_, v)| v > 0.0)
        .max_by(|x, y| x.1.total_cmp(&y.1))
    else {
        return;
    };
    let p = basis.swap_remove(pi);
    for b in basis.iter_mut() {
        let f = b[g] / p[g];
        for (bi, pv) in b.iter_mut().zip(&p) {
            *bi -= f * pv;
        }
        b[g] = 0.0;
    }
}

/// `A c` for a column-major `rows × (c.len())` matrix.
pub(crate) fn mat_vec(a: &[f64], rows: usize, c: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; rows];
    for (j, &cj) in c.iter().enumerate() {
        if cj != 0.0 {
            for (yi, aij) in y.iter_mut().zip(&a[j * rows..(j + 1) * rows]) {
                *yi += aij * cj;
            }
        }
    }
    y
}

fn residual_norm(a: &[f64], rows: usize, target: &[f64], c: &[f64]) -> f64 {
    let y = mat_vec(a, rows, c);
    y.iter()
        .zip(target)
        .map(|(u, v)| (u - v) * (u - v))
        .sum::<f64>()
        .sqrt()
}

/// One least-squares correction of the survivors' weights towards the cluster's original moments.
fn polish(a: &[f64], rows: usize, target: &[f64], c: &mut [f64], alive: &[bool]) {
    let idx: Vec<usize> = (0..c.len()).filter(|&i| alive[i]).collect();
    if idx.is_empty() {
        return;
    }
    let before = residual_norm(a, rows, target, c);
    if before == 0.0 {
        return;
    }
    let y = mat_vec(a, rows, c);
    let res: Vec<f64> = target.iter().zip(&y).map(|(t, v)| t - v).collect();
    let mut sub = Vec::with_capacity(rows * idx.len());
    for &i in &idx {
        sub.extend_from_slice(&a[i * rows..(i + 1) * rows]);
    }
    let qr = PivotedQr::new(sub, rows, idx.len(), 1e-14);
    let delta = qr.solve_least_squares(&res);
    let mut trial = c.to_vec();
    for (k, &i) in idx.iter().enumerate() {
        trial[i] += delta[k];
        if trial[i] < 0.0 {
            return;
        }
    }
    if residual_norm(a, rows, target, &trial) < before {
        c.copy_from_slice(&trial);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{seeded, uniform};

    #[test]
    fn one_cluster_keeps_moments_and_signs() {
        let (dim, order) = (3, 4);
        let mut feats = Features::new(dim, order);
        let n_mom = feats.len();
        let mut rng = seeded(11);
        let n = 3 * n_mom;
        let points: Vec<f64> = (0..n * dim).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let mut w: Vec<f64> = (0..n).map(|_| uniform(&mut rng, 0.5, 2.0)).collect();
        let members: Vec<usize> = (0..n).collect();
        let frame = Frame::bounding(&points, dim, 0..n);
        let before = feats.moment_vector(&points, |i| w[i], 0..n, &frame);
        let removed = reduce_cluster(&points, &mut feats, &mut w, &members, usize::MAX);
        assert_eq!(removed, n - n_mom);
        assert!(w.iter().all(|&x| x >= 0.0));
        assert_eq!(w.iter().filter(|&&x| x > 0.0).count(), n_mom);
        let after = feats.moment_vector(&points, |i| w[i], 0..n, &frame);
        let scale = before.iter().map(|v| v * v).sum::<f64>().sqrt();
        let err = before
            .iter()
            .zip(&after)
            .map(|(u, v)| (u - v).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(err / scale < 1e-13, "relative residual {}", err / scale);
    }

    #[test]
    fn respects_removal_cap() {
        let mut feats = Features::new(2, 2);
        let mut rng = seeded(12);
        let points: Vec<f64> = (0..40).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let mut w = vec![1.0; 20];
        let members: Vec<usize> = (0..20).collect();
        assert_eq!(reduce_cluster(&points, &mut feats, &mut w, &members, 5), 5);
        assert_eq!(w.iter().filter(|&&x| x > 0.0).count(), 15);
    }
}
