//! What a compression will cost, from its sizes alone: working memory and a rough flop count, used to
//! refuse runs far too large before they start.

use serde::Serialize;

use super::{Strategy, n_moments};

/// Approximate working memory (bytes) for order k in m dimensions: cluster matrices, copies and the
/// null-space basis of a `2N`-point cluster.
pub fn working_memory(dim: usize, order: usize) -> f64 {
    match n_moments(dim, order) {
        Some(n) => 8.0 * 6.0 * (n as f64) * (2.0 * n as f64),
        None => f64::INFINITY,
    }
}

/// An estimate of what a compression costs, from its sizes alone (see [`estimated_cost`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct CompressCost {
    /// The largest piece of work done in one call (the constructor, or one unit of [`Compressor::step`](super::Compressor::step)):
    /// what a caller cannot interrupt. For [`Strategy::Random`] the whole compression.
    pub largest_call_flops: f64,
    /// The whole compression.
    pub flops: f64,
    /// Peak memory of the compressor (its copy of the cloud included).
    pub bytes: f64,
}

/// Estimated cost of one k-nearest-neighbour query among `n` points in `m` dimensions: a fixed overhead
/// plus 3 flops per coordinate of every point visited, about `(k + 16) · 2^m` of them in a k-d tree (so
/// all `n` of them from m ≈ 12 on). Calibrated against `moment-lab compress` (m = 2..16, d = 2·10^4..10^5).
fn knn_flops(n: f64, m: f64, k: f64) -> f64 {
    1e4 + 3.0 * m * n.min((k + 16.0) * m.min(60.0).exp2())
}

/// Estimated cost of compressing `d` points in `dim` dimensions to `target` at order `order` with
/// `strategy` (the defaults of [`CompressParams`](super::CompressParams) otherwise) on `threads` worker threads (memory only).
/// Rough upper estimates in floating-point operations (tree walks counted as flop-equivalents), meant
/// for refusing runs far too large, not for predicting times:
/// - reducing a cluster of `N + q` points by `q` costs a pivoted QR, `≈ 2 N³`; bulk cells of `2N`
///   points lose `N` each (`≈ 4 N²` per eliminated point); the Auto end phase averages `q ≈ 3.3`
///   (`≈ 0.6 N³` per point; an upper estimate from `N = 144` on, where it starts at `N / 16` instead
///   of 8), greedy has `q = 1`;
/// - the Auto end phase and greedy query k nearest neighbours (`knn_flops`): a full pass over the
///   alive points when they start and whenever the ball size changes (up to 8 passes), a few per
///   eliminated point;
/// - building the k-d tree, `≈ 10 d m log₂ d`.
///
/// Every quantity is an `f64`: absurd sizes give huge or infinite estimates, never an overflow.
pub fn estimated_cost(
    d: usize,
    dim: usize,
    order: usize,
    target: usize,
    strategy: Strategy,
    threads: usize,
) -> CompressCost {
    let n_mom = n_moments(dim, order).map_or(f64::INFINITY, |n| n as f64);
    let (df, m, t) = (d as f64, dim as f64, (target as f64).min(d as f64));
    let tree = 10.0 * df * m * (df + 1.0).log2();
    let qr_bulk = 4.0 * n_mom * n_mom;
    let qr_one = 2.0 * n_mom * n_mom * n_mom;
    // Memory: the compressor's copy of the cloud, weights, tree, alive lists, QR workspaces.
    let per_point = 8.0 * m + 16.0 + 30.0 + 12.0 * m + 8.0;
    let scratch = working_memory(dim, order) * threads.max(1) as f64;
    let ball_cache = |n: f64, k: f64| {
        n * 4.0
            * (k + if n * (k + 64.0) * 4.0 > 268e6 {
                4.0
            } else {
                64.0
            })
            + n * 24.0
    };
    let (largest, flops, extra_bytes) = match strategy {
        Strategy::Bulk => {
            let f = tree + (df - t).max(0.0) * qr_bulk;
            (tree + qr_bulk * n_mom, f, 0.0)
        }
        Strategy::Random => {
            let f = 2.0 * (df - t).max(0.0) * qr_bulk + df * (df + 1.0).log2();
            (f, f, 0.0)
        }
        Strategy::Greedy => {
            let k = n_mom + 1.0;
            let query = knn_flops(df, m, k);
            let prefill = df * query;
            let f = tree + prefill + (df - t).max(0.0) * (qr_one + 4.0 * query);
            (tree + prefill, f, ball_cache(df, k))
        }
        Strategy::Auto => {
            let end = (3.0 * t).min(df);
            let bulk = (df - end).max(0.0) * qr_bulk;
            let k = n_mom + 8f64.max((n_mom / 16.0).floor());
            let query = knn_flops(end, m, k);
            let prefill = end * query;
            let f = tree + bulk + 8.0 * prefill + (end - t).max(0.0) * (0.3 * qr_one + 4.0 * query);
            (tree + prefill + qr_one, f, ball_cache(end, k))
        }
    };
    CompressCost {
        largest_call_flops: largest,
        flops,
        bytes: df * per_point + scratch + extra_bytes,
    }
}
