//! Everything that can be wrong with a compression request, with messages that say what to change.

use std::fmt;

use super::MAX_ORDER;

/// Everything that can be wrong with a compression request.
#[derive(Clone, Debug, PartialEq)]
pub enum CompressError {
    Empty,
    ZeroDimension,
    Ragged {
        values: usize,
        dim: usize,
    },
    NonFinite {
        row: usize,
        col: usize,
    },
    BadWeight {
        row: usize,
        value: f64,
    },
    WeightCount {
        weights: usize,
        rows: usize,
    },
    ZeroMass,
    TargetBelowMoments {
        target: usize,
        n_moments: usize,
        dim: usize,
        order: usize,
    },
    TooLarge {
        dim: usize,
        order: usize,
        needed_bytes: f64,
        limit_bytes: usize,
    },
    UnknownStrategy(String),
    /// An order above [`MAX_ORDER`].
    OrderTooHigh {
        order: usize,
    },
    /// A coordinate beyond [`MAX_COORDINATE`](super::MAX_COORDINATE) in magnitude.
    CoordinateTooLarge {
        row: usize,
        col: usize,
    },
}

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CompressError::*;
        match self {
            Empty => write!(f, "the point cloud is empty"),
            ZeroDimension => write!(f, "points must have at least one coordinate (m ≥ 1)"),
            Ragged { values, dim } => {
                write!(
                    f,
                    "{values} coordinates cannot be split into points of dimension {dim}"
                )
            }
            NonFinite { row, col } => {
                write!(f, "point {row}, coordinate {col} is not a finite number")
            }
            BadWeight { row, value } => write!(
                f,
                "weight of point {row} is {value}; weights must be finite and ≥ 0"
            ),
            WeightCount { weights, rows } => write!(f, "{weights} weights given for {rows} points"),
            ZeroMass => write!(f, "all weights are zero: there is nothing to compress"),
            TargetBelowMoments {
                target,
                n_moments,
                dim,
                order,
            } => write!(
                f,
                "target size {target} is below N(m={dim}, k={order}) = {n_moments}, the number of moments to match; \
                 use a target ≥ {n_moments} or a lower order k"
            ),
            TooLarge {
                dim,
                order,
                needed_bytes,
                limit_bytes,
            } => write!(
                f,
                "order k={order} in m={dim} dimensions needs about {} of working memory, above the limit of {}; \
                 lower the order k (or the dimension m)",
                human_bytes(*needed_bytes),
                human_bytes(*limit_bytes as f64)
            ),
            CoordinateTooLarge { row, col } => write!(
                f,
                "point {row}, coordinate {col} is beyond ±1e300; rescale that column (the compressor works \
                 at any scale up to there)"
            ),
            OrderTooHigh { order } => write!(
                f,
                "order k = {order} is above the maximum of {MAX_ORDER}; lower k"
            ),
            UnknownStrategy(s) => write!(
                f,
                "unknown strategy '{s}' (use greedy, bulk, auto or random)"
            ),
        }
    }
}

impl std::error::Error for CompressError {}

/// Bytes in binary units (`256 MiB`, `1.5 GiB`), or in scientific notation from a TiB on.
pub fn human_bytes(b: f64) -> String {
    const MIB: f64 = (1u64 << 20) as f64;
    const GIB: f64 = (1u64 << 30) as f64;
    if b >= 1024.0 * GIB {
        format!("{b:.1e} bytes")
    } else if b >= GIB {
        format!("{:.1} GiB", b / GIB)
    } else {
        format!("{:.0} MiB", (b / MIB).ceil())
    }
}
