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
//! **Which null direction.** Both `z` and `-z` keep the moments; each step takes the sign whose step
//! `t` is smaller, so the elimination moves less weight (`t ‖z‖`) and changes the order-(k+1) moments —
//! what the error it causes is made of (`t ‖H z‖`, `H` the degree-(k+1) features) — by less.
//!
//! **Lookahead.** A cluster of more than `N(m,k+1)` points has null directions that keep the moments of
//! order k+1 as well; an elimination along one of them perturbs a smooth function only at order k+2.
//! With [`Lookahead::First`] (the default) such a cluster is first peeled at order k+1 down to
//! `N(m,k+1)` points and then at order k; with [`Lookahead::Only`] it stops at `N(m,k+1)` points (a
//! cluster of at most `N(m,k+1)` points is always peeled at order k). Either way every moment up to
//! order k is kept. The extra factorisation is `N(m,k+1) × n` instead of `N × n`.
//!
//! Features are computed in the cluster's own frame (see [`super::basis`]), so the result does not depend
//! on where the cluster sits or how large it is.

use super::basis::{Features, Frame, n_moments};
use super::linalg::{PivotedQr, axpy, dot};

/// Relative threshold on `|R_jj| / |R_00|` below which a direction counts as null.
pub const RANK_TOL: f64 = 1e-11;

/// A cluster's moments are polished by least squares only when peeling left a residual above this
/// fraction of their norm (peeling alone usually stays at a few ulps; the polish costs a second QR).
pub const POLISH_ABOVE: f64 = 1e-14;

/// Whether a cluster of more than `N(m,k+1)` points is first peeled keeping its order-(k+1) moments too
/// (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lookahead {
    /// Order k only.
    Off,
    /// Order k+1 down to `N(m,k+1)` points, then order k as far as asked.
    #[default]
    First,
    /// Order k+1 down to `N(m,k+1)` points and no further; order k only for clusters that small.
    Only,
}

/// Scratch buffers for [`reduce_cluster_with`], reused across clusters so that a compression allocates
/// once rather than per factorisation.
#[derive(Default)]
pub struct Workspace {
    /// How clusters larger than `N(m,k+1)` are peeled.
    pub lookahead: Lookahead,
    /// The order-(k+1) features, made on first use.
    next: Option<Features>,
    a: Vec<f64>,
    c: Vec<f64>,
    target: Vec<f64>,
    qr: PivotedQr,
    /// Null-space basis, vector-major: `nb` vectors of length `n`.
    basis: Vec<f64>,
    z: Vec<f64>,
    y: Vec<f64>,
    alive: Vec<bool>,
    gone: Vec<usize>,
    res: Vec<f64>,
    idx: Vec<usize>,
    qr2: PivotedQr,
    qtb: Vec<f64>,
    delta: Vec<f64>,
    trial: Vec<f64>,
}

/// Reduces the weights of `members` in place (weights indexed like the rows of `points`), removing at most
/// `max_removals` points. Removed points get weight exactly 0. Returns how many were removed.
pub fn reduce_cluster(
    points: &[f64],
    features: &mut Features,
    weights: &mut [f64],
    members: &[usize],
    max_removals: usize,
) -> usize {
    reduce_cluster_with(
        &mut Workspace::default(),
        points,
        features,
        weights,
        members,
        max_removals,
    )
}

/// [`reduce_cluster`] with caller-held scratch buffers.
pub fn reduce_cluster_with(
    ws: &mut Workspace,
    points: &[f64],
    features: &mut Features,
    weights: &mut [f64],
    members: &[usize],
    max_removals: usize,
) -> usize {
    let n = members.len();
    if n == 0 || max_removals == 0 {
        return 0;
    }
    ws.c.clear();
    ws.c.extend(members.iter().map(|&p| weights[p]));
    let removed = peel(ws, points, features, members, max_removals);
    for (j, &p) in members.iter().enumerate() {
        weights[p] = ws.new_weight(j);
    }
    removed
}

/// The same reduction on a cluster whose weights are given in member order; returns the number removed
/// and the new weights in member order. Touches no shared state, so clusters with disjoint members can be
/// reduced on different threads and give exactly what [`reduce_cluster_with`] gives one after the other.
pub fn reduce_members(
    ws: &mut Workspace,
    points: &[f64],
    features: &mut Features,
    members: &[usize],
    member_weights: &[f64],
    max_removals: usize,
) -> (usize, Vec<f64>) {
    let n = members.len();
    if n == 0 || max_removals == 0 {
        return (0, member_weights.to_vec());
    }
    ws.c.clear();
    ws.c.extend_from_slice(member_weights);
    let removed = peel(ws, points, features, members, max_removals);
    (removed, (0..n).map(|j| ws.new_weight(j)).collect())
}

impl Workspace {
    pub fn new(lookahead: Lookahead) -> Workspace {
        Workspace {
            lookahead,
            ..Workspace::default()
        }
    }

    /// Member `j`'s weight after [`peel`]: exactly 0 if it left.
    fn new_weight(&self, j: usize) -> f64 {
        if self.alive[j] {
            self.c[j].max(0.0)
        } else {
            0.0
        }
    }
}

/// Peels the cluster `members` whose weights are in `ws.c` (member order), leaving the new weights in
/// `ws.c` and who survived in `ws.alive`. `members` is not empty and `max_removals > 0`. With lookahead,
/// a cluster of more than `N(m,k+1)` points is first peeled at order k+1 (see the module docs).
fn peel(
    ws: &mut Workspace,
    points: &[f64],
    features: &mut Features,
    members: &[usize],
    max_removals: usize,
) -> usize {
    let n = members.len();
    let (dim, order) = (features.dim, features.order);
    let n_up = match ws.lookahead {
        Lookahead::Off => None,
        _ => order.checked_add(1).and_then(|o| n_moments(dim, o)),
    };
    let Some(n_up) = n_up.filter(|&n_up| n > n_up) else {
        return peel_at_order(ws, points, features, members, max_removals);
    };
    let mut next = ws
        .next
        .take()
        .filter(|f| f.dim == dim && f.order == order + 1)
        .unwrap_or_else(|| Features::new(dim, order + 1));
    let removed = peel_at_order(ws, points, &mut next, members, max_removals.min(n - n_up));
    ws.next = Some(next);
    if ws.lookahead == Lookahead::Only || removed >= max_removals {
        return removed;
    }
    // Go on at order k with the survivors and their new weights.
    let survivors: Vec<usize> = (0..n).filter(|&j| ws.alive[j]).collect();
    let sub: Vec<usize> = survivors.iter().map(|&j| members[j]).collect();
    let mut c = std::mem::take(&mut ws.c);
    let mut alive = std::mem::take(&mut ws.alive);
    ws.c.extend(survivors.iter().map(|&j| c[j]));
    let more = peel_at_order(ws, points, features, &sub, max_removals - removed);
    for (k, &j) in survivors.iter().enumerate() {
        c[j] = if ws.alive[k] { ws.c[k] } else { 0.0 };
        alive[j] = ws.alive[k];
    }
    ws.c = c;
    ws.alive = alive;
    removed + more
}

/// [`peel`] matching the moments of `features` (the order-k or the order-(k+1) ones).
fn peel_at_order(
    ws: &mut Workspace,
    points: &[f64],
    features: &mut Features,
    members: &[usize],
    max_removals: usize,
) -> usize {
    let dim = features.dim;
    let n_mom = features.len();
    let n = members.len();
    let frame = Frame::bounding(points, dim, members.iter().copied());
    ws.a.clear();
    ws.a.resize(n_mom * n, 0.0);
    for (j, &p) in members.iter().enumerate() {
        features.eval(
            &points[p * dim..(p + 1) * dim],
            &frame,
            &mut ws.a[j * n_mom..(j + 1) * n_mom],
        );
    }
    mat_vec_into(&ws.a, n_mom, &ws.c, &mut ws.target);
    ws.qr.load(n_mom, n).copy_from_slice(&ws.a);
    ws.qr.factor(n_mom, n, RANK_TOL);
    ws.qr.null_space_into(&mut ws.basis, &mut ws.y);
    let mut nb = n - ws.qr.rank;
    ws.alive.clear();
    ws.alive.resize(n, true);
    let c = &mut ws.c;
    let alive = &mut ws.alive;
    let basis = &mut ws.basis;
    let z = &mut ws.z;
    let c_max = c.iter().cloned().fold(0.0, f64::max);
    let weight_floor = 1e-14 * c_max;
    let mut removed = 0;

    while removed < max_removals && nb > 0 {
        nb -= 1;
        z.clear();
        z.extend_from_slice(&basis[nb * n..(nb + 1) * n]);
        // A usable direction must move some alive weight. Both signs keep the moments; take the one whose
        // step t = min c_i / z_i (over z_i > 0) is smaller: it moves less weight.
        let (zmax, zmin) = alive_extremes(z, alive);
        if zmax.max(-zmin) <= 1e-300 {
            continue;
        }
        if zmax <= 0.0 || (zmin < 0.0 && smaller_step_is_negative(z, c, alive)) {
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
        ws.gone.clear();
        ws.gone.push(star);
        for i in 0..n {
            if alive[i] && i != star && c[i] <= weight_floor {
                ws.gone.push(i);
            }
        }
        for &g in &ws.gone {
            alive[g] = false;
            c[g] = 0.0;
        }
        removed += ws.gone.len();
        // Keep the remaining basis in the null space and zero on the departed points.
        let zs = z[star];
        for b in basis[..nb * n].chunks_exact_mut(n) {
            let f = b[star] / zs;
            if f != 0.0 {
                axpy(-f, z, b);
            }
            b[star] = 0.0;
        }
        for &g in &ws.gone[1..] {
            nb = eliminate_coordinate(basis, n, nb, g);
        }
    }
    if removed > 0 {
        polish(ws, n_mom);
    }
    removed
}

/// Whether the step along `-z` (`min c_i / -z_i` over alive `z_i < 0`) is strictly smaller than along `z`.
fn smaller_step_is_negative(z: &[f64], c: &[f64], alive: &[bool]) -> bool {
    let (mut up, mut down) = (f64::INFINITY, f64::INFINITY);
    for ((&v, &ci), &a) in z.iter().zip(c).zip(alive) {
        if a && v > 0.0 {
            up = up.min(ci / v);
        } else if a && v < 0.0 {
            down = down.min(ci / -v);
        }
    }
    down < up
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

/// Makes every basis vector (the first `nb` of `basis`, length `n` each) vanish at coordinate `g`,
/// spending the vector with the largest entry there (it is swapped out to the end, like `swap_remove`).
/// Returns the new count.
fn eliminate_coordinate(basis: &mut [f64], n: usize, nb: usize, g: usize) -> usize {
    let mut best = None;
    let mut best_v = 0.0;
    for i in 0..nb {
        let v = basis[i * n + g].abs();
        // Ties keep the later vector, as `max_by` did.
        if v > 0.0 && v >= best_v {
            best_v = v;
            best = Some(i);
        }
    }
    let Some(pi) = best else { return nb };
    let last = nb - 1;
    if pi != last {
        let (lo, hi) = basis.split_at_mut(last * n);
        lo[pi * n..(pi + 1) * n].swap_with_slice(&mut hi[..n]);
    }
    let (rest, p) = basis.split_at_mut(last * n);
    let p = &p[..n];
    for b in rest.chunks_exact_mut(n) {
        let f = b[g] / p[g];
        axpy(-f, p, b);
        b[g] = 0.0;
    }
    last
}

/// `y = A c` for a column-major `rows × (c.len())` matrix.
fn mat_vec_into(a: &[f64], rows: usize, c: &[f64], y: &mut Vec<f64>) {
    y.clear();
    y.resize(rows, 0.0);
    for (j, &cj) in c.iter().enumerate() {
        if cj != 0.0 {
            axpy(cj, &a[j * rows..(j + 1) * rows], y);
        }
    }
}

/// One least-squares correction of the survivors' weights towards the cluster's original moments, done
/// only when peeling left more than rounding noise ([`POLISH_ABOVE`]) and kept only if it keeps all
/// weights ≥ 0 and lowers the residual.
fn polish(ws: &mut Workspace, rows: usize) {
    let n = ws.c.len();
    ws.idx.clear();
    ws.idx.extend((0..n).filter(|&i| ws.alive[i]));
    if ws.idx.is_empty() {
        return;
    }
    mat_vec_into(&ws.a, rows, &ws.c, &mut ws.res);
    for (r, t) in ws.res.iter_mut().zip(&ws.target) {
        *r = t - *r;
    }
    let before = dot(&ws.res, &ws.res).sqrt();
    let scale = dot(&ws.target, &ws.target).sqrt();
    if before == 0.0 || before <= POLISH_ABOVE * scale {
        return;
    }
    let m = ws.idx.len();
    let sub = ws.qr2.load(rows, m);
    for (k, &i) in ws.idx.iter().enumerate() {
        sub[k * rows..(k + 1) * rows].copy_from_slice(&ws.a[i * rows..(i + 1) * rows]);
    }
    ws.qr2.factor(rows, m, 1e-14);
    ws.qr2
        .solve_least_squares_into(&ws.res, &mut ws.qtb, &mut ws.delta);
    ws.trial.clear();
    ws.trial.extend_from_slice(&ws.c);
    for (k, &i) in ws.idx.iter().enumerate() {
        ws.trial[i] += ws.delta[k];
        if ws.trial[i] < 0.0 {
            return;
        }
    }
    mat_vec_into(&ws.a, rows, &ws.trial, &mut ws.res);
    let after = ws
        .res
        .iter()
        .zip(&ws.target)
        .map(|(u, v)| (u - v) * (u - v))
        .sum::<f64>()
        .sqrt();
    if after < before {
        ws.c.copy_from_slice(&ws.trial);
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

    /// Relative residual of the moments of `feats` (order k or k+1) between weights `a` and `b`.
    fn moment_residual(feats: &mut Features, points: &[f64], a: &[f64], b: &[f64]) -> f64 {
        let n = a.len();
        let frame = Frame::bounding(points, feats.dim, 0..n);
        let ma = feats.moment_vector(points, |i| a[i], 0..n, &frame);
        let mb = feats.moment_vector(points, |i| b[i], 0..n, &frame);
        let num: f64 = ma.iter().zip(&mb).map(|(u, v)| (u - v).powi(2)).sum();
        (num / ma.iter().map(|u| u * u).sum::<f64>()).sqrt()
    }

    #[test]
    fn lookahead_keeps_the_next_order_while_the_cluster_is_large() {
        let (dim, order) = (2, 3);
        let mut feats = Features::new(dim, order);
        let mut next = Features::new(dim, order + 1);
        let (n_mom, n_up) = (feats.len(), next.len());
        let mut rng = seeded(13);
        let n = 3 * n_mom;
        let points: Vec<f64> = (0..n * dim).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let w0: Vec<f64> = (0..n).map(|_| uniform(&mut rng, 0.5, 2.0)).collect();
        let members: Vec<usize> = (0..n).collect();
        let alive = |w: &[f64]| w.iter().filter(|&&x| x > 0.0).count();
        for (mode, cap, kept) in [
            // First: order k+1 down to N(m,k+1) points, then order k down to N.
            (Lookahead::First, n - n_up, n_up),
            (Lookahead::First, usize::MAX, n_mom),
            // Only: stops at N(m,k+1) points.
            (Lookahead::Only, usize::MAX, n_up),
            (Lookahead::Off, usize::MAX, n_mom),
        ] {
            let mut w = w0.clone();
            let mut ws = Workspace::new(mode);
            reduce_cluster_with(&mut ws, &points, &mut feats, &mut w, &members, cap);
            assert_eq!(alive(&w), kept, "{mode:?} cap {cap}");
            assert!(w.iter().all(|&x| x >= 0.0));
            let res_k = moment_residual(&mut feats, &points, &w0, &w);
            assert!(res_k < 1e-13, "{mode:?}: order-k residual {res_k:e}");
            let res_up = moment_residual(&mut next, &points, &w0, &w);
            if kept == n_up && mode != Lookahead::Off {
                assert!(res_up < 1e-13, "{mode:?}: order-(k+1) residual {res_up:e}");
            } else {
                // Order k alone does not keep the next order: the check above is not vacuous.
                assert!(res_up > 1e-8, "{mode:?}: order-(k+1) residual {res_up:e}");
            }
        }
    }

    #[test]
    fn the_smaller_step_decides_the_sign() {
        let alive = [true; 3];
        // +z: min(1/1) = 1; -z: min(0.5/1) = 0.5, smaller.
        assert!(smaller_step_is_negative(
            &[1.0, -1.0, 0.0],
            &[1.0, 0.5, 9.0],
            &alive
        ));
        assert!(!smaller_step_is_negative(
            &[1.0, -1.0, 0.0],
            &[0.5, 1.0, 9.0],
            &alive
        ));
        // A dead point does not count.
        assert!(!smaller_step_is_negative(
            &[1.0, -1.0, 0.0],
            &[1.0, 0.5, 9.0],
            &[true, false, true]
        ));
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
