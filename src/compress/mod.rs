//! The moment-matching compressor (Theorem 2, Algorithms 1 and 2 of arXiv 2510.00504).
//!
//! **What it computes.** Given `d` points `x_i ∈ R^m` with weights `c_i ≥ 0`, an order `k` and a target
//! `d' ≥ N(m,k) = C(m+k,k)`, it returns a subset of at most `d'` of the *original* points with new weights
//! `c'_j ≥ 0` such that every moment `Σ c_i x_i^α`, `|α| ≤ k` (order 0 = total weight), is unchanged up to
//! rounding. By Theorem 3 of the paper, the error this causes on any smooth symmetric function is of order
//! `mass × diameter^(k+1)` per eliminated point, so *where* points are eliminated matters: always inside
//! small clusters.
//!
//! **How (Algorithm 1).** Repeatedly pick a small-diameter cluster of more than `N` alive points and reduce
//! it by Carathéodory peeling ([`recombine`]) — one pivoted QR per cluster, many points removed per
//! factorisation. Strategies choose the clusters:
//! - [`Strategy::Greedy`]: the theorem's rule. Always the smallest ball of `N+1` alive points (exact k-NN in
//!   a k-d tree; a lazy priority queue exploits that balls only grow as points leave); one point per step.
//! - [`Strategy::Bulk`]: cells of a median-split k-d tree (`≤ 2N` points each) reduced to `N`, smallest
//!   first; then sibling cells merged and reduced again, level by level, until `d'` remain.
//! - [`Strategy::Auto`]: bulk down to `3 d'` ([`CompressParams::end_from`]), then rounds: each round takes
//!   the smallest *disjoint* `(N+q)`-point neighbour balls (about 1/10 of how many would fit) and removes
//!   `q` points from each, `q` falling from `max(8, N/16)` to 1 as the target nears. Early eliminations are cheap and
//!   harmless; the last ones, when points are sparse and heavy, dominate the error, and spreading them
//!   evenly over the cloud (rather than greedily hammering the densest spot) keeps weights balanced.
//! - [`Strategy::Random`]: a baseline *without* locality — clusters of `2N` points drawn at random. It
//!   matches the moments just as exactly but ignores diameter; compare it to see why locality matters.
//!
//! **Cost.** Bulk: `O(d N²)` flops (one `N × 2N` QR per `N` removed points). Greedy: `O(N³)` per removed
//! point plus a k-NN query per heap pop. Memory: `O(d m + N²)` (plus one cluster workspace per thread).
//!
//! **Threads** ([`CompressParams::threads`], native only). Bulk cells of one level and the balls of one
//! end-phase round are disjoint, and the neighbour lists of a round are queries on a tree that does not
//! change meanwhile; those go to worker threads whenever doing them together cannot change what the
//! one-thread order would have done (no cluster would have met the `alive - target` cap before its turn).
//! The output is bit-identical for every thread count (tested); greedy is sequential by nature.
//!
//! The compressor is a step-able state machine ([`Compressor::step`]) so that a browser worker can report
//! progress and stop; [`compress`] runs it to the end.

pub mod baselines;
pub mod basis;
mod bulk;
mod cloud;
mod compressor;
mod cost;
mod error;
mod greedy;
pub mod linalg;
mod params;
pub mod recombine;
mod rounds;
pub mod spatial;
mod table;

pub use basis::{exponents, monomial, n_moments};
pub use cloud::{Cloud, MAX_COORDINATE, diameter_of, power_of_two_below};
pub use compressor::{Compressed, Compressor, Diagnostics, Progress, RECORDED_CLUSTERS, compress};
pub use cost::{CompressCost, estimated_cost, working_memory};
pub use error::{CompressError, human_bytes};
pub use params::{CompressParams, DEFAULT_MEMORY_LIMIT, MAX_ORDER, Strategy, check_order};
pub use table::{MomentFrame, MomentRow, moment_table, relative_residual, table_is_finite};
