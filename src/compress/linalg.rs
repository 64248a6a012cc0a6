//! Dense kernels for recombination: Householder QR with column pivoting of a short, wide matrix.
//!
//! For a cluster of `n` points and `N` moments, `A` is `N × n` (column j = features of point j), stored
//! column-major so that every column is contiguous. `A P = Q R` with `R = [R11 R12]`, `R11` upper
//! triangular `r × r`, where the numerical rank `r` is the number of diagonal entries above
//! `rank_tol · |R_00|`. The null space of `A` is then spanned by the `n - r` columns of
//! `P [ -R11⁻¹ R12 ; I ]` — one vector per free column, each with a 1 at its own free column and 0 at
//! every other free column. That structure is what lets [`super::recombine`] peel many points with one
//! factorisation.
//!
//! Cost: the factorisation is `O(N · n · min(N, n))` flops; each null vector is a triangular solve,
//! `O(r²)`; a least-squares solve with the stored reflectors is `O(N · r)`.

#[cfg(target_arch = "x86_64")]
use multiversion::multiversion;

/// How many null vectors [`PivotedQr::null_space_into`] back-substitutes together.
const NULL_GROUP: usize = 8;

/// A column-pivoted QR factorisation of an `rows × cols` column-major matrix, kept in place.
///
/// The storage is reusable: [`PivotedQr::load`] sizes the matrix buffer for the caller to fill and
/// [`PivotedQr::factor`] factorises it, so a compressor that reduces thousands of clusters allocates once.
#[derive(Clone, Debug, Default)]
pub struct PivotedQr {
    pub rows: usize,
    pub cols: usize,
    /// Column-major storage: R on and above the diagonal, Householder vectors below (LAPACK style).
    a: Vec<f64>,
    /// Householder scalars τ_j: `H_j = I - τ_j v_j v_jᵀ`, `v_j[j] = 1`.
    tau: Vec<f64>,
    /// `perm[j]` = original column index now at position j.
    pub perm: Vec<usize>,
    /// Numerical rank.
    pub rank: usize,
    norms: Vec<f64>,
    norms_ref: Vec<f64>,
}

impl PivotedQr {
    /// Factorises `a` (column-major, `rows × cols`). Entries must be finite.
    pub fn new(a: Vec<f64>, rows: usize, cols: usize, rank_tol: f64) -> PivotedQr {
        debug_assert_eq!(a.len(), rows * cols);
        let mut qr = PivotedQr {
            a,
            ..PivotedQr::default()
        };
        qr.factor(rows, cols, rank_tol);
        qr
    }

    /// Sizes the matrix buffer for an `rows × cols` matrix and returns it (column-major) for filling.
    pub fn load(&mut self, rows: usize, cols: usize) -> &mut [f64] {
        self.a.clear();
        self.a.resize(rows * cols, 0.0);
        &mut self.a
    }

    /// Factorises the matrix in the buffer (filled through [`PivotedQr::load`] or given to `new`).
    pub fn factor(&mut self, rows: usize, cols: usize, rank_tol: f64) {
        debug_assert_eq!(self.a.len(), rows * cols);
        self.rows = rows;
        self.cols = cols;
        self.perm.clear();
        self.perm.extend(0..cols);
        self.tau.clear();
        self.tau.resize(rows.min(cols), 0.0);
        self.rank = householder_pivoted(
            &mut self.a,
            rows,
            cols,
            rank_tol,
            &mut self.perm,
            &mut self.tau,
            &mut self.norms,
            &mut self.norms_ref,
        );
    }

    /// `y = -R11⁻¹ R12[:, f]` for free column `f` (≥ rank), by column-oriented back substitution.
    pub fn null_coefficients(&self, f: usize, y: &mut Vec<f64>) {
        let r = self.rank;
        let rows = self.rows;
        y.clear();
        y.extend(self.a[f * rows..f * rows + r].iter().map(|v| -v));
        for i in (0..r).rev() {
            let col = &self.a[i * rows..i * rows + i + 1];
            let yi = y[i] / col[i];
            y[i] = yi;
            axpy(-yi, &col[..i], &mut y[..i]);
        }
    }

    /// The null-space basis `P [ -R11⁻¹ R12 ; I ]`: `cols - rank` vectors of length `cols`, in the
    /// original column order. Vector `f` has a 1 at original column `perm[rank + f]`.
    pub fn null_space(&self) -> Vec<Vec<f64>> {
        let r = self.rank;
        let mut flat = Vec::new();
        self.null_space_into(&mut flat, &mut Vec::new());
        flat.chunks_exact(self.cols.max(1))
            .take(self.cols - r)
            .map(|c| c.to_vec())
            .collect()
    }

    /// The same basis written row after row into `out` (`(cols - rank) × cols`, vector-major).
    pub fn null_space_into(&self, out: &mut Vec<f64>, y: &mut Vec<f64>) {
        let r = self.rank;
        let n = self.cols;
        out.clear();
        out.resize((n - r) * n, 0.0);
        // The back substitutions of [`Self::null_coefficients`], eight right-hand sides at a time: each
        // column of R11 is read once per group instead of once per vector (R11 of a 462-point ball does
        // not fit in a core's cache), and each vector gets exactly the operations it would alone.
        let rows = self.rows;
        let mut f0 = r;
        while f0 < n {
            let group = (n - f0).min(NULL_GROUP);
            y.clear();
            for f in f0..f0 + group {
                y.extend(self.a[f * rows..f * rows + r].iter().map(|v| -v));
            }
            for i in (0..r).rev() {
                let col = &self.a[i * rows..i * rows + i + 1];
                for yf in y.chunks_exact_mut(r.max(1)).take(group) {
                    let yi = yf[i] / col[i];
                    yf[i] = yi;
                    axpy(-yi, &col[..i], &mut yf[..i]);
                }
            }
            for g in 0..group {
                let f = f0 + g;
                let v = &mut out[(f - r) * n..(f - r + 1) * n];
                for i in 0..r {
                    v[self.perm[i]] = y[g * r + i];
                }
                v[self.perm[f]] = 1.0;
            }
            f0 += group;
        }
    }

    /// Basic least-squares solution of `A x = b` (x has zeros on the non-pivot columns).
    pub fn solve_least_squares(&self, b: &[f64]) -> Vec<f64> {
        let mut x = Vec::new();
        self.solve_least_squares_into(b, &mut Vec::new(), &mut x);
        x
    }

    /// [`PivotedQr::solve_least_squares`] with caller-held buffers (`qtb` scratch, `x` output).
    pub fn solve_least_squares_into(&self, b: &[f64], qtb: &mut Vec<f64>, x: &mut Vec<f64>) {
        let rows = self.rows;
        qtb.clear();
        qtb.extend_from_slice(b);
        for j in 0..self.rank {
            let v = &self.a[j * rows + j + 1..(j + 1) * rows];
            let (top, low) = qtb.split_at_mut(j + 1);
            let s = (top[j] + dot(v, low)) * self.tau[j];
            top[j] -= s;
            axpy(-s, v, low);
        }
        let r = self.rank;
        // Back substitution, column oriented, in place in qtb[..r].
        for i in (0..r).rev() {
            let col = &self.a[i * rows..i * rows + i + 1];
            let yi = qtb[i] / col[i];
            qtb[i] = yi;
            axpy(-yi, &col[..i], &mut qtb[..i]);
        }
        x.clear();
        x.resize(self.cols, 0.0);
        for i in 0..r {
            x[self.perm[i]] = qtb[i];
        }
    }
}

/// The factorisation behind [`PivotedQr::factor`]: Householder QR with column pivoting of the
/// column-major `rows × cols` matrix `a`, in place; `perm` (holding `0..cols`) and `tau` (`min(rows,
/// cols)` long) receive the pivots and reflector scalars. Returns the numerical rank.
///
/// Compiled twice, for baseline x86-64 and for AVX2, and chosen at run time: every floating-point
/// operation is the same in both (no fused multiply-add), so the result does not depend on the CPU.
#[allow(clippy::too_many_arguments)]
#[cfg_attr(target_arch = "x86_64", multiversion(targets("x86_64+avx2")))]
fn householder_pivoted(
    a: &mut [f64],
    rows: usize,
    cols: usize,
    rank_tol: f64,
    perm: &mut [usize],
    tau: &mut [f64],
    norms: &mut Vec<f64>,
    norms_ref: &mut Vec<f64>,
) -> usize {
    let steps = rows.min(cols);
    // Squared norms of the not-yet-factored part of each column; recomputed exactly when the
    // down-dated value has lost too many digits.
    norms.clear();
    norms.extend((0..cols).map(|j| sq_norm(&a[j * rows..(j + 1) * rows])));
    norms_ref.clear();
    norms_ref.extend_from_slice(norms);
    let mut rank = 0;
    let mut r00 = 0.0f64;
    for j in 0..steps {
        // Pivot: the remaining column of largest norm (first one on ties).
        let (mut p, mut best) = (j, -1.0);
        for (c, &nrm) in norms.iter().enumerate().skip(j) {
            if nrm > best {
                best = nrm;
                p = c;
            }
        }
        if p != j {
            swap_columns(a, rows, j, p);
            perm.swap(j, p);
            norms.swap(j, p);
            norms_ref.swap(j, p);
        }
        // Householder reflector for column j, rows j..
        let col = &mut a[j * rows..(j + 1) * rows];
        let alpha = col[j];
        let sigma = sq_norm(&col[j + 1..]);
        let norm = (alpha * alpha + sigma).sqrt();
        if j == 0 {
            r00 = norm;
        }
        if norm <= rank_tol * r00 || norm == 0.0 {
            break;
        }
        rank = j + 1;
        let beta = if alpha <= 0.0 { norm } else { -norm };
        let v0 = alpha - beta;
        let tj = (beta - alpha) / beta;
        tau[j] = tj;
        for x in col[j + 1..].iter_mut() {
            *x /= v0;
        }
        col[j] = beta;
        // Apply H_j to the remaining columns: one dot and one axpy each, four columns per pass over v.
        let (head, tail) = a.split_at_mut((j + 1) * rows);
        let v = &head[j * rows + j + 1..(j + 1) * rows];
        let mut quads = tail.chunks_exact_mut(4 * rows);
        for (g, quad) in quads.by_ref().enumerate() {
            let (c01, c23) = quad.split_at_mut(2 * rows);
            let (c0, c1) = c01.split_at_mut(rows);
            let (c2, c3) = c23.split_at_mut(rows);
            reflect4(v, tj, j, [c0, c1, c2, c3]);
            for (k, cc) in quad.chunks_exact(rows).enumerate() {
                downdate_norm(cc, j, j + 1 + 4 * g + k, norms, norms_ref);
            }
        }
        let done = (cols - j - 1) / 4 * 4;
        for (c, cc) in quads.into_remainder().chunks_exact_mut(rows).enumerate() {
            let (top, low) = cc.split_at_mut(j + 1);
            let s = (top[j] + dot(v, low)) * tj;
            top[j] -= s;
            axpy(-s, v, low);
            downdate_norm(cc, j, j + 1 + done + c, norms, norms_ref);
        }
    }
    rank
}

/// After column `cc` got reflector `j`: its squared norm below row `j` loses `cc[j]²`, recomputed exactly
/// when the down-dated value has lost too many digits.
#[inline(always)]
fn downdate_norm(cc: &[f64], j: usize, col: usize, norms: &mut [f64], norms_ref: &mut [f64]) {
    let t = cc[j];
    norms[col] -= t * t;
    if norms[col] <= 1e-6 * norms_ref[col] {
        norms[col] = sq_norm(&cc[j + 1..]);
        norms_ref[col] = norms[col];
    }
}

/// `H = I - τ [1; v] [1; v]ᵀ` applied to rows `j..` of four columns at once: for each column exactly the
/// operations of `s = (c_j + dot(v, c_low)) τ; c_j -= s; axpy(-s, v, c_low)`, in the same order (so the
/// same bits), but `v` is read once for all four.
#[inline(always)]
fn reflect4(v: &[f64], tau: f64, j: usize, cols: [&mut [f64]; 4]) {
    let [c0, c1, c2, c3] = cols;
    let (t0, l0) = c0.split_at_mut(j + 1);
    let (t1, l1) = c1.split_at_mut(j + 1);
    let (t2, l2) = c2.split_at_mut(j + 1);
    let (t3, l3) = c3.split_at_mut(j + 1);
    let n = v.len();
    let (l0, l1, l2, l3) = (&mut l0[..n], &mut l1[..n], &mut l2[..n], &mut l3[..n]);
    let body = n / 8 * 8;
    // Eight lanes per column, each `lane += x * y` in turn: plain vertical adds (the same bits as `dot`'s
    // lanes). One array per column and whole-chunk iterators: with one `[[f64; 8]; 4]` LLVM vectorised
    // across the columns and spent most of the loop shuffling.
    let (mut a0, mut a1, mut a2, mut a3) = ([0.0f64; 8], [0.0f64; 8], [0.0f64; 8], [0.0f64; 8]);
    for ((((x, y0), y1), y2), y3) in v[..body]
        .chunks_exact(8)
        .zip(l0[..body].chunks_exact(8))
        .zip(l1[..body].chunks_exact(8))
        .zip(l2[..body].chunks_exact(8))
        .zip(l3[..body].chunks_exact(8))
    {
        for l in 0..8 {
            a0[l] += x[l] * y0[l];
        }
        for l in 0..8 {
            a1[l] += x[l] * y1[l];
        }
        for l in 0..8 {
            a2[l] += x[l] * y2[l];
        }
        for l in 0..8 {
            a3[l] += x[l] * y3[l];
        }
    }
    // The identity, as an optimisation barrier: without it LLVM still pairs the four columns' lanes up
    // for the four-column reduction below and shuffles inside the loop.
    let acc = std::hint::black_box([a0, a1, a2, a3]);
    let mut s = [0.0f64; 4];
    let lows: [&[f64]; 4] = [l0, l1, l2, l3];
    for ((sc, a), low) in s.iter_mut().zip(&acc).zip(lows) {
        let mut d = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
        for (x, y) in v[body..].iter().zip(&low[body..]) {
            d += x * y;
        }
        *sc = d;
    }
    let tops = [&mut t0[j], &mut t1[j], &mut t2[j], &mut t3[j]];
    for (sc, top) in s.iter_mut().zip(tops) {
        *sc = (*top + *sc) * tau;
        *top -= *sc;
    }
    // The four axpys in one pass over v (each element gets the same `y += (-s) x` as `axpy`).
    let (n0, n1, n2, n3) = (-s[0], -s[1], -s[2], -s[3]);
    for ((((&x, y0), y1), y2), y3) in v
        .iter()
        .zip(l0.iter_mut())
        .zip(l1.iter_mut())
        .zip(l2.iter_mut())
        .zip(l3.iter_mut())
    {
        *y0 += n0 * x;
        *y1 += n1 * x;
        *y2 += n2 * x;
        *y3 += n3 * x;
    }
}

/// Dot product with eight independent accumulators in a fixed order: vectorisable by LLVM without
/// reassociation, and the same rounding on every platform (no fused multiply-add).
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// `y += alpha x`.
#[inline]
pub fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

#[inline]
fn sq_norm(x: &[f64]) -> f64 {
    dot(x, x)
}

fn swap_columns(a: &mut [f64], rows: usize, i: usize, j: usize) {
    if i == j {
        return;
    }
    let (lo, hi) = (i.min(j), i.max(j));
    let (first, second) = a.split_at_mut(hi * rows);
    first[lo * rows..(lo + 1) * rows].swap_with_slice(&mut second[..rows]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{seeded, standard_normal};

    fn matvec(a: &[f64], rows: usize, cols: usize, x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; rows];
        for j in 0..cols {
            for i in 0..rows {
                y[i] += a[j * rows + i] * x[j];
            }
        }
        y
    }

    #[test]
    fn null_vectors_are_null() {
        let mut rng = seeded(3);
        let (rows, cols) = (10, 17);
        let a: Vec<f64> = (0..rows * cols)
            .map(|_| standard_normal(&mut rng))
            .collect();
        let qr = PivotedQr::new(a.clone(), rows, cols, 1e-13);
        assert_eq!(qr.rank, rows);
        let ns = qr.null_space();
        assert_eq!(ns.len(), cols - rows);
        for v in &ns {
            let r = matvec(&a, rows, cols, v);
            assert!(r.iter().all(|x| x.abs() < 1e-12), "{r:?}");
        }
    }

    #[test]
    fn grouped_null_space_equals_one_vector_at_a_time() {
        // 19 null vectors: two full groups of back substitutions and a partial one.
        let mut rng = seeded(6);
        let (rows, cols) = (12, 31);
        let a: Vec<f64> = (0..rows * cols)
            .map(|_| standard_normal(&mut rng))
            .collect();
        let qr = PivotedQr::new(a, rows, cols, 1e-13);
        let ns = qr.null_space();
        assert_eq!(ns.len(), cols - rows);
        let mut y = Vec::new();
        for (f, v) in (qr.rank..cols).zip(&ns) {
            qr.null_coefficients(f, &mut y);
            let mut alone = vec![0.0; cols];
            for i in 0..qr.rank {
                alone[qr.perm[i]] = y[i];
            }
            alone[qr.perm[f]] = 1.0;
            let bits = |x: &[f64]| x.iter().map(|e| e.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(v), bits(&alone), "null vector {f}");
        }
    }

    #[test]
    fn rank_deficient_detected() {
        // Columns 3 and 4 duplicate 0 and 1: rank 3 in a 5 × 5.
        let mut rng = seeded(4);
        let rows = 5;
        let mut a: Vec<f64> = (0..rows * 3).map(|_| standard_normal(&mut rng)).collect();
        let c0 = a[0..rows].to_vec();
        let c1 = a[rows..2 * rows].to_vec();
        a.extend(c0);
        a.extend(c1);
        let qr = PivotedQr::new(a.clone(), rows, 5, 1e-12);
        assert_eq!(qr.rank, 3);
        for v in qr.null_space() {
            assert!(matvec(&a, rows, 5, &v).iter().all(|x| x.abs() < 1e-12));
        }
    }

    #[test]
    fn least_squares_solves_consistent_system() {
        let mut rng = seeded(5);
        let (rows, cols) = (8, 6);
        let a: Vec<f64> = (0..rows * cols)
            .map(|_| standard_normal(&mut rng))
            .collect();
        let x: Vec<f64> = (0..cols).map(|_| standard_normal(&mut rng)).collect();
        let b = matvec(&a, rows, cols, &x);
        let qr = PivotedQr::new(a, rows, cols, 1e-13);
        let xs = qr.solve_least_squares(&b);
        for (u, v) in x.iter().zip(&xs) {
            assert!((u - v).abs() < 1e-12);
        }
    }
}
