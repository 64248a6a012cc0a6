//! A single causal multi-head attention layer with (weighted) heads: the model of Fig. 7, the dynamical
//! lottery ticket in attention.
//!
//! **Model** (arXiv 2510.00504, App. "attention"): `H` heads of dimension 2 over scalar tokens `t_1..t_T`,
//! no biases, embeddings, positional encoding, MLP, residual or norm. Head `h` has `W_q^h, W_k^h, W_v^h ∈
//! R^{2×1}` and `W_o^h ∈ R^{1×2}`; its context at position `i` is `Σ_{j≤i} softmax_j(q_i·k_j / √2) v_j`
//! and the layer's output is `Σ_h c_h W_o^h · context_h` (`c_h = 1` for an ordinary layer, the
//! compressor's weights for a compressed one). The prediction is the output at the last position.
//!
//! **Only the last row.** With token dimension 1, `q_i·k_j = (W_q^h·W_k^h) t_i t_j` and `v_j = W_v^h t_j`,
//! so at the last position `T` (which sees every token) head `h` contributes
//! `c_h β_h u_h` with `α_h = W_q^h·W_k^h/√2`, `β_h = W_o^h·W_v^h`,
//! `p_j = softmax_j(α_h t_T t_j)` and `u_h = Σ_j p_j t_j`. This is exactly the causal layer's last output —
//! not an approximation (tested against [`Attention::causal_outputs`], the full computation at every
//! position) — at `O(H T)` per sequence instead of `O(H T²)`.
//!
//! **Gradient.** With `g = ∂L/∂y`: `∂y/∂β_h = c_h u_h` and, since `∂u/∂α = t_T Var_p(t)`,
//! `∂y/∂α_h = c_h β_h t_T (Σ_j p_j t_j² − u_h²)`; then `∂α/∂W_q = W_k/√2`, `∂α/∂W_k = W_q/√2`,
//! `∂β/∂W_o = W_v`, `∂β/∂W_v = W_o`. The loss is PyTorch's `MSELoss` (mean over the batch).
//!
//! **Compressed dynamics** (Definition 5, as for neurons): a head of weight `c_h` stands for `c_h` copies;
//! [`GradMode::Compressed`] multiplies head `h`'s gradient by `1/c_h`, and then any elementwise update
//! rule moves the weighted layer exactly like the layer with repeated heads (tested in f64).
//! [`GradMode::Autograd`] leaves the factor `c_h` in (the authors' variant, which relies on Adam's near
//! invariance to a per-parameter scale).
//!
//! **Head objects.** The compressor sees head `h` as `θ_h = (W_q^h, W_k^h, W_v^h, W_o^h) ∈ R^8`
//! ([`Attention::head_objects`]); parameters are stored head-major in that order.
//!
//! **Initialisation** as PyTorch's default `Linear` layers: `W_q, W_k, W_v ~ U(−1, 1)` (fan-in 1),
//! `W_o ~ U(±1/√(2H))` (fan-in `2H`).
//!
//! **Cost.** Forward `≈ 8 H T` flops and `H T` exponentials per sequence; backward `≈ 4 H` more per
//! sequence plus `O(H)` per batch. Memory: `O(H)` parameters and `O(B H)` scratch for a batch of `B`.

use super::NnError;
use super::net::GradMode;
use super::real::Real;
use crate::rng::{seeded, uniform};

/// Parameters per head: `W_q (2), W_k (2), W_v (2), W_o (2)`.
pub const HEAD_PARAMS: usize = 8;

/// Heads processed together in the forward pass (one SIMD-friendly block).
const LANES: usize = 16;

/// A (weighted) multi-head attention layer over scalar tokens. See the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct Attention<T> {
    /// Head-major: `[q0, q1, k0, k1, v0, v1, o0, o1]` per head.
    params: Vec<T>,
    /// Head weights `c_h ≥ 0`.
    c: Vec<T>,
}

/// Reusable scratch of a forward/backward pass.
#[derive(Clone, Debug, Default)]
pub struct AttnWorkspace<T> {
    alpha: Vec<T>,
    beta: Vec<T>,
    /// Per sequence × head: `u_h` and `Σ p t²`.
    u: Vec<T>,
    m2: Vec<T>,

    y: Vec<T>,
    g_alpha: Vec<T>,
    g_beta: Vec<T>,
}

impl<T: Real> Attention<T> {
    /// PyTorch's default initialisation from `seed`, every head weight 1.
    pub fn init(heads: usize, seed: u64) -> Result<Self, NnError> {
        if heads == 0 {
            return Err(NnError::ZeroWidth);
        }
        let mut rng = seeded(seed);
        let bound_o = 1.0 / ((2 * heads) as f64).sqrt();
        let mut params = Vec::with_capacity(HEAD_PARAMS * heads);
        for _ in 0..heads {
            for _ in 0..6 {
                params.push(T::from_f64(uniform(&mut rng, -1.0, 1.0)));
            }
            for _ in 0..2 {
                params.push(T::from_f64(uniform(&mut rng, -bound_o, bound_o)));
            }
        }
        Ok(Attention {
            params,
            c: vec![T::ONE; heads],
        })
    }

    /// A layer from head-major parameters (`8 H` values) and optional head weights (else all 1).
    pub fn from_parts(params: Vec<T>, c: Option<Vec<T>>) -> Result<Self, NnError> {
        if params.is_empty() {
            return Err(NnError::ZeroWidth);
        }
        if !params.len().is_multiple_of(HEAD_PARAMS) {
            return Err(NnError::DimMismatch {
                what: "attention parameters (8 per head)",
                expected: params.len().next_multiple_of(HEAD_PARAMS),
                got: params.len(),
            });
        }
        let heads = params.len() / HEAD_PARAMS;
        if let Some(index) = params.iter().position(|p| !p.is_finite()) {
            return Err(NnError::NonFinite {
                what: "attention parameter",
                index,
            });
        }
        let c = c.unwrap_or_else(|| vec![T::ONE; heads]);
        if c.len() != heads {
            return Err(NnError::DimMismatch {
                what: "head weights",
                expected: heads,
                got: c.len(),
            });
        }
        if let Some((index, v)) = c
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v >= T::ZERO))
        {
            return Err(NnError::BadNeuronWeight {
                index,
                value: v.to_f64(),
            });
        }
        Ok(Attention { params, c })
    }

    /// The heads `indices` (in that order) with weights `weights` (else 1 each).
    pub fn subnetwork(&self, indices: &[usize], weights: Option<&[f64]>) -> Result<Self, NnError> {
        let mut params = Vec::with_capacity(indices.len() * HEAD_PARAMS);
        for &h in indices {
            if h >= self.heads() {
                return Err(NnError::IndexOutOfRange {
                    index: h,
                    len: self.heads(),
                });
            }
            params.extend_from_slice(&self.params[h * HEAD_PARAMS..(h + 1) * HEAD_PARAMS]);
        }
        let c = weights.map(|w| w.iter().map(|&x| T::from_f64(x)).collect());
        Self::from_parts(params, c)
    }

    pub fn heads(&self) -> usize {
        self.c.len()
    }
    pub fn params(&self) -> &[T] {
        &self.params
    }
    pub fn params_mut(&mut self) -> &mut [T] {
        &mut self.params
    }
    pub fn head_weights(&self) -> &[T] {
        &self.c
    }
    pub fn is_finite(&self) -> bool {
        self.params.iter().all(|p| p.is_finite())
    }

    /// Rows `θ_h = (W_q, W_k, W_v, W_o) ∈ R^8`, head by head, for the compressor.
    pub fn head_objects(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.to_f64()).collect()
    }

    /// `α_h = W_q·W_k/√2` and `β_h = W_o·W_v` of every head.
    fn head_scalars(&self, ws: &mut AttnWorkspace<T>) {
        let inv_sqrt2 = T::from_f64(std::f64::consts::FRAC_1_SQRT_2);
        ws.alpha.clear();
        ws.beta.clear();
        for p in self.params.chunks_exact(HEAD_PARAMS) {
            ws.alpha.push((p[0] * p[2] + p[1] * p[3]) * inv_sqrt2);
            ws.beta.push(p[6] * p[4] + p[7] * p[5]);
        }
    }

    /// The last position's output for each of the `tokens.len() / seq_len` sequences (row-major) into
    /// `out`; keeps `u_h` and `Σ p t²` per sequence and head in `ws` for [`Self::loss_and_grad`].
    pub fn predict_with(
        &self,
        tokens: &[T],
        seq_len: usize,
        out: &mut [T],
        ws: &mut AttnWorkspace<T>,
    ) -> Result<(), NnError> {
        let n = check_tokens(tokens, seq_len)?;
        if out.len() != n {
            return Err(NnError::DimMismatch {
                what: "predictions",
                expected: n,
                got: out.len(),
            });
        }
        let h = self.heads();
        self.head_scalars(ws);
        ws.u.resize(n * h, T::ZERO);
        ws.m2.resize(n * h, T::ZERO);

        for (s, seq) in tokens.chunks_exact(seq_len).enumerate() {
            let tq = seq[seq_len - 1];
            // a_j = t_T t_j; the largest score of head h is α_h·max a (α ≥ 0) or α_h·min a.
            let (mut a_max, mut a_min) = (tq * seq[0], tq * seq[0]);
            for &t in seq {
                let a = tq * t;
                if a > a_max {
                    a_max = a;
                }
                if a < a_min {
                    a_min = a;
                }
            }
            let u = &mut ws.u[s * h..(s + 1) * h];
            let m2 = &mut ws.m2[s * h..(s + 1) * h];
            // Blocks of LANES heads kept in registers over the sequence (vectorised across heads); a
            // partial last block is padded with α = 0.
            for (b, (ub, mb)) in u.chunks_mut(LANES).zip(m2.chunks_mut(LANES)).enumerate() {
                let mut al = [T::ZERO; LANES];
                let mut tp = [T::ZERO; LANES];
                for (l, &a) in ws.alpha[b * LANES..].iter().take(LANES).enumerate() {
                    al[l] = a;
                    tp[l] = if a >= T::ZERO { a * a_max } else { a * a_min };
                }
                let (mut z, mut su, mut sm) =
                    ([T::ZERO; LANES], [T::ZERO; LANES], [T::ZERO; LANES]);
                for &t in seq {
                    let a = tq * t;
                    let tt = t * t;
                    for l in 0..LANES {
                        let e = (al[l] * a - tp[l]).exp();
                        z[l] += e;
                        su[l] += e * t;
                        sm[l] += e * tt;
                    }
                }
                for l in 0..ub.len() {
                    let inv = T::ONE / z[l];
                    ub[l] = su[l] * inv;
                    mb[l] = sm[l] * inv;
                }
            }
            let mut y = T::ZERO;
            for ((&c, &b), &uk) in self.c.iter().zip(&ws.beta).zip(u.iter()) {
                y += c * b * uk;
            }
            out[s] = y;
        }
        Ok(())
    }

    /// Predictions of the last position (allocating).
    pub fn predict(&self, tokens: &[T], seq_len: usize) -> Result<Vec<T>, NnError> {
        let mut out = vec![T::ZERO; tokens.len() / seq_len.max(1)];
        self.predict_with(tokens, seq_len, &mut out, &mut AttnWorkspace::default())?;
        Ok(out)
    }

    /// Mean squared error of the last-position predictions against `targets`.
    pub fn loss(&self, tokens: &[T], seq_len: usize, targets: &[T]) -> Result<T, NnError> {
        self.loss_with(tokens, seq_len, targets, &mut AttnWorkspace::default())
    }

    /// [`Self::loss`] with the caller's workspace (no allocation once it has grown to the batch).
    pub fn loss_with(
        &self,
        tokens: &[T],
        seq_len: usize,
        targets: &[T],
        ws: &mut AttnWorkspace<T>,
    ) -> Result<T, NnError> {
        let n = check_tokens(tokens, seq_len)?;
        let mut y = std::mem::take(&mut ws.y);
        y.resize(n, T::ZERO);
        let loss = self
            .predict_with(tokens, seq_len, &mut y, ws)
            .and_then(|()| mse(&y, targets));
        ws.y = y;
        loss
    }

    /// The loss and its gradient with respect to [`Self::params`] (layout of the parameters), under
    /// `mode`, into `grads`.
    pub fn loss_and_grad(
        &self,
        tokens: &[T],
        seq_len: usize,
        targets: &[T],
        mode: GradMode,
        grads: &mut Vec<T>,
        ws: &mut AttnWorkspace<T>,
    ) -> Result<T, NnError> {
        let n = check_tokens(tokens, seq_len)?;
        let mut y = std::mem::take(&mut ws.y);
        y.resize(n, T::ZERO);
        self.predict_with(tokens, seq_len, &mut y, ws)?;
        let loss = mse(&y, targets);
        if loss.is_err() {
            // Targets of the wrong length: the error, before the gradient loop reads them.
            ws.y = y;
            return loss;
        }
        let h = self.heads();
        ws.g_alpha.clear();
        ws.g_alpha.resize(h, T::ZERO);
        ws.g_beta.clear();
        ws.g_beta.resize(h, T::ZERO);
        let scale = T::from_f64(2.0 / n as f64);
        for (s, seq) in tokens.chunks_exact(seq_len).enumerate() {
            let g = scale * (y[s] - targets[s]);
            let gq = g * seq[seq_len - 1];
            let u = &ws.u[s * h..(s + 1) * h];
            let m2 = &ws.m2[s * h..(s + 1) * h];
            for k in 0..h {
                ws.g_alpha[k] += gq * (m2[k] - u[k] * u[k]);
                ws.g_beta[k] += g * u[k];
            }
        }
        ws.y = y;
        let loss = loss?;
        let inv_sqrt2 = T::from_f64(std::f64::consts::FRAC_1_SQRT_2);
        grads.clear();
        grads.resize(self.params.len(), T::ZERO);
        for (k, (p, gr)) in self
            .params
            .chunks_exact(HEAD_PARAMS)
            .zip(grads.chunks_exact_mut(HEAD_PARAMS))
            .enumerate()
        {
            // The factor c_h of ∂y/∂α_h and ∂y/∂β_h, or its cancellation by the rescale 1/c_h.
            let f = match mode {
                GradMode::Autograd => self.c[k],
                GradMode::Compressed { tol } => {
                    if self.c[k].to_f64() > tol {
                        T::ONE
                    } else {
                        T::ZERO
                    }
                }
            };
            let ga = f * ws.g_alpha[k] * ws.beta[k];
            let gb = f * ws.g_beta[k];
            gr[0] = ga * p[2] * inv_sqrt2;
            gr[1] = ga * p[3] * inv_sqrt2;
            gr[2] = ga * p[0] * inv_sqrt2;
            gr[3] = ga * p[1] * inv_sqrt2;
            gr[4] = gb * p[6];
            gr[5] = gb * p[7];
            gr[6] = gb * p[4];
            gr[7] = gb * p[5];
        }
        Ok(loss)
    }
}

impl Attention<f64> {
    /// The full causal layer at every position (row-major `n × seq_len` outputs): the reference the
    /// last-row computation is tested against. `O(H T²)` per sequence.
    pub fn causal_outputs(&self, tokens: &[f64], seq_len: usize) -> Result<Vec<f64>, NnError> {
        check_tokens(tokens, seq_len)?;
        let mut out = Vec::with_capacity(tokens.len());
        for seq in tokens.chunks_exact(seq_len) {
            for i in 0..seq_len {
                let mut y = 0.0;
                for (p, c) in self.params.chunks_exact(HEAD_PARAMS).zip(&self.c) {
                    let q = [p[0] * seq[i], p[1] * seq[i]];
                    let scores: Vec<f64> = (0..=i)
                        .map(|j| (q[0] * p[2] * seq[j] + q[1] * p[3] * seq[j]) / 2f64.sqrt())
                        .collect();
                    let top = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let e: Vec<f64> = scores.iter().map(|s| (s - top).exp()).collect();
                    let z: f64 = e.iter().sum();
                    let mut ctx = [0.0; 2];
                    for j in 0..=i {
                        ctx[0] += e[j] / z * p[4] * seq[j];
                        ctx[1] += e[j] / z * p[5] * seq[j];
                    }
                    y += c * (p[6] * ctx[0] + p[7] * ctx[1]);
                }
                out.push(y);
            }
        }
        Ok(out)
    }
}

fn check_tokens<T: Real>(tokens: &[T], seq_len: usize) -> Result<usize, NnError> {
    if seq_len == 0 || tokens.is_empty() {
        return Err(NnError::EmptyData);
    }
    if !tokens.len().is_multiple_of(seq_len) {
        return Err(NnError::DimMismatch {
            what: "tokens (a whole number of sequences)",
            expected: tokens.len().next_multiple_of(seq_len),
            got: tokens.len(),
        });
    }
    if let Some(index) = tokens.iter().position(|t| !t.is_finite()) {
        return Err(NnError::NonFinite {
            what: "token",
            index,
        });
    }
    Ok(tokens.len() / seq_len)
}

fn mse<T: Real>(y: &[T], targets: &[T]) -> Result<T, NnError> {
    if targets.len() != y.len() {
        return Err(NnError::DimMismatch {
            what: "targets",
            expected: y.len(),
            got: targets.len(),
        });
    }
    let mut s = T::ZERO;
    for (a, b) in y.iter().zip(targets) {
        let e = *a - *b;
        s += e * e;
    }
    Ok(s / T::from_f64(y.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::icl;
    use crate::nn::{Optimizer, OptimizerKind};
    use crate::rng::seeded;

    fn episodes(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = seeded(seed);
        let mut t = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let e = icl::Episode::draw(&mut rng);
            t.extend(e.tokens);
            y.push(e.target);
        }
        (t, y)
    }

    #[test]
    fn last_row_is_the_full_causal_layer() {
        let net = Attention::<f64>::init(7, 3).unwrap();
        let mut c = vec![0.0; 7];
        for (i, x) in c.iter_mut().enumerate() {
            *x = 0.5 + i as f64;
        }
        let net = Attention::from_parts(net.params().to_vec(), Some(c)).unwrap();
        let (t, _) = episodes(5, 4);
        let last = net.predict(&t, icl::SEQ_LEN).unwrap();
        let full = net.causal_outputs(&t, icl::SEQ_LEN).unwrap();
        for s in 0..5 {
            let want = full[(s + 1) * icl::SEQ_LEN - 1];
            assert!(
                (last[s] - want).abs() <= 1e-13 * want.abs().max(1.0),
                "{} vs {want}",
                last[s]
            );
        }
        // Large scores (|α t t| ~ 300) stay finite: the softmax subtracts the largest score.
        let mut big = net.params().to_vec();
        for p in big.chunks_exact_mut(HEAD_PARAMS) {
            p[0] *= 60.0;
            p[2] *= 60.0;
        }
        let big = Attention::from_parts(big, None).unwrap();
        let (last, full) = (
            big.predict(&t, 17).unwrap(),
            big.causal_outputs(&t, 17).unwrap(),
        );
        for s in 0..5 {
            let want = full[(s + 1) * 17 - 1];
            assert!(last[s].is_finite() && (last[s] - want).abs() <= 1e-9 * want.abs().max(1.0));
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let base = Attention::<f64>::init(5, 11).unwrap();
        let c = vec![1.0, 2.5, 0.3, 4.0, 1.7];
        let net = Attention::from_parts(base.params().to_vec(), Some(c.clone())).unwrap();
        let (t, y) = episodes(6, 12);
        let mut g = Vec::new();
        let mut ws = AttnWorkspace::default();
        net.loss_and_grad(&t, 17, &y, GradMode::Autograd, &mut g, &mut ws)
            .unwrap();
        let h = 1e-6;
        for i in 0..net.params().len() {
            let mut p = net.params().to_vec();
            p[i] += h;
            let up = Attention::from_parts(p.clone(), Some(c.clone()))
                .unwrap()
                .loss(&t, 17, &y)
                .unwrap();
            p[i] -= 2.0 * h;
            let dn = Attention::from_parts(p, Some(c.clone()))
                .unwrap()
                .loss(&t, 17, &y)
                .unwrap();
            let fd = (up - dn) / (2.0 * h);
            assert!(
                (g[i] - fd).abs() <= 1e-7 * fd.abs().max(1e-3),
                "param {i}: {} vs {fd}",
                g[i]
            );
        }
        // The compressed mode is the autograd gradient divided by c_h, head by head.
        let mut gc = Vec::new();
        net.loss_and_grad(&t, 17, &y, GradMode::compressed(), &mut gc, &mut ws)
            .unwrap();
        for (i, (a, b)) in g.iter().zip(&gc).enumerate() {
            let ch = c[i / HEAD_PARAMS];
            assert!(
                (a / ch - b).abs() <= 1e-12 * b.abs().max(1e-12),
                "param {i}"
            );
        }
    }

    /// A layer with head h repeated n_h times and the weighted layer with c_h = n_h compute the same
    /// outputs and, trained with the rescaled gradient, follow the same trajectory (f64, full batch, Adam).
    #[test]
    fn weighted_heads_train_like_repeated_heads() {
        let base = Attention::<f64>::init(4, 21).unwrap();
        let counts = [3usize, 1, 2, 4];
        let mut rep = Vec::new();
        for (h, &n) in counts.iter().enumerate() {
            for _ in 0..n {
                rep.push(h);
            }
        }
        let mut repeated = base.subnetwork(&rep, None).unwrap();
        let c: Vec<f64> = counts.iter().map(|&n| n as f64).collect();
        let mut weighted = base.subnetwork(&[0, 1, 2, 3], Some(&c)).unwrap();
        let (t, y) = episodes(16, 22);
        let (pa, pb) = (
            repeated.predict(&t, 17).unwrap(),
            weighted.predict(&t, 17).unwrap(),
        );
        for (a, b) in pa.iter().zip(&pb) {
            assert!((a - b).abs() <= 1e-13 * a.abs().max(1.0));
        }
        let kind = OptimizerKind::adam();
        let mut oa = Optimizer::new(kind, repeated.params().len()).unwrap();
        let mut ob = Optimizer::new(kind, weighted.params().len()).unwrap();
        let (mut ga, mut gb) = (Vec::new(), Vec::new());
        let mut ws = AttnWorkspace::default();
        for _ in 0..30 {
            let la = repeated
                .loss_and_grad(&t, 17, &y, GradMode::Autograd, &mut ga, &mut ws)
                .unwrap();
            let lb = weighted
                .loss_and_grad(&t, 17, &y, GradMode::compressed(), &mut gb, &mut ws)
                .unwrap();
            assert!((la - lb).abs() <= 1e-12 * la);
            oa.step(repeated.params_mut(), &ga, 1e-2).unwrap();
            ob.step(weighted.params_mut(), &gb, 1e-2).unwrap();
        }
        // Every copy of head h moved like the weighted head h.
        let mut at = 0;
        for (h, &n) in counts.iter().enumerate() {
            for _ in 0..n {
                let a = &repeated.params()[at * 8..at * 8 + 8];
                let b = &weighted.params()[h * 8..h * 8 + 8];
                for (x, z) in a.iter().zip(b) {
                    assert!((x - z).abs() <= 1e-10, "head {h}: {x} vs {z}");
                }
                at += 1;
            }
        }
        // Without the rescale (the authors' variant) plain SGD would not follow: the steps differ by c_h.
        let mut g_auto = Vec::new();
        weighted
            .loss_and_grad(&t, 17, &y, GradMode::Autograd, &mut g_auto, &mut ws)
            .unwrap();
        weighted
            .loss_and_grad(&t, 17, &y, GradMode::compressed(), &mut gb, &mut ws)
            .unwrap();
        for (i, (a, b)) in g_auto.iter().zip(&gb).enumerate() {
            let ch = c[i / HEAD_PARAMS];
            assert!(
                (a - ch * b).abs() <= 1e-12 * a.abs().max(1e-12),
                "param {i}"
            );
        }
    }

    #[test]
    fn init_follows_pytorch_bounds_and_bad_input_is_an_error() {
        let net = Attention::<f32>::init(4000, 1).unwrap();
        let bound = 1.0 / (8000f32).sqrt();
        for p in net.params().chunks_exact(8) {
            assert!(p[..6].iter().all(|x| x.abs() <= 1.0));
            assert!(p[6..].iter().all(|x| x.abs() <= bound));
        }
        assert_eq!(net.head_objects().len(), 8 * 4000);
        assert!(Attention::<f32>::init(0, 1).is_err());
        assert!(Attention::<f32>::from_parts(vec![0.0; 7], None).is_err());
        assert!(Attention::<f32>::from_parts(vec![f32::NAN; 8], None).is_err());
        assert!(Attention::<f32>::from_parts(vec![0.0; 8], Some(vec![-1.0])).is_err());
        assert!(net.predict(&[1.0; 16], 17).is_err());
        assert!(net.predict(&[f32::INFINITY; 17], 17).is_err());
        assert!(net.subnetwork(&[4000], None).is_err());
        // Targets of the wrong length are an error, not an index out of bounds in the gradient.
        let (mut grads, mut ws) = (Vec::new(), AttnWorkspace::default());
        for targets in [&[0.5f32][..], &[0.5; 3][..]] {
            let r = net.loss_and_grad(
                &[0.1; 34],
                17,
                targets,
                GradMode::Autograd,
                &mut grads,
                &mut ws,
            );
            assert!(matches!(r, Err(NnError::DimMismatch { .. })), "{r:?}");
        }
    }
}
