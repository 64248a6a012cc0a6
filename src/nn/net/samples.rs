//! [`Samples`]: the borrowed view of a data set that the kernels train and evaluate on, checked once.

use crate::nn::NnError;
use crate::nn::real::Real;

/// A borrowed training or test set: `n` inputs of dimension `input_dim` (row-major `x`, `n × input_dim`),
/// targets `y` and optional sample weights `a_s ≥ 0` (used by the loss as `Σ a e² / Σ a`).
#[derive(Clone, Copy, Debug)]
pub struct Samples<'a, T> {
    pub(super) x: &'a [T],
    pub(super) y: &'a [T],
    pub(super) weights: Option<&'a [T]>,
    pub(super) input_dim: usize,
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
