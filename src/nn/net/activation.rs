//! The activations σ (ReLU, tanh, sigmoid) as names and as static kernels' functions, and the neuron
//! coordinates ("charts") in which a net's neurons are handed to the compressor.

use serde::{Deserialize, Serialize};

use crate::nn::NnError;
use crate::nn::real::Real;

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
    /// better (docs/RESULTS.md compares the initial test-loss gaps over seeds). But the chart is not one-to-one: it forgets `r_j`, on which the function does not depend
    /// and gradient descent does (`(v, w, b) → (c v, (w, b)/c)` keeps the function, not the gradients),
    /// so Theorem 5 does not cover it. Where the trained compressed net ends depends on the run and the optimiser (docs/RESULTS.md).
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
pub(super) trait Act {
    fn f<T: Real>(z: T) -> T;
    /// (σ(z), σ'(z)).
    fn fd<T: Real>(z: T) -> (T, T);
}
pub(super) struct Relu;
pub(super) struct Tanh;
pub(super) struct Sigmoid;
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
