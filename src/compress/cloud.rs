//! The weighted point cloud a compression starts from, its validation, and the geometry helpers the
//! compressor measures clusters with.

use ndarray::ArrayView2;

use super::CompressError;
use super::basis::Frame;

/// The largest coordinate magnitude a cloud may have. Internally the compressor works on the cloud divided
/// by a power of two when its coordinates are very large or very small (see [`Compressor`](super::Compressor)), so any scale
/// up to this works; the bound keeps reported diameters (in the user's units) finite.
pub const MAX_COORDINATE: f64 = 1e300;

/// The largest power of two not above `a` (for a finite `a` > 0; `f64::MIN_POSITIVE` for a subnormal `a`,
/// 1 for anything else): dividing by it is exact and maps `a` into `[1, 2)`.
pub fn power_of_two_below(a: f64) -> f64 {
    if !(a.is_finite() && a > 0.0) {
        1.0
    } else if a < f64::MIN_POSITIVE {
        f64::MIN_POSITIVE
    } else {
        f64::from_bits(a.to_bits() & 0x7FF0_0000_0000_0000)
    }
}

/// A weighted point cloud: `points` is row-major `d × dim`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cloud {
    pub dim: usize,
    pub points: Vec<f64>,
    pub weights: Vec<f64>,
}

impl Cloud {
    /// Unit weights.
    pub fn new(dim: usize, points: Vec<f64>) -> Cloud {
        let d = points.len().checked_div(dim).unwrap_or(0);
        Cloud {
            dim,
            points,
            weights: vec![1.0; d],
        }
    }

    /// Unit weights on the rows of `points` (`d × dim`, any memory layout; copied row-major).
    pub fn from_array(points: ArrayView2<f64>) -> Cloud {
        Cloud::new(points.ncols(), points.iter().copied().collect())
    }

    /// The points as a `d × dim` array (a view of [`Cloud::points`]).
    pub fn view(&self) -> ArrayView2<'_, f64> {
        ArrayView2::from_shape(
            (self.len(), self.dim),
            &self.points[..self.len() * self.dim],
        )
        .expect("len() × dim fits the points")
    }

    pub fn len(&self) -> usize {
        self.points.len().checked_div(self.dim).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn point(&self, i: usize) -> &[f64] {
        &self.points[i * self.dim..(i + 1) * self.dim]
    }

    /// Checks shape, finiteness and weights.
    pub fn validate(&self) -> Result<(), CompressError> {
        if self.dim == 0 {
            return Err(CompressError::ZeroDimension);
        }
        if self.points.is_empty() {
            return Err(CompressError::Empty);
        }
        if !self.points.len().is_multiple_of(self.dim) {
            return Err(CompressError::Ragged {
                values: self.points.len(),
                dim: self.dim,
            });
        }
        if self.weights.len() != self.len() {
            return Err(CompressError::WeightCount {
                weights: self.weights.len(),
                rows: self.len(),
            });
        }
        if let Some(p) = self.points.iter().position(|v| !v.is_finite()) {
            return Err(CompressError::NonFinite {
                row: p / self.dim,
                col: p % self.dim,
            });
        }
        if let Some(p) = self.points.iter().position(|v| v.abs() > MAX_COORDINATE) {
            return Err(CompressError::CoordinateTooLarge {
                row: p / self.dim,
                col: p % self.dim,
            });
        }
        if let Some((row, &value)) = self
            .weights
            .iter()
            .enumerate()
            .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
        {
            return Err(CompressError::BadWeight { row, value });
        }
        if self.weights.iter().all(|&w| w == 0.0) {
            return Err(CompressError::ZeroMass);
        }
        Ok(())
    }
}

/// Largest pairwise distance within `members` (exact for ≤ 64 points, else twice the largest distance to
/// the bounding-box centre, which is within a factor 2 of it).
pub fn diameter_of(points: &[f64], dim: usize, members: &[usize]) -> f64 {
    if members.len() <= 64 {
        let mut best = 0.0f64;
        for (a, &i) in members.iter().enumerate() {
            for &j in &members[a + 1..] {
                let d2: f64 = (0..dim)
                    .map(|t| (points[i * dim + t] - points[j * dim + t]).powi(2))
                    .sum();
                best = best.max(d2);
            }
        }
        return best.sqrt();
    }
    let frame = Frame::bounding(points, dim, members.iter().copied());
    let mut best = 0.0f64;
    for &i in members {
        let d2: f64 = (0..dim)
            .map(|t| (points[i * dim + t] - frame.centre[t]).powi(2))
            .sum();
        best = best.max(d2);
    }
    2.0 * best.sqrt()
}
