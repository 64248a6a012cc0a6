//! Moment Lab: the universal compression theorem of arXiv 2510.00504, runnable.
//!
//! Layers (dependencies point down only):
//! - [`experiments`]: step-able state machines, identical in the CLI, the web worker and the tests.
//! - [`compress`], [`nn`], [`data`]: the pure core. No clocks, no I/O, no JS.
//! - `wasm` (wasm32 only): the one thin binding layer for the browser.
//!
//! docs/ARCHITECTURE.md has the picture; measured speed and fidelity are in BENCHMARKS.md and
//! docs/RESULTS.md.
//!
//! # Compressing a point cloud
//!
//! Points go in as an [`ndarray`] view (`d × dim`), the kept points come out as an array: at most `target`
//! of the original rows, with new weights that keep every moment up to order `k`.
//!
//! ```
//! use moment_lab::compress::{compress, relative_residual, Cloud, CompressParams};
//! use ndarray::{Array1, Array2, Axis};
//!
//! // 2000 points in the plane (any deterministic or random cloud will do).
//! let points = Array2::from_shape_fn((2000, 2), |(i, j)| ((i * (3 + j)) as f64 * 0.618_034).sin());
//! let cloud = Cloud::from_array(points.view());
//!
//! // Keep 40 of them with every moment up to order k = 3.
//! let kept = compress(&cloud, &CompressParams::new(3, 40)).unwrap();
//! assert!(kept.indices.len() <= 40);
//! assert!(kept.diagnostics.residual < 1e-9);
//!
//! // The weighted mean of the kept points is the mean of the whole cloud (a moment of order 1).
//! let kept_points: Array2<f64> = kept.kept_points(&cloud);
//! let weights = Array1::from(kept.weights.clone());
//! let mean = kept_points.t().dot(&weights) / weights.sum();
//! let full_mean = points.mean_axis(Axis(0)).unwrap();
//! assert!((&mean - &full_mean).iter().all(|e| e.abs() < 1e-9));
//!
//! // The same, measured on the whole cloud: the kept weights scattered back to their rows.
//! let mut scattered = vec![0.0; cloud.len()];
//! for (&i, &w) in kept.indices.iter().zip(&kept.weights) {
//!     scattered[i] = w;
//! }
//! assert!(relative_residual(&cloud, &scattered, 3) < 1e-9);
//! ```

pub mod compress;
pub mod data;
pub mod experiments;
pub mod nn;
pub mod parallel;
pub mod rng;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
