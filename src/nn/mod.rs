//! Two-layer (weighted) networks and their training: the dynamical lottery ticket of arXiv 2510.00504
//! (Sec. 4, Theorem 5, Definition 5) and the weighted-dataset experiments (Sec. 3.2).
//!
//! **Model.** `f(x) = Σ_{j=1}^{d} c_j v_j σ(w_j·x + b_j) + b_out`, input `x ∈ R^m` (`m ≥ 1`), width `d ≥ 1`,
//! scalar output, `σ ∈ {ReLU, tanh, sigmoid}`. The neuron weights `c_j ≥ 0` are fixed (all 1 for an
//! ordinary net; the compressor's weights for a compressed one). Initialisation is PyTorch's default for
//! `Linear(m,d)` + `Linear(d,1)`: `w, b ~ U(±1/√m)`, `v, b_out ~ U(±1/√d)` (no mean-field `1/d`).
//!
//! **Loss.** Weighted MSE over a batch `B`: `L = Σ_{s∈B} a_s (f(x_s) − y_s)² / Σ_{s∈B} a_s` (`a_s = 1`:
//! PyTorch's `MSELoss`).
//!
//! **Compressed dynamics** (paper, Sec. 4 "practical rule"). A neuron of weight `c_j` stands for `c_j`
//! identical copies; training it like one copy means multiplying the gradient of every parameter of
//! neuron `j` — `w_j`, `b_j`, `v_j` — by `1/c_j` (by 0 if `c_j ≤ tol`), while the shared `b_out` is not
//! rescaled ([`GradMode::Compressed`]). Then any update rule built from gradients elementwise (SGD,
//! Adam, …) acts on the weighted net exactly as on the net with repeated neurons; the tests check this to
//! 1e-9 in f64. [`GradMode::Autograd`] gives the unscaled gradient (to show that Adam/AdamW mostly hide a
//! missing rescale, since `1/c_j` cancels between `m̂` and `√v̂` when ε is negligible, while SGD does not).
//!
//! **Cost.** Forward `2 d (m+1)` flops per sample; forward + backward ≈ `6 d (m+1)`; an optimiser step
//! `O(d m)`. The kernel ([`net`]) processes 256-sample chunks: forward vectorised over samples, backward
//! over neurons, with no horizontal sums, so it auto-vectorises on SSE and wasm simd128 alike; no
//! allocation per step; bit-identical results on every target (no FMA, no platform libm). Speed is measured by
//! `benches/nn.rs` (native) and `npm run bench` (wasm in Chromium next to native); BENCHMARKS.md has the figures.
//!
//! Several arms fed identical batches: build one [`BatchStream`] per data set from the experiment seed and
//! call `fill_epoch(e, ..)` for each arm (or share the index list), then [`Trainer::step`] each arm on the
//! same slices.

pub mod attention;
pub mod batches;
pub mod fastmath;
pub mod net;
pub mod optim;
pub mod real;
pub mod special;
pub mod train;

use std::fmt;

pub use batches::{BatchStream, Sampling};
pub use net::{Activation, GradMode, Grads, NeuronChart, Samples, TwoLayerNet, Workspace};
pub use optim::{CosineAnnealing, Optimizer, OptimizerKind, OptimizerName, check_lr};
pub use real::Real;
pub use special::bessel_jn;
pub use train::{Schedule, TrainConfig, Trainer};

/// The largest label-noise standard deviation a synthetic task accepts: its labels are trained on in
/// f32, and far larger noise only overflows the loss.
pub const MAX_NOISE: f64 = 1e3;

/// Everything that can go wrong in `nn`.
#[derive(Clone, Debug, PartialEq)]
pub enum NnError {
    /// Input dimension 0.
    ZeroInputDim,
    /// Width 0 (or an empty neuron selection / parameter vector).
    ZeroWidth,
    /// No samples.
    EmptyData,
    /// A batch with no indices.
    EmptyBatch,
    /// Batch size 0.
    ZeroBatchSize,
    /// A length that does not fit.
    DimMismatch {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A non-finite input, target or parameter at flat position `index`.
    NonFinite { what: &'static str, index: usize },
    /// A neuron weight that is negative or not finite.
    BadNeuronWeight { index: usize, value: f64 },
    /// A sample weight that is negative or not finite.
    BadSampleWeight { index: usize, value: f64 },
    /// The sample weights of the data set (or of a batch) sum to 0.
    ZeroTotalWeight,
    /// An index ≥ the number of samples or neurons.
    IndexOutOfRange { index: usize, len: usize },
    /// Learning rate ≤ 0 or not finite.
    BadLearningRate(f64),
    /// A hyper-parameter out of range.
    BadHyperparameter {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// An unknown name (activation, optimiser).
    Unknown {
        what: &'static str,
        name: String,
        expected: &'static str,
    },
    /// Training produced a non-finite loss (or non-finite parameters) at optimiser step `step`.
    Diverged { step: u64, loss: f64 },
    /// An array given as a view that is not in standard (row-major, contiguous) layout.
    NotContiguous { what: &'static str },
}

impl fmt::Display for NnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use NnError::*;
        match self {
            ZeroInputDim => write!(f, "input dimension must be at least 1"),
            ZeroWidth => write!(f, "network width must be at least 1"),
            EmptyData => write!(f, "the data set is empty"),
            EmptyBatch => write!(f, "a batch must contain at least one sample"),
            ZeroBatchSize => write!(f, "batch size must be at least 1"),
            DimMismatch {
                what,
                expected,
                got,
            } => write!(f, "{what}: expected {expected} values, got {got}"),
            NonFinite { what, index } => write!(f, "{what} {index} is not a finite number"),
            BadNeuronWeight { index, value } => write!(
                f,
                "neuron weight c_{index} = {value}; neuron weights must be finite and ≥ 0"
            ),
            BadSampleWeight { index, value } => write!(
                f,
                "sample weight {index} = {value}; sample weights must be finite and ≥ 0"
            ),
            ZeroTotalWeight => write!(f, "the sample weights sum to zero"),
            IndexOutOfRange { index, len } => {
                write!(f, "index {index} out of range for {len} items")
            }
            BadLearningRate(lr) => write!(
                f,
                "learning rate {lr} is invalid; it must be a finite number > 0"
            ),
            BadHyperparameter {
                name,
                value,
                expected,
            } => write!(f, "{name} = {value} is invalid; expected {expected}"),
            Unknown {
                what,
                name,
                expected,
            } => write!(f, "unknown {what} '{name}' (use {expected})"),
            Diverged { step, loss } => write!(
                f,
                "training diverged at step {step} (loss {loss}); lower the learning rate"
            ),
            NotContiguous { what } => write!(
                f,
                "{what}: not in standard (row-major, contiguous) layout; pass .as_standard_layout()"
            ),
        }
    }
}

impl std::error::Error for NnError {}
