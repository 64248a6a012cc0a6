//! The weighted two-layer network and its fused forward/backward pass (activations: `activation.rs`; the
//! fixed-dimension kernels: `kernels.rs`; the data view: `samples.rs`; gradients and scratch: `buffers.rs`).
//!
//! **Model.** `f(x) = Σ_j c_j v_j σ(w_j·x + b_j) + b_out`, `x ∈ R^m` (`m = input_dim ≥ 1`), `j = 1..d`
//! (`d = width ≥ 1`). `c_j ≥ 0` are fixed neuron weights (all 1 for an ordinary net).
//!
//! **Loss.** For a batch `B` of sample indices with sample weights `a_s ≥ 0` (all 1 unless the data set
//! carries weights): `L = Σ_{s∈B} a_s e_s² / Σ_{s∈B} a_s`, `e_s = f(x_s) − y_s`; with unit weights this is
//! PyTorch's `MSELoss` (mean). With `g_s = ∂L/∂f_s = 2 a_s e_s / Σ a` and `z_sj = w_j·x_s + b_j`:
//!
//! ```text
//!   ∂L/∂v_j  = c_j       Σ_s g_s σ(z_sj)
//!   ∂L/∂b_j  = c_j v_j   Σ_s g_s σ'(z_sj)
//!   ∂L/∂w_jk = c_j v_j   Σ_s g_s σ'(z_sj) x_sk
//!   ∂L/∂b_out =          Σ_s g_s
//! ```
//!
//! **Compressed dynamics** ([`GradMode::Compressed`]): the three per-neuron gradients are multiplied by
//! `1/c_j` (by 0 if `c_j ≤ tol`), `∂L/∂b_out` is not. The kernel accumulates the sums *without* the factor
//! `c_j` and multiplies it in only in [`GradMode::Autograd`], so the compressed gradient is exactly what one
//! copy of neuron `j` would receive in a network holding `c_j` identical copies — not `c_j·S/c_j` rounded.
//! ReLU's derivative at 0 is taken as 0 (as PyTorch).
//!
//! **Layout and cost.** Parameters are one contiguous vector `[w (d×m, row j = neuron j, as PyTorch's
//! fc1.weight) | b (d) | v (d) | b_out]`; gradients and optimiser state use the same layout. Samples are
//! processed in chunks of [`CHUNK`] (transposed into a `m × CHUNK` buffer). The forward pass loops over
//! neurons, vectorised over the chunk's samples (`f_s += c_j v_j σ(z_sj)`, elementwise). The backward pass
//! loops over samples, vectorised over neurons: it recomputes `z_sj` from an input-major copy of `w` and
//! adds sample `s`'s terms to per-neuron accumulators (elementwise again). Neither pass needs a horizontal
//! (reassociated) sum, so plain loops auto-vectorise on every target (SSE/AVX, wasm simd128) and the
//! summation order — sample by sample, neuron by neuron — is fixed by the code: with no fast-math and no
//! FMA a run is bit-identical across targets and vector widths. Cost per sample and neuron: forward
//! `2(m+1)` flops, forward+backward about `3×` that (`~6 d (m+1)` flops per sample). Memory: the
//! parameters, `O(d m)` accumulators and transposed weights and `O(m · CHUNK + d)` scratch, all
//! preallocated in [`Workspace`].

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::NnError;
use super::real::Real;
use crate::rng::{seeded, uniform};

mod activation;
mod buffers;
mod kernels;
mod samples;

use activation::{Act, Relu, Sigmoid, Tanh};
pub use activation::{Activation, NeuronChart};
pub use buffers::{Grads, Workspace};
use kernels::{bwd_fixed, fwd_fixed};
pub use samples::Samples;

/// Samples per chunk of the kernel.
pub const CHUNK: usize = 256;

/// How per-neuron gradients are scaled.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "mode")]
pub enum GradMode {
    /// The true gradient of the loss (what autograd gives for the weighted net).
    Autograd,
    /// The paper's compressed dynamics: per-neuron gradients × `1/c_j`, or × 0 where `c_j ≤ tol`.
    Compressed { tol: f64 },
}

impl GradMode {
    /// Default threshold below which a neuron weight counts as zero.
    pub const DEFAULT_TOL: f64 = 1e-12;
    /// `Compressed { tol: DEFAULT_TOL }`.
    pub const fn compressed() -> Self {
        GradMode::Compressed {
            tol: Self::DEFAULT_TOL,
        }
    }
}

/// The (weighted) two-layer network. See the module docs for the maths and the layout.
/// Deserialisation validates like [`TwoLayerNet::from_parts`] (shapes, finiteness, `c ≥ 0`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    try_from = "NetRepr<T>",
    bound(deserialize = "T: Real + Deserialize<'de>")
)]
pub struct TwoLayerNet<T> {
    input_dim: usize,
    width: usize,
    activation: Activation,
    /// `[w (width × input_dim) | b (width) | v (width) | b_out]`.
    params: Vec<T>,
    /// Neuron weights `c_j ≥ 0`, fixed during training.
    c: Vec<T>,
}

/// Unvalidated serde form of [`TwoLayerNet`].
#[derive(Deserialize)]
struct NetRepr<T> {
    input_dim: usize,
    width: usize,
    activation: Activation,
    params: Vec<T>,
    c: Vec<T>,
}

impl<T: Real> TryFrom<NetRepr<T>> for TwoLayerNet<T> {
    type Error = NnError;
    fn try_from(r: NetRepr<T>) -> Result<Self, NnError> {
        check_shape(r.input_dim, r.width)?;
        let (m, d) = (r.input_dim, r.width);
        let expected = d * (m + 2) + 1;
        if r.params.len() != expected {
            return Err(NnError::DimMismatch {
                what: "parameters (width × (input_dim + 2) + 1)",
                expected,
                got: r.params.len(),
            });
        }
        let p = &r.params;
        Self::from_parts(
            m,
            r.activation,
            &p[..d * m],
            &p[d * m..d * (m + 1)],
            &p[d * (m + 1)..d * (m + 2)],
            p[expected - 1],
            Some(&r.c),
        )
    }
}

impl<T: Real> TwoLayerNet<T> {
    /// PyTorch-default initialisation of `Linear(m, d)` then `Linear(d, 1)`: `w, b ~ U(±1/√m)`,
    /// `v, b_out ~ U(±1/√d)`, drawn in this order (fc1.weight row-major, fc1.bias, fc2.weight, fc2.bias)
    /// in f64 from `seeded(seed)` and rounded to `T`. All `c_j = 1`.
    pub fn init(
        input_dim: usize,
        width: usize,
        activation: Activation,
        seed: u64,
    ) -> Result<Self, NnError> {
        check_shape(input_dim, width)?;
        let mut rng = seeded(seed);
        let b1 = 1.0 / (input_dim as f64).sqrt();
        let b2 = 1.0 / (width as f64).sqrt();
        let mut params = Vec::with_capacity(width * (input_dim + 2) + 1);
        for _ in 0..width * (input_dim + 1) {
            params.push(T::from_f64(uniform(&mut rng, -b1, b1)));
        }
        for _ in 0..width + 1 {
            params.push(T::from_f64(uniform(&mut rng, -b2, b2)));
        }
        Ok(TwoLayerNet {
            input_dim,
            width,
            activation,
            params,
            c: vec![T::ONE; width],
        })
    }

    /// A net from explicit parameters: `w` is `width × input_dim` row-major (PyTorch's fc1.weight), `b`
    /// and `v` have `width` entries, `c` (if given) `width` finite non-negative weights (else all 1).
    pub fn from_parts(
        input_dim: usize,
        activation: Activation,
        w: &[T],
        b: &[T],
        v: &[T],
        b_out: T,
        c: Option<&[T]>,
    ) -> Result<Self, NnError> {
        let width = b.len();
        check_shape(input_dim, width)?;
        for (what, got, expected) in [
            ("w (width × input_dim)", w.len(), width * input_dim),
            ("v", v.len(), width),
            ("neuron weights c", c.map_or(width, |c| c.len()), width),
        ] {
            if got != expected {
                return Err(NnError::DimMismatch {
                    what,
                    expected,
                    got,
                });
            }
        }
        let mut params = Vec::with_capacity(width * (input_dim + 2) + 1);
        params.extend_from_slice(w);
        params.extend_from_slice(b);
        params.extend_from_slice(v);
        params.push(b_out);
        if let Some(i) = params.iter().position(|p| !p.is_finite()) {
            return Err(NnError::NonFinite {
                what: "parameter",
                index: i,
            });
        }
        let mut net = TwoLayerNet {
            input_dim,
            width,
            activation,
            params,
            c: vec![T::ONE; width],
        };
        if let Some(c) = c {
            net.set_neuron_weights(c)?;
        }
        Ok(net)
    }

    /// The sub-network of the neurons `indices` (in that order; repeats allowed), with neuron weights
    /// `weights` (default: the current `c_j` of the chosen neurons) and the same `b_out`. Use it for the
    /// compressed net (indices and weights from the compressor) and the naive baseline (first `d'`).
    pub fn subnetwork(&self, indices: &[usize], weights: Option<&[f64]>) -> Result<Self, NnError> {
        if indices.is_empty() {
            return Err(NnError::ZeroWidth);
        }
        if let Some(&i) = indices.iter().find(|&&i| i >= self.width) {
            return Err(NnError::IndexOutOfRange {
                index: i,
                len: self.width,
            });
        }
        let m = self.input_dim;
        let (w, b, v) = (self.w(), self.b(), self.v());
        let mut nw = Vec::with_capacity(indices.len() * m);
        for &i in indices {
            nw.extend_from_slice(&w[i * m..(i + 1) * m]);
        }
        let nb: Vec<T> = indices.iter().map(|&i| b[i]).collect();
        let nv: Vec<T> = indices.iter().map(|&i| v[i]).collect();
        let c: Vec<T> = match weights {
            Some(ws) => {
                if ws.len() != indices.len() {
                    return Err(NnError::DimMismatch {
                        what: "neuron weights c",
                        expected: indices.len(),
                        got: ws.len(),
                    });
                }
                ws.iter().map(|&c| T::from_f64(c)).collect()
            }
            None => indices.iter().map(|&i| self.c[i]).collect(),
        };
        Self::from_parts(m, self.activation, &nw, &nb, &nv, self.b_out(), Some(&c))
    }

    /// The neurons as objects for the compressor in `chart` coordinates: a row-major
    /// `width × (input_dim + 2)` f64 array.
    pub fn neuron_objects_in(&self, chart: NeuronChart) -> Vec<f64> {
        let mut out = self.neuron_objects();
        out.chunks_exact_mut(self.input_dim + 2)
            .for_each(|o| chart.apply(o));
        out
    }

    /// The neuron objects of the paper's `extract()`: row `j` = `(v_j, w_j1..w_jm, b_j)`, as a row-major
    /// `width × (input_dim + 2)` f64 array (m = 4 for the 2-d task).
    pub fn neuron_objects(&self) -> Vec<f64> {
        let m = self.input_dim;
        let (w, b, v) = (self.w(), self.b(), self.v());
        let mut out = Vec::with_capacity(self.width * (m + 2));
        for j in 0..self.width {
            out.push(v[j].to_f64());
            out.extend(w[j * m..(j + 1) * m].iter().map(|x| x.to_f64()));
            out.push(b[j].to_f64());
        }
        out
    }

    /// The same net in another precision (round to nearest).
    pub fn cast<U: Real>(&self) -> TwoLayerNet<U> {
        TwoLayerNet {
            input_dim: self.input_dim,
            width: self.width,
            activation: self.activation,
            params: self
                .params
                .iter()
                .map(|p| U::from_f64(p.to_f64()))
                .collect(),
            c: self.c.iter().map(|p| U::from_f64(p.to_f64())).collect(),
        }
    }

    pub fn input_dim(&self) -> usize {
        self.input_dim
    }
    pub fn width(&self) -> usize {
        self.width
    }
    pub fn activation(&self) -> Activation {
        self.activation
    }
    /// Number of trainable parameters, `d (m + 2) + 1`.
    pub fn n_params(&self) -> usize {
        self.params.len()
    }
    /// All trainable parameters, `[w | b | v | b_out]`.
    pub fn params(&self) -> &[T] {
        &self.params
    }
    pub fn params_mut(&mut self) -> &mut [T] {
        &mut self.params
    }
    /// Hidden weights, `width × input_dim`, row j = neuron j.
    pub fn w(&self) -> &[T] {
        &self.params[..self.width * self.input_dim]
    }
    /// [`TwoLayerNet::w`] as a `width × input_dim` array (a view, row j = neuron j).
    pub fn w_array(&self) -> ArrayView2<'_, T> {
        ArrayView2::from_shape((self.width, self.input_dim), self.w())
            .expect("the hidden weights are width × input_dim")
    }
    pub fn b(&self) -> &[T] {
        let o = self.width * self.input_dim;
        &self.params[o..o + self.width]
    }
    pub fn v(&self) -> &[T] {
        let o = self.width * (self.input_dim + 1);
        &self.params[o..o + self.width]
    }
    pub fn b_out(&self) -> T {
        self.params[self.params.len() - 1]
    }
    /// Neuron weights `c_j`.
    pub fn neuron_weights(&self) -> &[T] {
        &self.c
    }
    /// Replace the neuron weights (finite, ≥ 0, `width` of them).
    pub fn set_neuron_weights(&mut self, c: &[T]) -> Result<(), NnError> {
        if c.len() != self.width {
            return Err(NnError::DimMismatch {
                what: "neuron weights c",
                expected: self.width,
                got: c.len(),
            });
        }
        if let Some(i) = c.iter().position(|x| !(x.is_finite() && *x >= T::ZERO)) {
            return Err(NnError::BadNeuronWeight {
                index: i,
                value: c[i].to_f64(),
            });
        }
        self.c.copy_from_slice(c);
        Ok(())
    }

    /// True iff every parameter is finite.
    pub fn is_finite(&self) -> bool {
        self.params.iter().all(|p| p.is_finite())
    }

    /// Predictions for the row-major inputs `x` (`n × input_dim`) into `out` (`n`). Cost `2 n d (m+1)`.
    pub fn predict(&self, x: &[T], out: &mut [T], ws: &mut Workspace<T>) -> Result<(), NnError> {
        let m = self.input_dim;
        if x.len() != out.len() * m {
            return Err(NnError::DimMismatch {
                what: "inputs (n × input_dim values)",
                expected: out.len() * m,
                got: x.len(),
            });
        }
        ws.ensure(m, self.width);
        let n = out.len();
        let mut s0 = 0;
        while s0 < n {
            let cnt = CHUNK.min(n - s0);
            gather(ws, m, cnt, |s| &x[(s0 + s) * m..(s0 + s + 1) * m]);
            self.forward_chunk(ws, cnt);
            out[s0..s0 + cnt].copy_from_slice(&ws.f[..cnt]);
            s0 += cnt;
        }
        Ok(())
    }

    /// Allocating convenience for [`TwoLayerNet::predict`].
    pub fn predict_vec(&self, x: &[T]) -> Result<Vec<T>, NnError> {
        let mut out = vec![T::ZERO; x.len() / self.input_dim];
        let mut ws = Workspace::new(self);
        self.predict(x, &mut out, &mut ws)?;
        Ok(out)
    }

    /// The loss `Σ a e² / Σ a` over `batch` (sample indices into `data`; `None` = all samples in order).
    pub fn loss(
        &self,
        data: &Samples<'_, T>,
        batch: Option<&[usize]>,
        ws: &mut Workspace<T>,
    ) -> Result<T, NnError> {
        self.run(data, batch, None, ws)
    }

    /// Loss over `batch` (as [`TwoLayerNet::loss`]) and its gradient, scaled per `mode`, written into
    /// `grads` (overwritten). No allocation once `ws` and `grads` fit the net. Cost `~6 |B| d (m+1)` flops.
    /// A non-finite loss is returned as a value, not an error (the [`super::Trainer`] turns it into
    /// [`NnError::Diverged`]).
    pub fn loss_and_grad(
        &self,
        data: &Samples<'_, T>,
        batch: Option<&[usize]>,
        mode: GradMode,
        grads: &mut Grads<T>,
        ws: &mut Workspace<T>,
    ) -> Result<T, NnError> {
        if grads.flat.len() != self.params.len() || grads.input_dim != self.input_dim {
            return Err(NnError::DimMismatch {
                what: "gradient buffer",
                expected: self.params.len(),
                got: grads.flat.len(),
            });
        }
        if let GradMode::Compressed { tol } = mode
            && !(tol >= 0.0 && tol.is_finite())
        {
            return Err(NnError::BadHyperparameter {
                name: "tol",
                value: tol,
                expected: "finite and ≥ 0",
            });
        }
        self.run(data, batch, Some((mode, grads)), ws)
    }

    fn run(
        &self,
        data: &Samples<'_, T>,
        batch: Option<&[usize]>,
        grad: Option<(GradMode, &mut Grads<T>)>,
        ws: &mut Workspace<T>,
    ) -> Result<T, NnError> {
        let m = self.input_dim;
        if data.input_dim != m {
            return Err(NnError::DimMismatch {
                what: "data input dimension",
                expected: m,
                got: data.input_dim,
            });
        }
        let n = data.len();
        let bn = match batch {
            Some(b) => {
                if b.is_empty() {
                    return Err(NnError::EmptyBatch);
                }
                if let Some(&i) = b.iter().find(|&&i| i >= n) {
                    return Err(NnError::IndexOutOfRange { index: i, len: n });
                }
                b.len()
            }
            None => n,
        };
        let idx = |s: usize| batch.map_or(s, |b| b[s]);
        // Σ a over the batch.
        let total = match data.weights {
            Some(a) => {
                let mut t = T::ZERO;
                for s in 0..bn {
                    t += a[idx(s)];
                }
                t
            }
            None => T::from_f64(bn as f64),
        };
        if total.is_nan() || total <= T::ZERO {
            return Err(NnError::ZeroTotalWeight);
        }
        let scale = T::from_f64(2.0) / total;
        ws.ensure(m, self.width);
        let want_grad = grad.is_some();
        if want_grad {
            ws.raw_w.fill(T::ZERO);
            let (w, d) = (self.w(), self.width);
            for j in 0..d {
                for k in 0..m {
                    ws.wt[k * d + j] = w[j * m + k];
                }
            }
            ws.raw_b.fill(T::ZERO);
            ws.raw_v.fill(T::ZERO);
        }
        let mut sse = T::ZERO;
        let mut gsum = T::ZERO;
        let mut s0 = 0;
        while s0 < bn {
            let cnt = CHUNK.min(bn - s0);
            gather(ws, m, cnt, |s| {
                let i = idx(s0 + s);
                &data.x[i * m..(i + 1) * m]
            });
            self.forward_chunk(ws, cnt);
            // Residuals, loss, dL/df.
            for s in 0..cnt {
                let i = idx(s0 + s);
                let e = ws.f[s] - data.y[i];
                let a = data.weights.map_or(T::ONE, |a| a[i]);
                sse += a * e * e;
                let g = scale * a * e;
                ws.g[s] = g;
                gsum += g;
            }
            if want_grad {
                self.backward_chunk(ws, cnt);
            }
            s0 += cnt;
        }
        let loss = sse / total;
        if let Some((mode, grads)) = grad {
            let (c, v) = (&self.c, self.v());
            let d = self.width;
            let (gw, rest) = grads.flat.split_at_mut(d * m);
            let (gb, rest) = rest.split_at_mut(d);
            let (gv, gout) = rest.split_at_mut(d);
            for j in 0..d {
                // Factor multiplying the raw sums of neuron j.
                let (fv, fwb) = match mode {
                    GradMode::Autograd => (c[j], c[j] * v[j]),
                    GradMode::Compressed { tol } => {
                        if c[j].to_f64() <= tol {
                            (T::ZERO, T::ZERO)
                        } else {
                            (T::ONE, v[j])
                        }
                    }
                };
                gv[j] = fv * ws.raw_v[j];
                gb[j] = fwb * ws.raw_b[j];
                for k in 0..m {
                    gw[j * m + k] = fwb * ws.raw_w[k * d + j];
                }
            }
            gout[0] = gsum;
        }
        Ok(loss)
    }

    /// `ws.f[..cnt] = f(x_s)` for the gathered chunk.
    fn forward_chunk(&self, ws: &mut Workspace<T>, cnt: usize) {
        match self.activation {
            Activation::Relu => self.forward_chunk_a::<Relu>(ws, cnt),
            Activation::Tanh => self.forward_chunk_a::<Tanh>(ws, cnt),
            Activation::Sigmoid => self.forward_chunk_a::<Sigmoid>(ws, cnt),
        }
    }

    fn backward_chunk(&self, ws: &mut Workspace<T>, cnt: usize) {
        match self.activation {
            Activation::Relu => self.backward_chunk_a::<Relu>(ws, cnt),
            Activation::Tanh => self.backward_chunk_a::<Tanh>(ws, cnt),
            Activation::Sigmoid => self.backward_chunk_a::<Sigmoid>(ws, cnt),
        }
    }

    #[inline(always)]
    fn forward_chunk_a<A: Act>(&self, ws: &mut Workspace<T>, cnt: usize) {
        let m = self.input_dim;
        let (w, b, v) = (self.w(), self.b(), self.v());
        let f = &mut ws.f[..cnt];
        f.fill(self.b_out());
        match m {
            1 => fwd_fixed::<T, A, 1>(w, b, v, &self.c, &ws.xt, f),
            2 => fwd_fixed::<T, A, 2>(w, b, v, &self.c, &ws.xt, f),
            3 => fwd_fixed::<T, A, 3>(w, b, v, &self.c, &ws.xt, f),
            _ => {
                let z = &mut ws.z[..cnt];
                for j in 0..self.width {
                    let wj = &w[j * m..(j + 1) * m];
                    z.fill(b[j]);
                    for (k, &wjk) in wj.iter().enumerate() {
                        let xk = &ws.xt[k * CHUNK..k * CHUNK + cnt];
                        for (zs, &xs) in z.iter_mut().zip(xk) {
                            *zs += wjk * xs;
                        }
                    }
                    let cv = self.c[j] * v[j];
                    for (fs, &zs) in f.iter_mut().zip(z.iter()) {
                        *fs += cv * A::f(zs);
                    }
                }
            }
        }
    }

    #[inline(always)]
    fn backward_chunk_a<A: Act>(&self, ws: &mut Workspace<T>, cnt: usize) {
        let m = self.input_dim;
        let d = self.width;
        let b = self.b();
        let Workspace {
            xt,
            g,
            wt,
            zd,
            raw_w,
            raw_b,
            raw_v,
            ..
        } = ws;
        match m {
            1 => bwd_fixed::<T, A, 1>(wt, b, xt, &g[..cnt], raw_w, raw_b, raw_v),
            2 => bwd_fixed::<T, A, 2>(wt, b, xt, &g[..cnt], raw_w, raw_b, raw_v),
            3 => bwd_fixed::<T, A, 3>(wt, b, xt, &g[..cnt], raw_w, raw_b, raw_v),
            _ => {
                let b = &b[..d];
                let zd = &mut zd[..d];
                let raw_b = &mut raw_b[..d];
                let raw_v = &mut raw_v[..d];
                for (s, &gs) in g[..cnt].iter().enumerate() {
                    // z_j = b_j + Σ_k w_jk x_sk, in the same order as the forward pass.
                    zd.copy_from_slice(b);
                    for k in 0..m {
                        let xk = xt[k * CHUNK + s];
                        for (z, &w) in zd.iter_mut().zip(&wt[k * d..(k + 1) * d]) {
                            *z += w * xk;
                        }
                    }
                    // h = σ(z) (into zd), dz = g σ'(z) (into zd after use), accumulate.
                    for ((z, rv), rb) in zd.iter_mut().zip(raw_v.iter_mut()).zip(raw_b.iter_mut()) {
                        let (h, hd) = A::fd(*z);
                        *rv += gs * h;
                        let dd = gs * hd;
                        *rb += dd;
                        *z = dd;
                    }
                    for k in 0..m {
                        let xk = xt[k * CHUNK + s];
                        for (rw, &dd) in raw_w[k * d..(k + 1) * d].iter_mut().zip(zd.iter()) {
                            *rw += dd * xk;
                        }
                    }
                }
            }
        }
    }
}

fn check_shape(input_dim: usize, width: usize) -> Result<(), NnError> {
    if input_dim == 0 {
        return Err(NnError::ZeroInputDim);
    }
    if width == 0 {
        return Err(NnError::ZeroWidth);
    }
    Ok(())
}

/// Transpose `cnt` input rows into `ws.xt` (`m × CHUNK`).
#[inline]
fn gather<'x, T: Real>(
    ws: &mut Workspace<T>,
    m: usize,
    cnt: usize,
    row: impl Fn(usize) -> &'x [T],
) {
    for s in 0..cnt {
        let r = row(s);
        for (k, &rk) in r[..m].iter().enumerate() {
            ws.xt[k * CHUNK + s] = rk;
        }
    }
}
