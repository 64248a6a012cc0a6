//! [`Samples`]: the borrowed view of a data set that the kernels train and evaluate on, checked once.

use ndarray::{ArrayView1, ArrayView2};

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
    /// The same view of ndarray data: the rows of `x` (`n × input_dim`) with one target each in `y`,
    /// borrowed, not copied, and checked as by [`Samples::new`]. Both must be in standard (row-major,
    /// contiguous) layout, as arrays built the usual way are; another layout (a transposed view, a strided
    /// slice) is [`NnError::NotContiguous`], never a silent copy.
    pub fn from_arrays(x: ArrayView2<'a, T>, y: ArrayView1<'a, T>) -> Result<Self, NnError> {
        if x.nrows() != y.len() {
            return Err(NnError::DimMismatch {
                what: "targets (one per row of the inputs)",
                expected: x.nrows(),
                got: y.len(),
            });
        }
        let input_dim = x.ncols();
        let Some(xs) = x.to_slice() else {
            return Err(NnError::NotContiguous { what: "inputs" });
        };
        let Some(ys) = y.to_slice() else {
            return Err(NnError::NotContiguous { what: "targets" });
        };
        Samples::new(xs, ys, input_dim)
    }

    /// The inputs as an `n × input_dim` array (a view).
    pub fn inputs(&self) -> ArrayView2<'a, T> {
        ArrayView2::from_shape((self.len(), self.input_dim), self.x)
            .expect("checked by Samples::new: n × input_dim values")
    }

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

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2, s};

    use super::*;
    use crate::nn::{Activation, TwoLayerNet, Workspace};

    #[test]
    fn arrays_give_the_slices_view_bit_for_bit() {
        let x = Array2::from_shape_fn((50, 3), |(i, k)| ((i * 7 + k * 3) as f32 * 0.37).sin());
        let y = Array1::from_shape_fn(50, |i| (i as f32 * 0.11).cos());
        let from_arrays = Samples::from_arrays(x.view(), y.view()).unwrap();
        let from_slices = Samples::new(x.as_slice().unwrap(), y.as_slice().unwrap(), 3).unwrap();
        assert_eq!(from_arrays.inputs(), x.view());
        let net = TwoLayerNet::<f32>::init(3, 16, Activation::Relu, 5).unwrap();
        assert_eq!(net.w_array().dim(), (16, 3));
        assert_eq!(net.w_array().row(2).to_vec(), net.w()[6..9].to_vec());
        let mut ws = Workspace::new(&net);
        let a = net.loss(&from_arrays, None, &mut ws).unwrap();
        let b = net.loss(&from_slices, None, &mut ws).unwrap();
        assert_eq!(a.to_bits(), b.to_bits());
    }

    #[test]
    fn other_layouts_and_shapes_are_errors_not_copies() {
        let x = Array2::<f32>::zeros((4, 6));
        let y = Array1::<f32>::zeros(6);
        assert_eq!(
            Samples::from_arrays(x.t(), y.view()).unwrap_err(),
            NnError::NotContiguous { what: "inputs" }
        );
        let y8 = Array1::<f32>::zeros(8);
        assert_eq!(
            Samples::from_arrays(x.slice(s![.., ..2]).t(), y8.slice(s![..;4])).unwrap_err(),
            NnError::NotContiguous { what: "inputs" }
        );
        assert_eq!(
            Samples::from_arrays(x.view(), y8.slice(s![..;2])).unwrap_err(),
            NnError::NotContiguous { what: "targets" }
        );
        assert!(matches!(
            Samples::from_arrays(x.view(), y.view()),
            Err(NnError::DimMismatch {
                expected: 4,
                got: 6,
                ..
            })
        ));
    }
}
