//! Checking a compression: the relative moment residual and the moment table (original vs compressed,
//! every `|α| ≤ k`).

use serde::Serialize;

use super::Cloud;
use super::basis::{Features, Frame};
use super::{exponents, monomial};

/// `‖A c' − A c‖ / ‖A c‖` with `A` the Chebyshev features of the whole cloud's bounding-box frame.
pub fn relative_residual(cloud: &Cloud, new_weights: &[f64], order: usize) -> f64 {
    let mut f = Features::new(cloud.dim, order);
    let n = cloud.len();
    let frame = Frame::bounding(&cloud.points, cloud.dim, 0..n);
    let a = f.moment_vector(&cloud.points, |i| cloud.weights[i], 0..n, &frame);
    let b = f.moment_vector(&cloud.points, |i| new_weights[i], 0..n, &frame);
    let num = a
        .iter()
        .zip(&b)
        .map(|(u, v)| (u - v) * (u - v))
        .sum::<f64>()
        .sqrt();
    let den = a.iter().map(|u| u * u).sum::<f64>().sqrt();
    num / den
}

/// One row of a moment table: the moment `Σ c_i u_i^α` of the original and of the compressed cloud in the
/// table's [`MomentFrame`] and their difference relative to `Σ c_i |u_i^α|` (the sum's own magnitude, so
/// near-zero odd moments do not blow the ratio up).
#[derive(Clone, Debug, Serialize)]
pub struct MomentRow {
    pub exponents: Vec<u32>,
    pub original: f64,
    pub compressed: f64,
    pub rel_diff: f64,
}

/// The coordinates `u = (x − centre) / scale` a moment table is written in. Moments up to order k in any
/// affine frame determine those in any other (the moment space is the same), so matching them in one frame
/// is matching them in all. The identity frame (centre 0, scale 1: raw moments of the input) is used
/// whenever all its entries are finite; otherwise (coordinates whose powers overflow, e.g. 1e200 at
/// order 2) the cloud's bounding-box frame, where every `|u| ≤ 1`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MomentFrame {
    pub centre: Vec<f64>,
    pub scale: f64,
}

impl MomentFrame {
    pub fn is_identity(&self) -> bool {
        self.scale == 1.0 && self.centre.iter().all(|&c| c == 0.0)
    }
}

fn table_in(
    cloud: &Cloud,
    indices: &[usize],
    weights: &[f64],
    order: usize,
    frame: &MomentFrame,
) -> Vec<MomentRow> {
    let mut u = vec![0.0; cloud.dim];
    let mut monomial_at = |i: usize, alpha: &[u32]| {
        for ((ua, x), c) in u.iter_mut().zip(cloud.point(i)).zip(&frame.centre) {
            *ua = (x - c) / frame.scale;
        }
        monomial(&u, alpha)
    };
    exponents(cloud.dim, order)
        .into_iter()
        .map(|alpha| {
            let mut orig = 0.0;
            let mut mag = 0.0;
            for (i, &c) in cloud.weights.iter().enumerate() {
                let v = c * monomial_at(i, &alpha);
                orig += v;
                mag += v.abs();
            }
            let comp: f64 = indices
                .iter()
                .zip(weights)
                .map(|(&i, &w)| w * monomial_at(i, &alpha))
                .sum();
            let rel_diff = if mag > 0.0 {
                (orig - comp).abs() / mag
            } else {
                (orig - comp).abs()
            };
            // A non-finite magnitude makes the ratio meaningless even if it came out finite (x / inf = 0).
            let rel_diff = if mag.is_finite() { rel_diff } else { f64::NAN };
            MomentRow {
                exponents: alpha,
                original: orig,
                compressed: comp,
                rel_diff,
            }
        })
        .collect()
}

/// Whether every number of a moment table is finite.
pub fn table_is_finite(rows: &[MomentRow]) -> bool {
    rows.iter()
        .all(|r| r.original.is_finite() && r.compressed.is_finite() && r.rel_diff.is_finite())
}

/// The moment table of the kept points `indices` with weights `weights` against the whole cloud, for every
/// `|α| ≤ order`, and the frame it is written in (see [`MomentFrame`]). An entry can still be non-finite
/// only if a weight is (check with [`table_is_finite`]).
pub fn moment_table(
    cloud: &Cloud,
    indices: &[usize],
    weights: &[f64],
    order: usize,
) -> (MomentFrame, Vec<MomentRow>) {
    let identity = MomentFrame {
        centre: vec![0.0; cloud.dim],
        scale: 1.0,
    };
    let raw = table_in(cloud, indices, weights, order, &identity);
    if table_is_finite(&raw) {
        return (identity, raw);
    }
    let b = Frame::bounding(&cloud.points, cloud.dim, 0..cloud.len());
    let frame = MomentFrame {
        centre: b.centre,
        scale: b.scale,
    };
    let rows = table_in(cloud, indices, weights, order, &frame);
    (frame, rows)
}
