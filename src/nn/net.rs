//! The weighted two-layer network, its data view, and the fused forward/backward kernel.
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

#[cfg(target_arch = "x86_64")]
use multiversion::multiversion;
use serde::{Deserialize, Serialize};

use super::NnError;
use super::real::Real;
use crate::rng::{seeded, uniform};

/// Samples per chunk of the kernel.
pub const CHUNK: usize = 256;

/// The coordinates in which neurons are handed to the compressor (m = input_dim + 2 numbers each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NeuronChart {
    /// The paper's `(v_j, w_j, b_j)`: the neurons themselves, so the compressed net matches the moments
    /// that Theorem 5 says the whole training trajectory depends on.
    #[default]
    Raw,
    /// Scale and direction, ReLU only: `(a_j, u_j) = (v_j r_j, (w_j, b_j) / r_j)` with
    /// `r_j = ‖(w_j, b_j)‖`. A ReLU neuron computes `v relu(w·x + b) = a relu(u·(x, 1))`, exactly linear
    /// in `a` with its kink set by `u` alone, so matching these moments reproduces the *initial* function
    /// several times better (median initial test-loss gap over 10 seeds 0.15 % vs 1.47 % at the demo
    /// preset). But the chart is not one-to-one: it forgets `r_j`, on which the function does not depend
    /// and gradient descent does (`(v, w, b) → (c v, (w, b)/c)` keeps the function, not the gradients),
    /// so Theorem 5 does not cover it. Where the trained compressed net ends depends on the run (paper
    /// preset: SGD 1.068× the original vs 1.030× raw; AdamW 1.175× vs 1.274×; see docs/RESULTS.md).
    /// For tanh and sigmoid the output depends on `r_j` and the chart is refused. A neuron with
    /// `w = b = 0` maps to zeros.
    Homogeneous,
}

impl NeuronChart {
    /// Maps one raw object `(v, w_1..w_m, b)` (in place) to this chart.
    pub fn apply(self, object: &mut [f64]) {
        if self == NeuronChart::Raw {
            return;
        }
        let r = object[1..].iter().map(|x| x * x).sum::<f64>().sqrt();
        if r > 0.0 && r.is_finite() {
            object[0] *= r;
            object[1..].iter_mut().for_each(|x| *x /= r);
        } else {
            object.iter_mut().for_each(|x| *x = 0.0);
        }
    }
}

impl std::str::FromStr for NeuronChart {
    type Err = NnError;
    fn from_str(s: &str) -> Result<Self, NnError> {
        match s.to_ascii_lowercase().as_str() {
            "raw" => Ok(NeuronChart::Raw),
            "homogeneous" => Ok(NeuronChart::Homogeneous),
            _ => Err(NnError::Unknown {
                what: "neuron chart",
                name: s.to_string(),
                expected: "raw or homogeneous",
            }),
        }
    }
}

/// The hidden-layer nonlinearity σ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(z, 0)`, derivative 1 for `z > 0`, else 0.
    #[default]
    Relu,
    /// `tanh z`, derivative `1 − tanh² z`.
    Tanh,
    /// `1 / (1 + e^{−z})`, derivative `σ(1 − σ)`.
    Sigmoid,
}

impl Activation {
    /// σ(z).
    pub fn eval<T: Real>(self, z: T) -> T {
        match self {
            Activation::Relu => Relu::f(z),
            Activation::Tanh => Tanh::f(z),
            Activation::Sigmoid => Sigmoid::f(z),
        }
    }
    /// σ'(z).
    pub fn derivative<T: Real>(self, z: T) -> T {
        match self {
            Activation::Relu => Relu::fd(z).1,
            Activation::Tanh => Tanh::fd(z).1,
            Activation::Sigmoid => Sigmoid::fd(z).1,
        }
    }
}

impl std::str::FromStr for Activation {
    type Err = NnError;
    fn from_str(s: &str) -> Result<Self, NnError> {
        match s.to_ascii_lowercase().as_str() {
            "relu" => Ok(Activation::Relu),
            "tanh" => Ok(Activation::Tanh),
            "sigmoid" => Ok(Activation::Sigmoid),
            _ => Err(NnError::Unknown {
                what: "activation",
                name: s.to_string(),
                expected: "relu, tanh or sigmoid",
            }),
        }
    }
}

/// Static activation, so that each kernel is monomorphised and the ReLU one vectorises.
trait Act {
    fn f<T: Real>(z: T) -> T;
    /// (σ(z), σ'(z)).
    fn fd<T: Real>(z: T) -> (T, T);
}
struct Relu;
struct Tanh;
struct Sigmoid;
impl Act for Relu {
    #[inline(always)]
    fn f<T: Real>(z: T) -> T {
        z.relu()
    }
    #[inline(always)]
    fn fd<T: Real>(z: T) -> (T, T) {
        if z > T::ZERO {
            (z, T::ONE)
        } else {
            (T::ZERO, T::ZERO)
        }
    }
}
impl Act for Tanh {
    #[inline(always)]
    fn f<T: Real>(z: T) -> T {
        z.tanh()
    }
    #[inline(always)]
    fn fd<T: Real>(z: T) -> (T, T) {
        let t = z.tanh();
        (t, T::ONE - t * t)
    }
}
impl Act for Sigmoid {
    #[inline(always)]
    fn f<T: Real>(z: T) -> T {
        T::ONE / (T::ONE + (-z).exp())
    }
    #[inline(always)]
    fn fd<T: Real>(z: T) -> (T, T) {
        let s = T::ONE / (T::ONE + (-z).exp());
        (s, s * (T::ONE - s))
    }
}

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

/// A borrowed training or test set: `n` inputs of dimension `input_dim` (row-major `x`, `n × input_dim`),
/// targets `y` and optional sample weights `a_s ≥ 0` (used by the loss as `Σ a e² / Σ a`).
#[derive(Clone, Copy, Debug)]
pub struct Samples<'a, T> {
    x: &'a [T],
    y: &'a [T],
    weights: Option<&'a [T]>,
    input_dim: usize,
}

impl<'a, T: Real> Samples<'a, T> {
    /// Validates shapes and finiteness (O(n)). Errors: [`NnError::ZeroInputDim`], [`NnError::EmptyData`],
    /// [`NnError::DimMismatch`], [`NnError::NonFinite`].
    pub fn new(x: &'a [T], y: &'a [T], input_dim: usize) -> Result<Self, NnError> {
        if input_dim == 0 {
            return Err(NnError::ZeroInputDim);
        }
        if y.is_empty() {
            return Err(NnError::EmptyData);
        }
        if x.len() != y.len() * input_dim {
            return Err(NnError::DimMismatch {
                what: "inputs (n × input_dim values)",
                expected: y.len() * input_dim,
                got: x.len(),
            });
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(NnError::NonFinite {
                what: "input",
                index: i,
            });
        }
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(NnError::NonFinite {
                what: "target",
                index: i,
            });
        }
        Ok(Samples {
            x,
            y,
            weights: None,
            input_dim,
        })
    }

    /// As [`Samples::new`] with per-sample weights (finite, ≥ 0, not all 0).
    pub fn with_weights(
        x: &'a [T],
        y: &'a [T],
        input_dim: usize,
        weights: &'a [T],
    ) -> Result<Self, NnError> {
        let mut d = Self::new(x, y, input_dim)?;
        if weights.len() != y.len() {
            return Err(NnError::DimMismatch {
                what: "sample weights",
                expected: y.len(),
                got: weights.len(),
            });
        }
        if let Some(i) = weights
            .iter()
            .position(|a| !(a.is_finite() && *a >= T::ZERO))
        {
            return Err(NnError::BadSampleWeight {
                index: i,
                value: weights[i].to_f64(),
            });
        }
        if weights.iter().all(|a| *a == T::ZERO) {
            return Err(NnError::ZeroTotalWeight);
        }
        d.weights = Some(weights);
        Ok(d)
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }
    pub fn x(&self) -> &'a [T] {
        self.x
    }
    pub fn y(&self) -> &'a [T] {
        self.y
    }
    pub fn weights(&self) -> Option<&'a [T]> {
        self.weights
    }
}

/// Gradient (or any per-parameter quantity) in the parameter layout `[w | b | v | b_out]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Grads<T> {
    flat: Vec<T>,
    input_dim: usize,
    width: usize,
}

impl<T: Real> Grads<T> {
    /// Zeros shaped like `net`.
    pub fn new(net: &TwoLayerNet<T>) -> Self {
        Grads {
            flat: vec![T::ZERO; net.params.len()],
            input_dim: net.input_dim,
            width: net.width,
        }
    }
    pub fn flat(&self) -> &[T] {
        &self.flat
    }
    pub fn flat_mut(&mut self) -> &mut [T] {
        &mut self.flat
    }
    /// `∂/∂w`, `width × input_dim`, row j = neuron j.
    pub fn w(&self) -> &[T] {
        &self.flat[..self.width * self.input_dim]
    }
    pub fn b(&self) -> &[T] {
        let o = self.width * self.input_dim;
        &self.flat[o..o + self.width]
    }
    pub fn v(&self) -> &[T] {
        let o = self.width * (self.input_dim + 1);
        &self.flat[o..o + self.width]
    }
    pub fn b_out(&self) -> T {
        self.flat[self.flat.len() - 1]
    }
    /// Euclidean norm (in f64).
    pub fn norm(&self) -> f64 {
        self.flat
            .iter()
            .map(|g| g.to_f64() * g.to_f64())
            .sum::<f64>()
            .sqrt()
    }
}

/// Preallocated scratch for [`TwoLayerNet::loss_and_grad`], [`TwoLayerNet::loss`] and
/// [`TwoLayerNet::predict`]. Resized (allocating) only when used with a net of another shape.
#[derive(Clone, Debug, Default)]
pub struct Workspace<T> {
    xt: Vec<T>,
    z: Vec<T>,
    f: Vec<T>,
    g: Vec<T>,
    dz: Vec<T>,
    /// Hidden weights transposed to input-major (`m × d`), refreshed per gradient call.
    wt: Vec<T>,
    /// Per-neuron scratch (`d`).
    zd: Vec<T>,
    /// Raw sums Σ g σ' x, input-major (`m × d`).
    raw_w: Vec<T>,
    raw_b: Vec<T>,
    raw_v: Vec<T>,
}

impl<T: Real> Workspace<T> {
    pub fn new(net: &TwoLayerNet<T>) -> Self {
        let mut ws = Workspace {
            xt: Vec::new(),
            z: Vec::new(),
            f: Vec::new(),
            g: Vec::new(),
            dz: Vec::new(),
            wt: Vec::new(),
            zd: Vec::new(),
            raw_w: Vec::new(),
            raw_b: Vec::new(),
            raw_v: Vec::new(),
        };
        ws.ensure(net.input_dim, net.width);
        ws
    }
    fn ensure(&mut self, input_dim: usize, width: usize) {
        if self.xt.len() != input_dim * CHUNK {
            self.xt = vec![T::ZERO; input_dim * CHUNK];
        }
        for b in [&mut self.z, &mut self.f, &mut self.g, &mut self.dz] {
            if b.len() != CHUNK {
                *b = vec![T::ZERO; CHUNK];
            }
        }
        if self.raw_w.len() != input_dim * width {
            self.raw_w = vec![T::ZERO; input_dim * width];
            self.wt = vec![T::ZERO; input_dim * width];
        }
        if self.raw_b.len() != width {
            self.zd = vec![T::ZERO; width];
            self.raw_b = vec![T::ZERO; width];
            self.raw_v = vec![T::ZERO; width];
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

/// Backward for a fixed small input dimension: samples outer (in blocks of [`SAMPLE_BLOCK`]), one fused
/// pass over the neurons per block, vectorised over neurons. Every reduction over samples is an
/// elementwise update of the per-neuron accumulators, so no horizontal sums are needed; within a block
/// the accumulators stay in registers and receive the samples' terms one after the other, so the order
/// (sample by sample) is the same for any blocking, target and vector width. `wt` and `raw_w` are
/// input-major (`M × d`).
///
/// Compiled for baseline x86-64 and for AVX2 and picked at run time (as is [`fwd_fixed`]): the
/// floating-point operations and their order are the same in both (Rust never fuses a multiply-add), so
/// the result is bit for bit the same, and the same as in wasm (`tests/reproducible.rs` checks both
/// against one fixture). AVX2 makes native training 1.3–1.8× faster (BENCHMARKS.md, run E).
#[cfg_attr(target_arch = "x86_64", multiversion(targets("x86_64+avx2")))]
#[cfg_attr(not(target_arch = "x86_64"), inline(always))]
fn bwd_fixed<T: Real, A: Act, const M: usize>(
    wt: &[T],
    b: &[T],
    xt: &[T],
    g: &[T],
    raw_w: &mut [T],
    raw_b: &mut [T],
    raw_v: &mut [T],
) {
    let d = b.len();
    let wk: [&[T]; M] = std::array::from_fn(|k| &wt[k * d..(k + 1) * d]);
    let raw_b = &mut raw_b[..d];
    let raw_v = &mut raw_v[..d];
    let mut chunks = raw_w[..M * d].chunks_exact_mut(d);
    let mut rw: [&mut [T]; M] = std::array::from_fn(|_| chunks.next().unwrap());
    let n = g.len();
    let mut s = 0;
    while s + SAMPLE_BLOCK <= n {
        bwd_block::<T, A, M, SAMPLE_BLOCK>(&wk, b, xt, g, s, &mut rw, raw_b, raw_v);
        s += SAMPLE_BLOCK;
    }
    while s < n {
        bwd_block::<T, A, M, 1>(&wk, b, xt, g, s, &mut rw, raw_b, raw_v);
        s += 1;
    }
}

/// Samples per backward sweep over the neurons.
const SAMPLE_BLOCK: usize = 4;

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn bwd_block<T: Real, A: Act, const M: usize, const SB: usize>(
    wk: &[&[T]; M],
    b: &[T],
    xt: &[T],
    g: &[T],
    s: usize,
    rw: &mut [&mut [T]; M],
    raw_b: &mut [T],
    raw_v: &mut [T],
) {
    let d = b.len();
    let gs: [T; SB] = std::array::from_fn(|i| g[s + i]);
    let xs: [[T; M]; SB] = std::array::from_fn(|i| std::array::from_fn(|k| xt[k * CHUNK + s + i]));
    for j in 0..d {
        let bj = b[j];
        let wj: [T; M] = std::array::from_fn(|k| wk[k][j]);
        let mut rv = raw_v[j];
        let mut rb = raw_b[j];
        let mut rwj: [T; M] = std::array::from_fn(|k| rw[k][j]);
        for i in 0..SB {
            let mut z = bj;
            for k in 0..M {
                z += wj[k] * xs[i][k];
            }
            let (h, hd) = A::fd(z);
            rv += gs[i] * h;
            let dd = gs[i] * hd;
            rb += dd;
            for k in 0..M {
                rwj[k] += dd * xs[i][k];
            }
        }
        raw_v[j] = rv;
        raw_b[j] = rb;
        for k in 0..M {
            rw[k][j] = rwj[k];
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

/// Forward for a fixed small input dimension: fully unrolled over k, vectorised over samples.
#[cfg_attr(target_arch = "x86_64", multiversion(targets("x86_64+avx2")))]
#[cfg_attr(not(target_arch = "x86_64"), inline(always))]
fn fwd_fixed<T: Real, A: Act, const M: usize>(
    w: &[T],
    b: &[T],
    v: &[T],
    c: &[T],
    xt: &[T],
    f: &mut [T],
) {
    let d = b.len();
    let mut j = 0;
    while j + NEURON_BLOCK <= d {
        fwd_block::<T, A, M, NEURON_BLOCK>(w, b, v, c, xt, f, j);
        j += NEURON_BLOCK;
    }
    while j < d {
        fwd_block::<T, A, M, 1>(w, b, v, c, xt, f, j);
        j += 1;
    }
}

/// Neurons per forward sweep over the samples.
const NEURON_BLOCK: usize = 4;

/// Neurons `j0..j0+NB` added to `f` in one sweep; `f_s` stays in a register and receives the neurons'
/// terms one after the other, so the order equals the unblocked loop.
#[inline(always)]
fn fwd_block<T: Real, A: Act, const M: usize, const NB: usize>(
    w: &[T],
    b: &[T],
    v: &[T],
    c: &[T],
    xt: &[T],
    f: &mut [T],
    j0: usize,
) {
    let cnt = f.len();
    let xs: [&[T]; M] = std::array::from_fn(|k| &xt[k * CHUNK..k * CHUNK + cnt]);
    let wj: [[T; M]; NB] = std::array::from_fn(|i| std::array::from_fn(|k| w[(j0 + i) * M + k]));
    let bj: [T; NB] = std::array::from_fn(|i| b[j0 + i]);
    let cv: [T; NB] = std::array::from_fn(|i| c[j0 + i] * v[j0 + i]);
    for s in 0..cnt {
        let x: [T; M] = std::array::from_fn(|k| xs[k][s]);
        let mut fs = f[s];
        for i in 0..NB {
            let mut z = bj[i];
            for k in 0..M {
                z += wj[i][k] * x[k];
            }
            fs += cv[i] * A::f(z);
        }
        f[s] = fs;
    }
}
