//! What a compression is asked to do: the order, the target, the strategy and its tuning knobs.

use serde::{Deserialize, Serialize};

use super::CompressError;

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
    /// [`Strategy::Auto`] end phase: points removed per ball (`q`) at the start of the end phase (at least
    /// `N / 16`, so that large `N` do not pay a full factorisation for a few points); `q` falls linearly
    /// to 1 as the target is approached.
    #[serde(default = "default_end_q")]
    pub end_q: usize,
    /// Keep the moments of order k+1 as well wherever a cluster is large enough (more than `N(m,k+1)`
    /// points), and make the end phase's balls `N(m,k+1) + q` points so that they are: every elimination
    /// then perturbs smooth functions only at order k+2, so the error is much smaller — but it decays like
    /// the error of order k+1, so leave it off where the error's dependence on k is what is measured
    /// (Fig. 2). Off: a cluster larger than `N(m,k+1)` is peeled at order k+1 first and then at order k
    /// down to its target as before (see [`recombine`](super::recombine)), and the end phase stays at
    /// order k.
    #[serde(default)]
    pub lookahead: bool,
    /// Worker threads for disjoint clusters and neighbour queries (native only; 0 = one per core). The
    /// result is bit-identical for every thread count: clusters that are reduced together are disjoint
    /// and would not have been capped one after the other (see [`Compressor::step`](super::Compressor::step)).
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
