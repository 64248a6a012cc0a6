//! Optimisers with PyTorch semantics, and the cosine-annealing learning-rate schedule.
//!
//! Every optimiser acts elementwise on a flat parameter vector `p` with gradient `g` (the layout of
//! [`super::TwoLayerNet::params`]); state vectors share the layout, so one step costs `O(P)` with no
//! allocation after the first. All arithmetic is in the net's precision `T`; scalars (bias corrections,
//! step sizes) are formed in f64 and rounded once. `t` counts steps from 1.
//!
//! Every decaying state value (momentum buffers, Adam's `m` and `v`, RMSprop's averages) is flushed to
//! zero when it falls below the smallest normal float ([`Real::flush_subnormal`]): a change of at most
//! ~1e-38 (f32) that keeps long runs off the CPU's slow subnormal path.
//!
//! | rule | update (PyTorch `torch.optim`, default hyper-parameters in brackets) |
//! |---|---|
//! | SGD | `g ← g + λp`; momentum μ: `buf ← g` (first step) else `buf ← μ buf + (1−τ) g`; nesterov: `g ← g + μ buf`, else `g ← buf`; `p ← p − η g` [μ = 0, τ = 0, λ = 0] |
//! | Adam | `g ← g + λp`; `m ← m + (1−β₁)(g − m)` (torch's `lerp`); `v ← β₂ v + (1−β₂) g²`; `p ← p − (η/(1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)` [β = (0.9, 0.999), ε = 1e-8, λ = 0] |
//! | AdamW | `p ← p (1 − ηλ)` (decoupled), then Adam without the `λp` term [λ = 0.01] |
//! | Rprop | `s = sign(g · g_prev)`; step `Δ ← clamp(Δ · {η₊ if s>0, η₋ if s<0, 1 if s=0}, Δmin, Δmax)`; where `s<0`: `g ← 0`; `p ← p − sign(g) Δ`; `g_prev ← g`. `Δ` starts at the learning rate of the **first** step [η± = (0.5, 1.2), Δ ∈ (1e-6, 50)] |
//! | RMSprop | `g ← g + λp`; `a ← α a + (1−α) g²`; centered: `ḡ ← ḡ + (1−α)(g − ḡ)`, `a' = a − ḡ²`; `D = √a' + ε`; momentum μ: `buf ← μ buf + g/D`, `p ← p − η buf`, else `p ← p − η g/D` [α = 0.99, ε = 1e-8, μ = 0, λ = 0] |
//!
//! As in PyTorch, Rprop reads the learning rate only when it creates its step sizes, so a schedule has no
//! effect on it after the first step.
//!
//! **Schedule.** [`CosineAnnealing`] is PyTorch's `CosineAnnealingLR` in closed form, stepped once per
//! epoch: `η_e = η_min + (η₀ − η_min)(1 + cos(π e / T_max))/2` (PyTorch's recursive form equals this up to
//! rounding). Epoch 0 uses `η₀`, epoch `T_max` uses `η_min`.

use serde::{Deserialize, Serialize};

use super::NnError;
use super::real::Real;

/// Which update rule, with its hyper-parameters. Constructors give PyTorch's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OptimizerKind {
    Sgd {
        momentum: f64,
        dampening: f64,
        nesterov: bool,
        weight_decay: f64,
    },
    Adam {
        beta1: f64,
        beta2: f64,
        eps: f64,
        weight_decay: f64,
    },
    #[serde(rename = "adamw")]
    AdamW {
        beta1: f64,
        beta2: f64,
        eps: f64,
        weight_decay: f64,
    },
    Rprop {
        eta_minus: f64,
        eta_plus: f64,
        step_min: f64,
        step_max: f64,
    },
    #[serde(rename = "rmsprop")]
    RmsProp {
        alpha: f64,
        eps: f64,
        momentum: f64,
        centered: bool,
        weight_decay: f64,
    },
}

/// An optimiser by name, with PyTorch's default hyper-parameters ([`OptimizerName::kind`]): what an
/// experiment's configuration names, serialised as `sgd`, `adam`, `adamw`, `rprop` or `rmsprop`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerName {
    Sgd,
    Adam,
    AdamW,
    Rprop,
    RmsProp,
}

impl OptimizerName {
    /// The optimiser with PyTorch's default hyper-parameters.
    pub const fn kind(self) -> OptimizerKind {
        match self {
            OptimizerName::Sgd => OptimizerKind::sgd(),
            OptimizerName::Adam => OptimizerKind::adam(),
            OptimizerName::AdamW => OptimizerKind::adamw(),
            OptimizerName::Rprop => OptimizerKind::rprop(),
            OptimizerName::RmsProp => OptimizerKind::rmsprop(),
        }
    }
}

impl std::str::FromStr for OptimizerName {
    type Err = NnError;
    /// Case-insensitive.
    fn from_str(name: &str) -> Result<Self, NnError> {
        match name.to_ascii_lowercase().as_str() {
            "sgd" => Ok(OptimizerName::Sgd),
            "adam" => Ok(OptimizerName::Adam),
            "adamw" => Ok(OptimizerName::AdamW),
            "rprop" => Ok(OptimizerName::Rprop),
            "rmsprop" => Ok(OptimizerName::RmsProp),
            _ => Err(NnError::Unknown {
                what: "optimiser",
                name: name.to_string(),
                expected: "sgd, adam, adamw, rprop or rmsprop",
            }),
        }
    }
}

impl OptimizerKind {
    /// Plain SGD.
    pub const fn sgd() -> Self {
        OptimizerKind::Sgd {
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        }
    }
    /// SGD with (heavy-ball) momentum.
    pub const fn sgd_momentum(momentum: f64) -> Self {
        OptimizerKind::Sgd {
            momentum,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        }
    }
    pub const fn adam() -> Self {
        OptimizerKind::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
    pub const fn adamw() -> Self {
        OptimizerKind::AdamW {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
    pub const fn rprop() -> Self {
        OptimizerKind::Rprop {
            eta_minus: 0.5,
            eta_plus: 1.2,
            step_min: 1e-6,
            step_max: 50.0,
        }
    }
    pub const fn rmsprop() -> Self {
        OptimizerKind::RmsProp {
            alpha: 0.99,
            eps: 1e-8,
            momentum: 0.0,
            centered: false,
            weight_decay: 0.0,
        }
    }

    /// Defaults by name: `sgd`, `adam`, `adamw`, `rprop`, `rmsprop` (case-insensitive).
    pub fn by_name(name: &str) -> Result<Self, NnError> {
        name.parse::<OptimizerName>().map(OptimizerName::kind)
    }

    /// Checks every hyper-parameter is in PyTorch's accepted range.
    pub fn validate(&self) -> Result<(), NnError> {
        fn chk(
            name: &'static str,
            v: f64,
            ok: bool,
            expected: &'static str,
        ) -> Result<(), NnError> {
            if ok && v.is_finite() {
                Ok(())
            } else {
                Err(NnError::BadHyperparameter {
                    name,
                    value: v,
                    expected,
                })
            }
        }
        match *self {
            OptimizerKind::Sgd {
                momentum,
                dampening,
                nesterov,
                weight_decay,
            } => {
                chk("momentum", momentum, momentum >= 0.0, "≥ 0")?;
                chk("dampening", dampening, dampening >= 0.0, "≥ 0")?;
                chk("weight_decay", weight_decay, weight_decay >= 0.0, "≥ 0")?;
                if nesterov && !(momentum > 0.0 && dampening == 0.0) {
                    return Err(NnError::BadHyperparameter {
                        name: "nesterov",
                        value: momentum,
                        expected: "momentum > 0 and dampening = 0",
                    });
                }
                Ok(())
            }
            OptimizerKind::Adam {
                beta1,
                beta2,
                eps,
                weight_decay,
            }
            | OptimizerKind::AdamW {
                beta1,
                beta2,
                eps,
                weight_decay,
            } => {
                chk("beta1", beta1, (0.0..1.0).contains(&beta1), "in [0, 1)")?;
                chk("beta2", beta2, (0.0..1.0).contains(&beta2), "in [0, 1)")?;
                chk("eps", eps, eps >= 0.0, "≥ 0")?;
                chk("weight_decay", weight_decay, weight_decay >= 0.0, "≥ 0")
            }
            OptimizerKind::Rprop {
                eta_minus,
                eta_plus,
                step_min,
                step_max,
            } => {
                chk(
                    "eta_minus",
                    eta_minus,
                    eta_minus > 0.0 && eta_minus < 1.0,
                    "in (0, 1)",
                )?;
                chk("eta_plus", eta_plus, eta_plus > 1.0, "> 1")?;
                chk("step_min", step_min, step_min >= 0.0, "≥ 0")?;
                chk("step_max", step_max, step_max >= step_min, "≥ step_min")
            }
            OptimizerKind::RmsProp {
                alpha,
                eps,
                momentum,
                weight_decay,
                ..
            } => {
                chk("alpha", alpha, (0.0..=1.0).contains(&alpha), "in [0, 1]")?;
                chk("eps", eps, eps >= 0.0, "≥ 0")?;
                chk("momentum", momentum, momentum >= 0.0, "≥ 0")?;
                chk("weight_decay", weight_decay, weight_decay >= 0.0, "≥ 0")
            }
        }
    }
}

/// `lr` must be finite and `> 0`.
pub fn check_lr(lr: f64) -> Result<(), NnError> {
    if lr > 0.0 && lr.is_finite() {
        Ok(())
    } else {
        Err(NnError::BadLearningRate(lr))
    }
}

/// Optimiser state for a flat parameter vector of fixed length.
#[derive(Clone, Debug, PartialEq)]
pub struct Optimizer<T> {
    kind: OptimizerKind,
    n: usize,
    t: u64,
    /// SGD/RMSprop momentum buffer, Adam `m`, Rprop previous gradient.
    s1: Vec<T>,
    /// Adam `v`, RMSprop square average, Rprop step sizes.
    s2: Vec<T>,
    /// RMSprop centred gradient average.
    s3: Vec<T>,
}

impl<T: Real> Optimizer<T> {
    /// State for `n_params` parameters (allocated lazily on the first step).
    pub fn new(kind: OptimizerKind, n_params: usize) -> Result<Self, NnError> {
        kind.validate()?;
        if n_params == 0 {
            return Err(NnError::ZeroWidth);
        }
        Ok(Optimizer {
            kind,
            n: n_params,
            t: 0,
            s1: Vec::new(),
            s2: Vec::new(),
            s3: Vec::new(),
        })
    }

    pub fn kind(&self) -> OptimizerKind {
        self.kind
    }
    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.t
    }
    /// Forget all state (as a freshly constructed optimiser).
    pub fn reset(&mut self) {
        self.t = 0;
        self.s1.clear();
        self.s2.clear();
        self.s3.clear();
    }

    /// One update `p ← p + Δ(g)` with learning rate `lr ≥ 0` (0 is allowed here because a schedule may
    /// reach it; configurations reject `lr ≤ 0` up front with [`check_lr`]). Errors:
    /// [`NnError::BadLearningRate`] for negative or non-finite `lr`, [`NnError::DimMismatch`]. Non-finite
    /// parameters or gradients propagate (detect them in the loss).
    pub fn step(&mut self, params: &mut [T], grads: &[T], lr: f64) -> Result<(), NnError> {
        if !(lr >= 0.0 && lr.is_finite()) {
            return Err(NnError::BadLearningRate(lr));
        }
        for (what, got) in [("parameters", params.len()), ("gradient", grads.len())] {
            if got != self.n {
                return Err(NnError::DimMismatch {
                    what,
                    expected: self.n,
                    got,
                });
            }
        }
        let first = self.t == 0;
        self.t += 1;
        let t = self.t;
        let n = self.n;
        let lr_t = T::from_f64(lr);
        match self.kind {
            OptimizerKind::Sgd {
                momentum,
                dampening,
                nesterov,
                weight_decay,
            } => {
                let wd = T::from_f64(weight_decay);
                let mu = T::from_f64(momentum);
                let damp = T::from_f64(1.0 - dampening);
                if momentum != 0.0 && first {
                    self.s1 = vec![T::ZERO; n];
                }
                for i in 0..n {
                    let mut d = grads[i];
                    if weight_decay != 0.0 {
                        d += wd * params[i];
                    }
                    if momentum != 0.0 {
                        let buf = &mut self.s1[i];
                        *buf = if first {
                            d
                        } else {
                            (mu * *buf + damp * d).flush_subnormal()
                        };
                        d = if nesterov { d + mu * *buf } else { *buf };
                    }
                    params[i] -= lr_t * d;
                }
            }
            OptimizerKind::Adam {
                beta1,
                beta2,
                eps,
                weight_decay,
            }
            | OptimizerKind::AdamW {
                beta1,
                beta2,
                eps,
                weight_decay,
            } => {
                let decoupled = matches!(self.kind, OptimizerKind::AdamW { .. });
                if first {
                    self.s1 = vec![T::ZERO; n];
                    self.s2 = vec![T::ZERO; n];
                }
                let bc1 = 1.0 - beta1.powi(t.min(i32::MAX as u64) as i32);
                let bc2 = 1.0 - beta2.powi(t.min(i32::MAX as u64) as i32);
                let step_size = T::from_f64(lr / bc1);
                let bc2_sqrt = T::from_f64(bc2.sqrt());
                let one_m_b1 = T::from_f64(1.0 - beta1);
                let b2 = T::from_f64(beta2);
                let one_m_b2 = T::from_f64(1.0 - beta2);
                let eps = T::from_f64(eps);
                let wd = T::from_f64(weight_decay);
                let decay = T::from_f64(1.0 - lr * weight_decay);
                // Zipped iterators (no bounds checks) so the loop vectorises; the branch is hoisted.
                let (s1, s2) = (&mut self.s1[..n], &mut self.s2[..n]);
                let iter = params
                    .iter_mut()
                    .zip(grads)
                    .zip(s1.iter_mut().zip(s2.iter_mut()));
                let coupled_wd = weight_decay != 0.0 && !decoupled;
                let decoupled_wd = weight_decay != 0.0 && decoupled;
                for ((p, &g0), (m, v)) in iter {
                    let mut g = g0;
                    if decoupled_wd {
                        *p *= decay;
                    }
                    if coupled_wd {
                        g += wd * *p;
                    }
                    *m = (*m + one_m_b1 * (g - *m)).flush_subnormal();
                    *v = (b2 * *v + one_m_b2 * g * g).flush_subnormal();
                    let denom = v.sqrt() / bc2_sqrt + eps;
                    *p -= step_size * (*m / denom);
                }
            }
            OptimizerKind::Rprop {
                eta_minus,
                eta_plus,
                step_min,
                step_max,
            } => {
                if first {
                    self.s1 = vec![T::ZERO; n];
                    self.s2 = vec![lr_t; n];
                }
                let (em, ep) = (T::from_f64(eta_minus), T::from_f64(eta_plus));
                let (lo, hi) = (T::from_f64(step_min), T::from_f64(step_max));
                for i in 0..n {
                    let mut g = grads[i];
                    let prod = g * self.s1[i];
                    let factor = if prod > T::ZERO {
                        ep
                    } else if prod < T::ZERO {
                        em
                    } else {
                        T::ONE
                    };
                    let mut s = self.s2[i] * factor;
                    // clamp (NaN passes through, as torch.clamp)
                    if s < lo {
                        s = lo;
                    }
                    if s > hi {
                        s = hi;
                    }
                    self.s2[i] = s;
                    if prod < T::ZERO {
                        g = T::ZERO;
                    }
                    let sign = if g > T::ZERO {
                        T::ONE
                    } else if g < T::ZERO {
                        -T::ONE
                    } else {
                        g // 0 stays 0, NaN stays NaN
                    };
                    params[i] -= sign * s;
                    self.s1[i] = g;
                }
            }
            OptimizerKind::RmsProp {
                alpha,
                eps,
                momentum,
                centered,
                weight_decay,
            } => {
                if first {
                    self.s2 = vec![T::ZERO; n];
                    if momentum > 0.0 {
                        self.s1 = vec![T::ZERO; n];
                    }
                    if centered {
                        self.s3 = vec![T::ZERO; n];
                    }
                }
                let a = T::from_f64(alpha);
                let one_m_a = T::from_f64(1.0 - alpha);
                let eps = T::from_f64(eps);
                let wd = T::from_f64(weight_decay);
                let mu = T::from_f64(momentum);
                for i in 0..n {
                    let mut g = grads[i];
                    if weight_decay != 0.0 {
                        g += wd * params[i];
                    }
                    let sq = &mut self.s2[i];
                    *sq = (a * *sq + one_m_a * g * g).flush_subnormal();
                    let avg = if centered {
                        let ga = &mut self.s3[i];
                        *ga = (*ga + one_m_a * (g - *ga)).flush_subnormal();
                        (*sq - *ga * *ga).sqrt() + eps
                    } else {
                        sq.sqrt() + eps
                    };
                    if momentum > 0.0 {
                        let buf = &mut self.s1[i];
                        *buf = (mu * *buf + g / avg).flush_subnormal();
                        params[i] -= lr_t * *buf;
                    } else {
                        params[i] -= lr_t * (g / avg);
                    }
                }
            }
        }
        Ok(())
    }
}

/// PyTorch's `CosineAnnealingLR`, stepped per epoch. See the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CosineAnnealing {
    pub base_lr: f64,
    pub t_max: u64,
    pub eta_min: f64,
}

impl CosineAnnealing {
    /// `T_max = epochs`, `η_min = 0` (the paper's setting).
    pub fn new(base_lr: f64, t_max: u64) -> Result<Self, NnError> {
        Self::with_min(base_lr, t_max, 0.0)
    }
    pub fn with_min(base_lr: f64, t_max: u64, eta_min: f64) -> Result<Self, NnError> {
        check_lr(base_lr)?;
        if t_max == 0 {
            return Err(NnError::BadHyperparameter {
                name: "t_max",
                value: 0.0,
                expected: "≥ 1 epoch",
            });
        }
        if !(eta_min >= 0.0 && eta_min <= base_lr) {
            return Err(NnError::BadHyperparameter {
                name: "eta_min",
                value: eta_min,
                expected: "in [0, base_lr]",
            });
        }
        Ok(CosineAnnealing {
            base_lr,
            t_max,
            eta_min,
        })
    }
    /// Learning rate during epoch `epoch` (0-based).
    pub fn lr(&self, epoch: u64) -> f64 {
        let phase = std::f64::consts::PI * epoch as f64 / self.t_max as f64;
        self.eta_min + (self.base_lr - self.eta_min) * (1.0 + libm::cos(phase)) / 2.0
    }
}
