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
//!   `q` points from each, `q` falling from 8 to 1 as the target nears. Early eliminations are cheap and
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
pub mod linalg;
pub mod recombine;
pub mod spatial;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;

use basis::{Features, Frame};
pub use basis::{exponents, monomial, n_moments};
use serde::{Deserialize, Serialize};
use spatial::{BallCache, KdTree};

use crate::parallel::{PerWorker, Workers};

/// How clusters are chosen. See the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    Greedy,
    Bulk,
    #[default]
    Auto,
    Random,
}

impl std::str::FromStr for Strategy {
    type Err = CompressError;
    fn from_str(s: &str) -> Result<Self, CompressError> {
        match s.to_ascii_lowercase().as_str() {
            "greedy" => Ok(Strategy::Greedy),
            "bulk" => Ok(Strategy::Bulk),
            "auto" => Ok(Strategy::Auto),
            "random" => Ok(Strategy::Random),
            _ => Err(CompressError::UnknownStrategy(s.to_string())),
        }
    }
}

/// The highest moment order any compression accepts. `N(m, k)` and the cost grow fast with k (the paper
/// uses k ≤ 6; Fig. 8 raises k while the error falls, up to 40 in one dimension); an order above this is
/// refused with [`CompressError::OrderTooHigh`] by the compressor and by every experiment config.
pub const MAX_ORDER: usize = 64;

/// Checks an order against [`MAX_ORDER`].
pub fn check_order(order: usize) -> Result<(), CompressError> {
    if order > MAX_ORDER {
        return Err(CompressError::OrderTooHigh { order });
    }
    Ok(())
}

/// Parameters of a compression.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompressParams {
    /// Moment order k.
    pub order: usize,
    /// Target support size d'.
    pub target: usize,
    #[serde(default)]
    pub strategy: Strategy,
    /// Seed for the randomised parts (only [`Strategy::Random`] uses it).
    #[serde(default)]
    pub seed: u64,
    /// Refuse up front if the working memory would exceed this many bytes.
    #[serde(default = "default_memory_limit")]
    pub memory_limit: usize,
    /// [`Strategy::Auto`]: the end phase starts when `end_from × target` points are left (bulk before).
    #[serde(default = "default_end_from")]
    pub end_from: f64,
    /// [`Strategy::Auto`] end phase: each round reduces the smallest disjoint `(N+q)`-point balls, about
    /// this fraction of how many such balls would fit in the alive points.
    #[serde(default = "default_round_fraction")]
    pub round_fraction: f64,
    /// [`Strategy::Auto`] end phase: points removed per ball (`q`) at the start of the end phase; `q` falls
    /// linearly to 1 as the target is approached.
    #[serde(default = "default_end_q")]
    pub end_q: usize,
    /// Keep the moments of order k+1 as well wherever a cluster is large enough (more than `N(m,k+1)`
    /// points), and make the end phase's balls `N(m,k+1) + q` points so that they are: every elimination
    /// then perturbs smooth functions only at order k+2, so the error is much smaller — but it decays like
    /// the error of order k+1, so leave it off where the error's dependence on k is what is measured
    /// (Fig. 2). Off: a cluster larger than `N(m,k+1)` is peeled at order k+1 first and then at order k
    /// down to its target as before (see [`recombine`]), and the end phase stays at order k.
    #[serde(default)]
    pub lookahead: bool,
    /// Worker threads for disjoint clusters and neighbour queries (native only; 0 = one per core). The
    /// result is bit-identical for every thread count: clusters that are reduced together are disjoint
    /// and would not have been capped one after the other (see [`Compressor::step`]).
    #[serde(default = "default_threads")]
    pub threads: usize,
}

fn default_threads() -> usize {
    1
}

fn default_end_from() -> f64 {
    3.0
}
fn default_round_fraction() -> f64 {
    0.1
}
fn default_end_q() -> usize {
    8
}

/// The default of [`CompressParams::memory_limit`]: 1 GiB natively, 256 MiB in the wasm build, well
/// under what a phone's browser grants a page (the cloud, the tree and the page's own memory come on top).
pub const DEFAULT_MEMORY_LIMIT: usize = if cfg!(target_arch = "wasm32") {
    256 << 20
} else {
    1 << 30
};

fn default_memory_limit() -> usize {
    DEFAULT_MEMORY_LIMIT
}

impl CompressParams {
    pub fn new(order: usize, target: usize) -> CompressParams {
        CompressParams {
            order,
            target,
            strategy: Strategy::Auto,
            seed: 0,
            memory_limit: default_memory_limit(),
            end_from: default_end_from(),
            round_fraction: default_round_fraction(),
            end_q: default_end_q(),
            lookahead: false,
            threads: default_threads(),
        }
    }
    pub fn with_strategy(mut self, s: Strategy) -> Self {
        self.strategy = s;
        self
    }
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
}

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
    /// A coordinate beyond [`MAX_COORDINATE`] in magnitude.
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

/// The largest coordinate magnitude a cloud may have. Internally the compressor works on the cloud divided
/// by a power of two when its coordinates are very large or very small (see [`Compressor`]), so any scale
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

/// Diagnostics of one compression run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Diagnostics {
    /// Clustering rounds: bulk levels, plus one for the greedy phase if it ran.
    pub rounds: usize,
    /// Largest cluster diameter reduced in each round.
    pub max_diameter_per_round: Vec<f64>,
    /// Number of cluster factorisations (pivoted QRs).
    pub factorisations: usize,
    /// Points eliminated.
    pub eliminated: usize,
    /// Relative moment residual `‖A c' − A c‖ / ‖A c‖` in the whole cloud's Chebyshev frame.
    pub residual: f64,
}

/// The result: kept original points (ascending indices) and their new weights.
#[derive(Clone, Debug)]
pub struct Compressed {
    pub indices: Vec<usize>,
    pub weights: Vec<f64>,
    pub diagnostics: Diagnostics,
}

/// Progress of a [`Compressor`].
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Progress {
    pub alive: usize,
    pub target: usize,
    pub fraction: f64,
    pub done: bool,
}

enum Phase {
    Bulk(BulkState),
    Greedy(GreedyState),
    Rounds(RoundsState),
    Done,
}

struct BulkState {
    tree: KdTree,
    stop_at: usize,
    height: usize,
    /// Clusters of the current level, smallest diameter first (reversed: popped from the back).
    queue: Vec<(f64, usize)>,
}

struct GreedyState {
    balls: BallCache,
    heap: BinaryHeap<Reverse<(OrdF64, usize)>>,
    members: Vec<usize>,
}

/// The Auto end phase: rounds that each reduce the smallest disjoint `(N+q)`-point neighbour balls by `q`
/// points. Spreading the eliminations evenly keeps the weights balanced, which is what the last, most
/// costly eliminations need.
struct RoundsState {
    balls: BallCache,
    heap: BinaryHeap<Reverse<(OrdF64, usize)>>,
    members: Vec<usize>,
    /// Ball size the heap keys were computed for.
    size: usize,
    /// Round stamp of the last round that took each point into a ball.
    taken: Vec<u32>,
    stamp: u32,
    /// Accepted balls of the current round, concatenated.
    chosen: Vec<usize>,
    aside: Vec<(f64, usize)>,
    /// Alive count when the end phase started (for the q schedule).
    start: usize,
}

/// Cached neighbour-list length for balls of up to `k` points: some slack so lists outlive a few
/// deaths, less if the cache would get large.
fn cache_len(k: usize, n_points: usize) -> usize {
    let slack = if n_points * (k + 64) * 4 > (256 << 20) {
        4
    } else {
        64
    };
    k + slack
}

#[derive(Clone, Copy, PartialEq, Debug)]
struct OrdF64(f64);
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

/// With several workers: the next cells of the bulk queue (in queue order) whose sizes add up to at most
/// `room = alive - stop_at`, popped with their alive members, if there are at least two of them (else
/// nothing is popped). Cells of one level are disjoint, and with sizes adding up to `room` the cap
/// `alive - stop_at` that each would get one after the other is at least its size, so reducing them
/// together without a cap gives exactly the sequential result.
fn take_bulk_batch(st: &mut BulkState, room: usize) -> Vec<(f64, Vec<usize>)> {
    let mut batch = Vec::new();
    let mut total = 0;
    for &(diam, node) in st.queue.iter().rev() {
        let members = st.tree.alive_members(node);
        if total + members.len() > room {
            break;
        }
        total += members.len();
        batch.push((diam, members));
    }
    if batch.len() < 2 {
        return Vec::new();
    }
    st.queue.truncate(st.queue.len() - batch.len());
    batch
}

/// Step-able compressor. `new` validates; `step(budget)` eliminates about `budget` points; `result` reads
/// the current (final once `done`) support.
pub struct Compressor {
    /// The cloud the compressor works on: the input divided by `unit`.
    cloud: Cloud,
    /// The input as given, when `unit` is not 1 (else `cloud` is the input).
    input: Option<Cloud>,
    /// A power of two: 1, unless the input's largest coordinate is beyond 2^±400, where squared distances
    /// would overflow or underflow; then the largest one's power of two. Dividing by a power of two is
    /// exact and every quantity the compressor compares scales with it, so the result is that of the input
    /// computed without overflow.
    unit: f64,
    params: CompressParams,
    features: Features,
    n_mom: usize,
    weights: Vec<f64>,
    alive: usize,
    start_alive: usize,
    phase: Phase,
    diag: Diagnostics,
    round_max_diam: f64,
    ws: recombine::Workspace,
    workers: Workers,
    /// Scratch of each worker thread for [`Compressor::reduce_disjoint`], made on first use.
    scratch: Option<PerWorker<(recombine::Workspace, Features)>>,
    /// With [`Compressor::record_clusters`]: the clusters reduced by the last `step` call (at most
    /// [`RECORDED_CLUSTERS`]), for drawing.
    recent: Option<Vec<Vec<usize>>>,
}

/// How many clusters one `step` call records for display.
pub const RECORDED_CLUSTERS: usize = 256;

/// How the compressor's clusters are peeled (see [`CompressParams::lookahead`]).
fn peel_lookahead(params: &CompressParams) -> recombine::Lookahead {
    if params.lookahead {
        recombine::Lookahead::Only
    } else {
        recombine::Lookahead::First
    }
}

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
    /// The largest piece of work done in one call (the constructor, or one unit of [`Compressor::step`]):
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
/// `strategy` (the defaults of [`CompressParams`] otherwise) on `threads` worker threads (memory only).
/// Rough upper estimates in floating-point operations (tree walks counted as flop-equivalents), meant
/// for refusing runs far too large, not for predicting times:
/// - reducing a cluster of `N + q` points by `q` costs a pivoted QR, `≈ 2 N³`; bulk cells of `2N`
///   points lose `N` each (`≈ 4 N²` per eliminated point); the Auto end phase averages `q ≈ 3.3`
///   (`≈ 0.6 N³` per point), greedy has `q = 1`;
/// - the Auto end phase and greedy query k nearest neighbours ([`knn_flops`]): a full pass over the
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
            let k = n_mom + 8.0;
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

impl Compressor {
    pub fn new(cloud: Cloud, params: CompressParams) -> Result<Compressor, CompressError> {
        cloud.validate()?;
        let dim = cloud.dim;
        let order = params.order;
        check_order(order)?;
        let needed = working_memory(dim, order);
        if needed > params.memory_limit as f64 {
            return Err(CompressError::TooLarge {
                dim,
                order,
                needed_bytes: needed,
                limit_bytes: params.memory_limit,
            });
        }
        let n_mom = n_moments(dim, order).ok_or(CompressError::TooLarge {
            dim,
            order,
            needed_bytes: needed,
            limit_bytes: params.memory_limit,
        })?;
        if params.target < n_mom {
            return Err(CompressError::TargetBelowMoments {
                target: params.target,
                n_moments: n_mom,
                dim,
                order,
            });
        }
        let largest = cloud.points.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let unit = if largest > 2f64.powi(400) || (largest > 0.0 && largest < 2f64.powi(-400)) {
            power_of_two_below(largest)
        } else {
            1.0
        };
        let (cloud, input) = if unit == 1.0 {
            (cloud, None)
        } else {
            let scaled = Cloud {
                dim,
                points: cloud.points.iter().map(|v| v / unit).collect(),
                weights: cloud.weights.clone(),
            };
            (scaled, Some(cloud))
        };
        let weights = cloud.weights.clone();
        let alive = weights.iter().filter(|&&w| w > 0.0).count();
        let mut c = Compressor {
            features: Features::new(dim, order),
            n_mom,
            weights,
            alive,
            start_alive: alive,
            phase: Phase::Done,
            diag: Diagnostics::default(),
            round_max_diam: 0.0,
            ws: recombine::Workspace::new(peel_lookahead(&params)),
            workers: Workers::new(params.threads),
            scratch: None,
            recent: None,
            cloud,
            input,
            unit,
            params,
        };
        if c.alive > c.params.target {
            c.phase = match c.params.strategy {
                Strategy::Greedy => c.start_greedy(),
                Strategy::Bulk => c.start_bulk(c.params.target),
                Strategy::Auto => {
                    let until = c.end_from();
                    if c.alive > until {
                        c.start_bulk(until)
                    } else {
                        c.start_rounds()
                    }
                }
                Strategy::Random => {
                    c.run_random();
                    Phase::Done
                }
            };
        }
        Ok(c)
    }

    fn alive_ids(&self) -> Vec<usize> {
        (0..self.weights.len())
            .filter(|&i| self.weights[i] > 0.0)
            .collect()
    }

    fn start_bulk(&mut self, stop_at: usize) -> Phase {
        let tree = KdTree::build(
            &self.cloud.points,
            self.cloud.dim,
            self.alive_ids(),
            2 * self.n_mom,
        );
        let mut st = BulkState {
            tree,
            stop_at,
            height: 0,
            queue: Vec::new(),
        };
        self.fill_bulk_queue(&mut st);
        Phase::Bulk(st)
    }

    fn fill_bulk_queue(&mut self, st: &mut BulkState) {
        let dim = self.cloud.dim;
        let pts = &self.cloud.points;
        let mut q: Vec<(f64, usize)> = st
            .tree
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.height == st.height && n.alive > self.n_mom)
            .map(|(id, _)| (diameter_of(pts, dim, &st.tree.alive_members(id)), id))
            .collect();
        q.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
        if !q.is_empty() {
            self.begin_round();
        }
        st.queue = q;
    }

    fn start_greedy(&mut self) -> Phase {
        let ids = self.alive_ids();
        let k = self.n_mom + 1;
        let tree = KdTree::build(&self.cloud.points, self.cloud.dim, ids.clone(), 16);
        let mut st = GreedyState {
            balls: BallCache::new(tree, cache_len(k, ids.len())),
            heap: BinaryHeap::with_capacity(ids.len()),
            members: Vec::new(),
        };
        st.balls.prefill(&self.cloud.points, &ids, k, &self.workers);
        for &i in &ids {
            let r = st.balls.ball(&self.cloud.points, i, k, &mut st.members);
            st.heap.push(Reverse((OrdF64(r), i)));
        }
        self.begin_round();
        Phase::Greedy(st)
    }

    /// Alive count at which Auto switches from bulk to the end phase.
    fn end_from(&self) -> usize {
        let f = if self.params.end_from.is_finite() {
            self.params.end_from.max(1.0)
        } else {
            1.0
        };
        ((self.params.target as f64) * f).min(usize::MAX as f64 / 2.0) as usize
    }

    /// Points removed per ball in the end phase at the current alive count: `end_q` at the start, falling
    /// linearly to 1 at the target.
    fn end_q(&self, start: usize) -> usize {
        let qmax = self.params.end_q.max(1);
        let span = start.saturating_sub(self.params.target).max(1);
        let left = self.alive.saturating_sub(self.params.target);
        (1 + (qmax - 1) * left / span).clamp(1, qmax)
    }

    /// Points a ball of the end phase has beyond the `q` it loses: `N`, or with
    /// [`CompressParams::lookahead`] `N(m,k+1)` (so that it can keep the order-(k+1) moments) when the
    /// target leaves room for two such balls.
    fn ball_base(&self) -> usize {
        if !self.params.lookahead {
            return self.n_mom;
        }
        match n_moments(self.cloud.dim, self.params.order + 1) {
            Some(n_up) if n_up <= self.params.target / 2 => n_up,
            _ => self.n_mom,
        }
    }

    fn start_rounds(&mut self) -> Phase {
        let ids = self.alive_ids();
        let start = self.alive;
        let size = self.ball_base() + self.end_q(start);
        let tree = KdTree::build(&self.cloud.points, self.cloud.dim, ids.clone(), 16);
        let mut st = RoundsState {
            balls: BallCache::new(
                tree,
                cache_len(self.ball_base() + self.params.end_q.max(1), ids.len()),
            ),
            heap: BinaryHeap::with_capacity(ids.len()),
            members: Vec::new(),
            size,
            taken: vec![0; self.weights.len()],
            stamp: 0,
            chosen: Vec::new(),
            aside: Vec::new(),
            start,
        };
        self.fill_rounds_heap(&mut st, &ids);
        self.begin_round();
        Phase::Rounds(st)
    }

    fn fill_rounds_heap(&mut self, st: &mut RoundsState, ids: &[usize]) {
        st.heap.clear();
        st.balls
            .prefill(&self.cloud.points, ids, st.size, &self.workers);
        for &i in ids {
            let r = st
                .balls
                .ball(&self.cloud.points, i, st.size, &mut st.members);
            st.heap.push(Reverse((OrdF64(r), i)));
        }
    }

    /// One end-phase round; returns the number of points removed (0 when nothing more can be done).
    fn run_round(&mut self, st: &mut RoundsState) -> usize {
        let q = self.end_q(st.start);
        let size = self.ball_base() + q;
        if size < st.size {
            // Smaller balls: the old keys are no longer lower bounds, recompute them all.
            st.size = size;
            let ids = self.alive_ids();
            self.fill_rounds_heap(st, &ids);
        }
        let size = st.size;
        let wanted =
            ((self.params.round_fraction * self.alive as f64 / size as f64) as usize).max(1);
        st.stamp = st.stamp.wrapping_add(1);
        st.chosen.clear();
        st.aside.clear();
        let mut n_chosen = 0;
        while n_chosen < wanted {
            let Some(Reverse((OrdF64(r_old), i))) = st.heap.pop() else {
                break;
            };
            if !st.balls.tree.is_alive(i) {
                continue;
            }
            let r_new = st.balls.ball(&self.cloud.points, i, size, &mut st.members);
            if r_new > r_old {
                st.heap.push(Reverse((OrdF64(r_new), i)));
                continue;
            }
            if st.members.len() <= self.n_mom {
                break;
            }
            st.aside.push((r_new, i));
            if st.members.iter().any(|&j| st.taken[j] == st.stamp) {
                continue;
            }
            for &j in &st.members {
                st.taken[j] = st.stamp;
            }
            st.chosen.extend_from_slice(&st.members);
            n_chosen += 1;
        }
        for &(r, i) in &st.aside {
            st.heap.push(Reverse((OrdF64(r), i)));
        }
        let mut removed = 0;
        let chosen = std::mem::take(&mut st.chosen);
        let n_balls = chosen.len().div_ceil(size);
        if self.workers.threads() > 1
            && n_balls > 1
            && self.alive - self.params.target >= q * n_balls
        {
            // No ball can meet the cap `alive - target` before its turn: reduce them all at once.
            let balls: Vec<&[usize]> = chosen
                .chunks(size)
                .filter(|b| b.len() > self.n_mom)
                .collect();
            let (points, dim) = (&self.cloud.points, self.cloud.dim);
            for d in self
                .workers
                .map(&balls, || (), |_, b| diameter_of(points, dim, b))
            {
                self.note_diameter(d);
            }
            for gone in self.reduce_disjoint(&balls, q) {
                for &g in &gone {
                    st.balls.tree.remove(g);
                }
                removed += gone.len();
            }
            st.chosen = chosen;
            return removed;
        }
        for ball in chosen.chunks(size) {
            if self.alive <= self.params.target {
                break;
            }
            if ball.len() <= self.n_mom {
                continue;
            }
            self.note_diameter(diameter_of(&self.cloud.points, self.cloud.dim, ball));
            let cap = q.min(self.alive - self.params.target);
            let gone = self.reduce(ball, cap);
            for &g in &gone {
                st.balls.tree.remove(g);
            }
            removed += gone.len();
        }
        st.chosen = chosen;
        removed
    }

    fn begin_round(&mut self) {
        self.diag.rounds += 1;
        self.round_max_diam = 0.0;
        self.diag.max_diameter_per_round.push(0.0);
    }

    /// Records a cluster diameter (in the working units; kept in the input's).
    fn note_diameter(&mut self, d: f64) {
        let d = d * self.unit;
        if d > self.round_max_diam {
            self.round_max_diam = d;
            if let Some(last) = self.diag.max_diameter_per_round.last_mut() {
                *last = d;
            }
        }
    }

    /// Reduces one cluster, removing at most `cap` points; returns the removed ids.
    fn reduce(&mut self, members: &[usize], cap: usize) -> Vec<usize> {
        let removed = recombine::reduce_cluster_with(
            &mut self.ws,
            &self.cloud.points,
            &mut self.features,
            &mut self.weights,
            members,
            cap,
        );
        self.record_reduction(members, removed)
    }

    /// Reduces disjoint clusters, each by at most `cap` points, with the same result as [`Self::reduce`] on
    /// each in turn (with the same `cap`), on the worker threads; returns the removed ids per cluster.
    fn reduce_disjoint(&mut self, clusters: &[&[usize]], cap: usize) -> Vec<Vec<usize>> {
        if self.workers.threads() < 2 || clusters.len() < 2 {
            return clusters.iter().map(|m| self.reduce(m, cap)).collect();
        }
        let features = &self.features;
        let lookahead = peel_lookahead(&self.params);
        let scratch = self.scratch.get_or_insert_with(|| {
            PerWorker::new(&self.workers, || {
                (recombine::Workspace::new(lookahead), features.clone())
            })
        });
        let (points, weights) = (&self.cloud.points, &self.weights);
        let results = self
            .workers
            .map_with(scratch, clusters, |(ws, feats), members| {
                let w: Vec<f64> = members.iter().map(|&p| weights[p]).collect();
                recombine::reduce_members(ws, points, feats, members, &w, cap)
            });
        clusters
            .iter()
            .zip(results)
            .map(|(members, (removed, w))| {
                for (&p, &c) in members.iter().zip(&w) {
                    self.weights[p] = c;
                }
                self.record_reduction(members, removed)
            })
            .collect()
    }

    /// Bookkeeping after one cluster's reduction (diagnostics, drawing, alive count); returns the ids that
    /// left.
    fn record_reduction(&mut self, members: &[usize], removed: usize) -> Vec<usize> {
        self.diag.factorisations += 1;
        if let Some(rec) = self.recent.as_mut()
            && rec.len() < RECORDED_CLUSTERS
        {
            rec.push(members.to_vec());
        }
        if removed == 0 {
            return Vec::new();
        }
        let gone: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| self.weights[i] == 0.0)
            .collect();
        self.alive -= gone.len();
        self.diag.eliminated += gone.len();
        gone
    }

    /// Does about `budget` eliminations (at least one cluster) and reports progress.
    pub fn step(&mut self, budget: usize) -> Progress {
        if self.workers.threads() > 1 {
            let workers = self.workers.clone();
            return workers.run(|| self.step_here(budget));
        }
        self.step_here(budget)
    }

    fn step_here(&mut self, budget: usize) -> Progress {
        if let Some(rec) = self.recent.as_mut() {
            rec.clear();
        }
        let mut spent = 0usize;
        let budget = budget.max(1);
        let mut phase = std::mem::replace(&mut self.phase, Phase::Done);
        while spent < budget {
            match &mut phase {
                Phase::Done => break,
                Phase::Bulk(st) => {
                    if self.alive <= st.stop_at {
                        phase = self.after_bulk();
                        continue;
                    }
                    if self.workers.threads() > 1 {
                        let batch = take_bulk_batch(st, self.alive - st.stop_at);
                        if !batch.is_empty() {
                            let clusters: Vec<&[usize]> =
                                batch.iter().map(|(_, m)| m.as_slice()).collect();
                            for (diam, _) in &batch {
                                self.note_diameter(*diam);
                            }
                            // Every cap is at least the cluster's size, so no cap binds.
                            for gone in self.reduce_disjoint(&clusters, usize::MAX) {
                                for &g in &gone {
                                    st.tree.remove(g);
                                }
                                spent += gone.len().max(1);
                            }
                            continue;
                        }
                    }
                    let Some((diam, node)) = st.queue.pop() else {
                        if st.height >= st.tree.nodes[0].height {
                            // The root is reduced; only rank-deficient leftovers could remain.
                            phase = self.after_bulk();
                            continue;
                        }
                        st.height += 1;
                        self.fill_bulk_queue(st);
                        continue;
                    };
                    let members = st.tree.alive_members(node);
                    let cap = self.alive - st.stop_at;
                    self.note_diameter(diam);
                    let gone = self.reduce(&members, cap);
                    for &g in &gone {
                        st.tree.remove(g);
                    }
                    spent += gone.len().max(1);
                }
                Phase::Greedy(st) => {
                    if self.alive <= self.params.target {
                        phase = Phase::Done;
                        continue;
                    }
                    let Some(Reverse((OrdF64(r_old), i))) = st.heap.pop() else {
                        phase = Phase::Done;
                        continue;
                    };
                    if !st.balls.tree.is_alive(i) {
                        continue;
                    }
                    let k = self.n_mom + 1;
                    let r_new = st.balls.ball(&self.cloud.points, i, k, &mut st.members);
                    if r_new > r_old {
                        st.heap.push(Reverse((OrdF64(r_new), i)));
                        continue;
                    }
                    let members = std::mem::take(&mut st.members);
                    if members.len() <= self.n_mom {
                        // Fewer alive points than a reducible cluster: nothing more can be done.
                        phase = Phase::Done;
                        continue;
                    }
                    self.note_diameter(diameter_of(&self.cloud.points, self.cloud.dim, &members));
                    let cap = self.alive - self.params.target;
                    let gone = self.reduce(&members, cap);
                    st.members = members;
                    for &g in &gone {
                        st.balls.tree.remove(g);
                    }
                    // The centre's ball changed; its old radius is still a valid lower bound.
                    if st.balls.tree.is_alive(i) {
                        st.heap.push(Reverse((OrdF64(r_new), i)));
                    }
                    spent += 1;
                }
                Phase::Rounds(st) => {
                    if self.alive <= self.params.target {
                        phase = Phase::Done;
                        continue;
                    }
                    let removed = self.run_round(st);
                    if removed == 0 {
                        phase = Phase::Done;
                        continue;
                    }
                    spent += removed;
                }
            }
        }
        self.phase = phase;
        self.progress()
    }

    fn after_bulk(&mut self) -> Phase {
        if self.alive <= self.params.target {
            Phase::Done
        } else if self.params.strategy == Strategy::Auto {
            self.start_rounds()
        } else {
            self.start_greedy()
        }
    }

    fn run_random(&mut self) {
        use crate::rng::seeded;
        use rand::seq::SliceRandom;
        let mut rng = seeded(self.params.seed);
        self.begin_round();
        let size = 2 * self.n_mom;
        while self.alive > self.params.target {
            let mut ids = self.alive_ids();
            ids.shuffle(&mut rng);
            let mut progressed = false;
            for chunk in ids.chunks(size) {
                if self.alive <= self.params.target {
                    break;
                }
                if chunk.len() <= self.n_mom {
                    continue;
                }
                let d = diameter_of(&self.cloud.points, self.cloud.dim, chunk);
                self.note_diameter(d);
                let cap = self.alive - self.params.target;
                progressed |= !self.reduce(chunk, cap).is_empty();
            }
            if !progressed {
                break;
            }
        }
    }

    pub fn progress(&self) -> Progress {
        let total = self.start_alive.saturating_sub(self.params.target).max(1);
        let done_work = self.start_alive - self.alive;
        let done = matches!(self.phase, Phase::Done);
        Progress {
            alive: self.alive,
            target: self.params.target,
            fraction: if done {
                1.0
            } else {
                (done_work as f64 / total as f64).min(1.0)
            },
            done,
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The input cloud, as given.
    pub fn cloud(&self) -> &Cloud {
        self.input.as_ref().unwrap_or(&self.cloud)
    }

    /// From now on, remember the clusters each `step` reduces (see [`Self::recent_clusters`]). Off by
    /// default: it costs one small allocation per cluster.
    pub fn record_clusters(&mut self) {
        self.recent.get_or_insert_with(Vec::new);
    }

    /// The member ids of the clusters reduced by the last `step` call (recording on), in order.
    pub fn recent_clusters(&self) -> &[Vec<usize>] {
        self.recent.as_deref().unwrap_or(&[])
    }

    /// The current weight of every input point (0 once eliminated).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The current support and weights, with the moment residual against the input.
    pub fn result(&self) -> Compressed {
        let indices = self.alive_ids();
        let weights = indices.iter().map(|&i| self.weights[i]).collect();
        let mut diagnostics = self.diag.clone();
        diagnostics.residual = relative_residual(&self.cloud, &self.weights, self.params.order);
        Compressed {
            indices,
            weights,
            diagnostics,
        }
    }
}

/// Runs a compression to the end.
pub fn compress(cloud: &Cloud, params: &CompressParams) -> Result<Compressed, CompressError> {
    let mut c = Compressor::new(cloud.clone(), params.clone())?;
    while !c.step(usize::MAX).done {}
    Ok(c.result())
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
