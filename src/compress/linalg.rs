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

/// A column-pivoted QR factorisation of an `rows × cols` column-major matrix, kept in place.
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
}

impl PivotedQr {
    /// Factorises `a` (column-major, `rows × cols`). Entries must be finite.
    pub fn new(mut a: Vec<f64>, rows: usize, cols: usize, rank_tol: f64) -> PivotedQr {
        debug_assert_eq!(a.len(), rows * cols);
        let steps = rows.min(cols);
        let mut perm: Vec<usize> = (0..cols).collect();
        let mut tau = vec![0.0; steps];
        // Squared norms of the not-yet-factored part of each column; recomputed exactly when the
        // down-dated value has lost too many digits.
        let mut norms: Vec<f64> = (0..cols)
            .map(|j| sq_norm(&a[j * rows..(j + 1) * rows]))
            .collect();
        let mut norms_ref = norms.clone();
        let mut rank = 0;
        let mut r00 = 0.0f64;
        for j in 0..steps {
            // Pivot: the remaining column of largest norm.
            let (mut p, mut best) = (j, -1.0);
            for (c, &nrm) in norms.iter().enumerate().skip(j) {
                if nrm > best {
                    best = nrm;
                    p = c;
                }
            }
            if p != j {
                swap_columns(&mut a, rows, j, p);
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
            tau[j] = (beta - alpha) / beta;
            for x in col[j + 1..].iter_mut() {
                *x /= v0;
            }
            col[j] = beta;
            // Apply H_j to the remaining columns.
            let (head, tail) = a.split_at_mut((j + 1) * rows);
            let v = &head[j * rows..(j + 1) * rows];
            for c in 0..cols - j - 1 {
                let cc = &mut tail[c * rows..(c + 1) * rows];
                let mut s = cc[j];
                for i in j + 1..rows {
                    s += v[i] * cc[i];
                }
                s *= tau[j];
                cc[j] -= s;
                for i in j + 1..rows {
                    cc[i] -= s * v[i];
                }
                let col_idx = j + 1 + c;
                let t = cc[j];
                norms[col_idx] -= t * t;
                if norms[col_idx] <= 1e-6 * norms_ref[col_idx] {
                    norms[col_idx] = sq_norm(&cc[j + 1..]);
                    norms_ref[col_idx] = norms[col_idx];
                }
            }
        }
        PivotedQr {
            rows,
            cols,
            a,
            tau,
            perm,
            rank,
        }
    }

    fn r(&self, i: usize, j: usize) -> f64 {
        self.a[j * self.rows + i]
    }

    /// The null-space basis `P [ -R11⁻¹ R12 ; I ]`: `cols - rank` vectors of length `cols`, in the
    /// original column order. Vector `f` has a 1 at original column `perm[rank + f]`.
    pub fn null_space(&self) -> Vec<Vec<f64>> {
        let r = self.rank;
        let mut out = Vec::with_capacity(self.cols - r);
        let mut y = vec![0.0; r];
        for f in r..self.cols {
            // Solve R11 y = -R12[:, f] by back substitution.
            for i in (0..r).rev() {
                let mut s = -self.r(i, f);
                for jj in i + 1..r {
                    s -= self.r(i, jj) * y[jj];
                }
                y[i] = s / self.r(i, i);
            }
            let mut v = vec![0.0; self.cols];
            for i in 0..r {
                v[self.perm[i]] = y[i];
            }
            v[self.perm[f]] = 1.0;
            out.push(v);
        }
        out
    }

    /// Basic least-squares solution of `A x = b` (x has zeros on the non-pivot columns).
    pub fn solve_least_squares(&self, b: &[f64]) -> Vec<f64> {
        let rows = self.rows;
        let mut qtb = b.to_vec();
        for j in 0..self.rank {
            let v = &self.a[j * rows..(j + 1) * rows];
            let mut s = qtb[j];
            for i in j + 1..rows {
                s += v[i] * qtb[i];
            }
            s *= self.tau[j];
            qtb[j] -= s;
            for i in j + 1..rows {
                qtb[i] -= s * v[i];
            }
        }
        let r = self.rank;
        let mut y = vec![0.0; r];
        for i in (0..r).rev() {
            let mut s = qtb[i];
            for jj in i + 1..r {
                s -= self.r(i, jj) * y[jj];
            }
            y[i] = s / self.r(i, i);
        }
        let mut x = vec![0.0; self.cols];
        for i in 0..r {
            x[self.perm[i]] = y[i];
        }
        x
    }
}

fn sq_norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum()
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
