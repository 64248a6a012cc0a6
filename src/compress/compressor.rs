//! The step-able compressor: validation and scaling in [`Compressor::new`], the phase state machine in
//! [`Compressor::step`] (the phases themselves in `bulk`, `greedy` and `rounds`), and the bookkeeping
//! every cluster reduction shares.

use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

use super::basis::Features;
use super::bulk::BulkState;
use super::greedy::GreedyState;
use super::recombine;
use super::rounds::RoundsState;
use super::{
    Cloud, CompressError, CompressParams, Strategy, check_order, diameter_of, n_moments,
    power_of_two_below, relative_residual, working_memory,
};
use crate::parallel::{PerWorker, Workers};

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

impl Compressed {
    /// The kept points of `cloud` (the one that was compressed), one row each, in index order.
    pub fn kept_points(&self, cloud: &Cloud) -> Array2<f64> {
        cloud.view().select(Axis(0), &self.indices)
    }
}

/// Progress of a [`Compressor`].
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Progress {
    pub alive: usize,
    pub target: usize,
    pub fraction: f64,
    pub done: bool,
}

/// Where a compression is: the phase and its state.
pub(super) enum Phase {
    Bulk(BulkState),
    Greedy(GreedyState),
    Rounds(RoundsState),
    Done,
}

/// What one unit of a phase's work did: eliminated this many points (0 for bookkeeping), or handed over
/// to the next phase.
pub(super) enum Step {
    Spent(usize),
    Next(Box<Phase>),
}

/// Cached neighbour-list length for balls of up to `k` points: some slack so lists outlive a few
/// deaths, less if the cache would get large.
pub(super) fn cache_len(k: usize, n_points: usize) -> usize {
    let slack = if n_points * (k + 64) * 4 > (256 << 20) {
        4
    } else {
        64
    };
    k + slack
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) struct OrdF64(pub(super) f64);
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

/// Step-able compressor. `new` validates; `step(budget)` eliminates about `budget` points; `result` reads
/// the current (final once `done`) support.
pub struct Compressor {
    /// The cloud the compressor works on: the input divided by `unit`.
    pub(super) cloud: Cloud,
    /// The input as given, when `unit` is not 1 (else `cloud` is the input).
    pub(super) input: Option<Cloud>,
    /// A power of two: 1, unless the input's largest coordinate is beyond 2^±400, where squared distances
    /// would overflow or underflow; then the largest one's power of two. Dividing by a power of two is
    /// exact and every quantity the compressor compares scales with it, so the result is that of the input
    /// computed without overflow.
    pub(super) unit: f64,
    pub(super) params: CompressParams,
    pub(super) features: Features,
    pub(super) n_mom: usize,
    pub(super) weights: Vec<f64>,
    pub(super) alive: usize,
    pub(super) start_alive: usize,
    pub(super) phase: Phase,
    pub(super) diag: Diagnostics,
    pub(super) round_max_diam: f64,
    pub(super) ws: recombine::Workspace,
    pub(super) workers: Workers,
    /// Scratch of each worker thread for [`Compressor::reduce_disjoint`], made on first use.
    pub(super) scratch: Option<PerWorker<(recombine::Workspace, Features)>>,
    /// With [`Compressor::record_clusters`]: the clusters reduced by the last `step` call (at most
    /// [`RECORDED_CLUSTERS`]), for drawing.
    pub(super) recent: Option<Vec<Vec<usize>>>,
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

    pub(super) fn alive_ids(&self) -> Vec<usize> {
        (0..self.weights.len())
            .filter(|&i| self.weights[i] > 0.0)
            .collect()
    }

    pub(super) fn begin_round(&mut self) {
        self.diag.rounds += 1;
        self.round_max_diam = 0.0;
        self.diag.max_diameter_per_round.push(0.0);
    }

    /// Records a cluster diameter (in the working units; kept in the input's).
    pub(super) fn note_diameter(&mut self, d: f64) {
        let d = d * self.unit;
        if d > self.round_max_diam {
            self.round_max_diam = d;
            if let Some(last) = self.diag.max_diameter_per_round.last_mut() {
                *last = d;
            }
        }
    }

    /// Reduces one cluster, removing at most `cap` points; returns the removed ids.
    pub(super) fn reduce(&mut self, members: &[usize], cap: usize) -> Vec<usize> {
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
    pub(super) fn reduce_disjoint(&mut self, clusters: &[&[usize]], cap: usize) -> Vec<Vec<usize>> {
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
            let next = match &mut phase {
                Phase::Done => break,
                Phase::Bulk(st) => self.bulk_step(st),
                Phase::Greedy(st) => self.greedy_step(st),
                Phase::Rounds(st) => self.rounds_step(st),
            };
            match next {
                Step::Spent(n) => spent += n,
                Step::Next(p) => phase = *p,
            }
        }
        self.phase = phase;
        self.progress()
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
