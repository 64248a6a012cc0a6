//! Fig. 2 of the paper, error scaling: for each dimension m, order k, size d and trial t: `w_i ~ U[-1,1]^m` (d points), ten probes
//! `x_a ~ U[-1,1]^m`, compress `d → max([0.1 d], N(m,k))`, and record `|f(θ) − f(θ')|` for the symmetric
//! sigmoid function `f = (1/Σc) Σ c_i (1/10) Σ_a sigmoid(⟨w_i, x_a⟩)`. The error decays like `d^-α`; the
//! authors fit α ≈ (k+1)/m + 0.5 (table in [`AUTHORS_ALPHA`]). Points whose mean error is at the float
//! floor (≤ 5e-15) are left out of the fits, as in the paper.
//!
//! Each trial (one compression of d points: the unit of `step`, and an independent part that the CLI
//! runs on several threads) costs what the compressor's docs say for d points.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fit::{PowerFit, mean_sd, power_law};
use crate::compress::{
    Cloud, CompressError, CompressParams, Strategy, compress, estimated_cost, n_moments,
};
use crate::data::symmetric::{probes, sigmoid, symmetric_mean};
use crate::experiments::ExperimentError;
use crate::experiments::cost::{Cost, Hints};
use crate::experiments::params::{Params, Valid, by_name};
use crate::experiments::protocol::{Experiment, Host, Payload, Preset, to_json};
use crate::experiments::trials::Trials;
use crate::rng::{seeded, sub_seed, uniform};

/// Float floor below which errors are not fitted.
pub const FLOOR: f64 = 5e-15;

/// The authors' fitted α for Fig. 2(e) (m = 1..4, k = 1..6; NaN where their points sit at the float floor),
/// recomputed from their published CSV (paper digest §8.2).
pub const AUTHORS_ALPHA: [[f64; 6]; 4] = [
    [2.17, 3.63, 4.58, f64::NAN, f64::NAN, f64::NAN],
    [1.36, 1.90, 2.45, 2.89, 3.73, 4.40],
    [1.06, 1.50, 1.86, 2.22, 2.53, 2.93],
    [0.89, 1.30, 1.58, 1.81, 1.92, 2.08],
];

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fig2Config {
    pub dims: Vec<usize>,
    pub orders: Vec<usize>,
    pub sizes: Vec<usize>,
    pub trials: usize,
    /// d' = max([ratio · d], N).
    #[serde(default = "default_ratio")]
    pub ratio: f64,
    #[serde(default, deserialize_with = "by_name")]
    pub strategy: Strategy,
    #[serde(default)]
    pub seed: u64,
}

fn default_ratio() -> f64 {
    0.1
}

impl Fig2Config {
    /// The paper's grid: m = 1..5, k = 1..6, d = 1000·2^j up to 128000, 20 trials.
    pub fn paper() -> Self {
        Fig2Config {
            dims: (1..=5).collect(),
            orders: (1..=6).collect(),
            sizes: (0..8).map(|j| 1000 << j).collect(),
            trials: 20,
            ratio: 0.1,
            strategy: Strategy::Auto,
            seed: 0,
        }
    }
    /// Minutes natively: m = 1..4, k = 1..6, d up to 32000, 5 trials.
    pub fn demo() -> Self {
        Fig2Config {
            dims: (1..=4).collect(),
            sizes: (0..6).map(|j| 1000 << j).collect(),
            trials: 5,
            ..Self::paper()
        }
    }
    /// Seconds in a browser tab: m = 2, k = 1..4, d = 500..8000, 3 trials.
    pub fn quick() -> Self {
        Fig2Config {
            dims: vec![2],
            orders: (1..=4).collect(),
            sizes: (0..5).map(|j| 500 << j).collect(),
            trials: 3,
            ..Self::paper()
        }
    }
    pub fn preset(name: &str) -> Option<Self> {
        Preset::named(Fig2Run::presets(), name)
    }

    /// The cost of the run (see [`crate::experiments::cost`]): one trial, a compression of `d` uniform
    /// points and the error of the sigmoid function, is the unit of `step`.
    pub fn cost(&self) -> Cost {
        let mut total = Cost::default();
        for &m in &self.dims {
            for &k in &self.orders {
                for &d in &self.sizes {
                    let target = fig2_target(d, m, k, self.ratio);
                    let c = estimated_cost(d, m, k, target, self.strategy, 1);
                    let (df, mf) = (d as f64, m as f64);
                    let extra = df * mf * 30.0 + 2.0 * df * 10.0 * (2.0 * mf + 30.0);
                    let trial = c.flops + extra;
                    total = total.then(Cost {
                        call_flops: trial,
                        run_flops: trial * self.trials as f64,
                        bytes: c.bytes + df * (8.0 * mf + 16.0),
                    });
                }
            }
        }
        total
    }
}

impl Params for Fig2Config {
    fn check_ref(&self) -> Result<(), ExperimentError> {
        if self.dims.is_empty()
            || self.orders.is_empty()
            || self.sizes.is_empty()
            || self.trials == 0
        {
            return Err(ExperimentError::invalid(
                "trials",
                "dims, orders, sizes and trials must all be non-empty",
            ));
        }
        if self.dims.iter().any(|&m| m == 0 || m > 8) {
            return Err(ExperimentError::invalid(
                "dims",
                "dimensions must be between 1 and 8",
            ));
        }
        if self.orders.iter().any(|&k| k > 12) {
            return Err(ExperimentError::invalid(
                "orders",
                "orders must be at most 12",
            ));
        }
        if !(self.ratio > 0.0 && self.ratio < 1.0) {
            return Err(ExperimentError::invalid("ratio", "ratio must be in (0, 1)"));
        }
        check_lists(&[&self.dims, &self.orders, &self.sizes])?;
        for &m in &self.dims {
            for &k in &self.orders {
                let n = n_moments(m, k).unwrap_or(usize::MAX);
                if let Some(&d) = self.sizes.iter().find(|&&d| d <= n) {
                    return Err(ExperimentError::invalid(
                        "sizes",
                        format!("d = {d} is not larger than N(m={m}, k={k}) = {n}"),
                    ));
                }
            }
        }
        self.cost().check(&Hints {
            call: "lower the largest size d (each compression runs in one piece), m or k",
            run: "lower the trials, the sizes or the orders",
            bytes: "lower the largest size d",
        })
    }
}

/// Each list of a Fig. 2, Fig. 8 or runtime config takes at most [`MAX_LIST`] values.
pub(crate) fn check_lists(lists: &[&Vec<usize>]) -> Result<(), ExperimentError> {
    if lists.iter().any(|l| l.len() > MAX_LIST) {
        return Err(ExperimentError::invalid(
            "sizes",
            format!("dims, orders and sizes take at most {MAX_LIST} values each"),
        ));
    }
    Ok(())
}

/// The most values each list of a Fig. 2 or Fig. 8 config takes.
pub const MAX_LIST: usize = 64;

/// One finished compression.
#[derive(Clone, Debug, Serialize)]
pub struct Fig2Trial {
    pub m: usize,
    pub k: usize,
    pub d: usize,
    pub target: usize,
    pub trial: usize,
    pub error: f64,
    pub residual: f64,
}

/// Aggregate over trials.
#[derive(Clone, Debug, Serialize)]
pub struct Fig2Point {
    pub m: usize,
    pub k: usize,
    pub d: usize,
    pub mean: f64,
    pub sd: f64,
    pub trials: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Fig2Slope {
    pub m: usize,
    pub k: usize,
    pub fit: Option<PowerFit>,
    /// `(k+1)/m + 0.5`, the paper's dashed line.
    pub guide: f64,
    pub authors: Option<f64>,
}

/// The fitted slopes, and how many are within ±0.3 of the authors'.
#[derive(Clone, Debug, Serialize)]
pub struct Fig2Summary {
    pub slopes: Vec<Fig2Slope>,
    /// Fits with three sizes or more above the float floor (a slope needs three to have a standard
    /// error) that the authors also give.
    pub fits_compared_with_authors: usize,
    #[serde(rename = "fits_within_0.3_of_authors")]
    pub fits_within_0_3_of_authors: usize,
    pub max_residual: f64,
}

pub struct Fig2Run {
    config: Fig2Config,
    /// `(m, k, d, trial)` per compression, and their results.
    trials: Trials<(usize, usize, usize, usize), Fig2Trial>,
}

/// At most this many trials per `step`: trial costs grow with d, so a budget a caller learned on the small
/// clouds (which come first) must not start many large ones in one call.
const MAX_TRIALS_PER_STEP: usize = 4;

impl Fig2Run {
    pub fn new(config: Fig2Config) -> Result<Self, ExperimentError> {
        Self::build(config.check()?, &Host::default())
    }

    pub fn total(&self) -> usize {
        self.trials.tasks().len()
    }

    pub fn trials(&self) -> &[Fig2Trial] {
        self.trials.records()
    }

    /// `(m, k, d, trial)` of task `index` (tasks run small d first, as [`Experiment::step`] does).
    pub fn task(&self, index: usize) -> Option<(usize, usize, usize, usize)> {
        self.trials.tasks().get(index).copied()
    }

    pub fn points(&self) -> Vec<Fig2Point> {
        let mut out = Vec::new();
        for &m in &self.config.dims {
            for &k in &self.config.orders {
                for &d in &self.config.sizes {
                    let errs: Vec<f64> = self
                        .trials()
                        .iter()
                        .filter(|t| t.m == m && t.k == k && t.d == d)
                        .map(|t| t.error)
                        .collect();
                    if errs.is_empty() {
                        continue;
                    }
                    let (mean, sd) = mean_sd(&errs);
                    out.push(Fig2Point {
                        m,
                        k,
                        d,
                        mean,
                        sd,
                        trials: errs.len(),
                    });
                }
            }
        }
        out
    }

    pub fn slopes(&self) -> Vec<Fig2Slope> {
        let pts = self.points();
        let mut out = Vec::new();
        for &m in &self.config.dims {
            for &k in &self.config.orders {
                let sel: Vec<&Fig2Point> = pts.iter().filter(|p| p.m == m && p.k == k).collect();
                let xs: Vec<f64> = sel.iter().map(|p| p.d as f64).collect();
                let ys: Vec<f64> = sel.iter().map(|p| p.mean).collect();
                let authors = if (1..=4).contains(&m) && (1..=6).contains(&k) {
                    Some(AUTHORS_ALPHA[m - 1][k - 1]).filter(|a| a.is_finite())
                } else {
                    None
                };
                out.push(Fig2Slope {
                    m,
                    k,
                    fit: power_law(&xs, &ys, FLOOR),
                    guide: (k + 1) as f64 / m as f64 + 0.5,
                    authors,
                });
            }
        }
        out
    }
}

impl Experiment for Fig2Run {
    const KIND: &'static str = "fig2";
    const ABOUT: &'static str = "\
Fig. 2: the error of the symmetric sigmoid function against d per (m, k), compressing d uniform points
to max(0.1 d, N(m,k)), with the fitted slopes alpha (and standard errors) next to the authors' values.
Trials run on --threads T threads; the output does not depend on T.";
    type Config = Fig2Config;
    type Item = Fig2Trial;
    type Summary = Fig2Summary;

    fn presets() -> Vec<Preset<Fig2Config>> {
        vec![
            Preset::new(
                "quick",
                "seconds in a browser tab: m = 2, k = 1..4, d = 500..8000, 3 trials",
                Fig2Config::quick(),
            ),
            Preset::new(
                "demo",
                "minutes natively: m = 1..4, d up to 32000, 5 trials",
                Fig2Config::demo(),
            ),
            Preset::new(
                "paper",
                "the paper's grid: m = 1..5, k = 1..6, d up to 128000, 20 trials",
                Fig2Config::paper(),
            ),
        ]
    }

    fn build(config: Valid<Fig2Config>, _host: &Host) -> Result<Self, ExperimentError> {
        let config = config.into_inner();
        let mut tasks = Vec::new();
        // Small d first so the plot fills in from the left across all curves.
        for &d in &config.sizes {
            for t in 0..config.trials {
                for &m in &config.dims {
                    for &k in &config.orders {
                        tasks.push((m, k, d, t));
                    }
                }
            }
        }
        Ok(Fig2Run {
            config,
            trials: Trials::new(tasks),
        })
    }

    fn config(&self) -> &Fig2Config {
        &self.config
    }

    /// Runs up to `tasks` compressions (at most `MAX_TRIALS_PER_STEP`).
    fn step(&mut self, tasks: usize) -> Result<(), ExperimentError> {
        for _ in 0..tasks.clamp(1, MAX_TRIALS_PER_STEP) {
            let Some((m, k, d, t)) = self.trials.next() else {
                break;
            };
            self.trials
                .record(run_fig2_trial(&self.config, m, k, d, t)?);
        }
        Ok(())
    }

    fn progress(&self) -> f64 {
        self.trials.progress()
    }

    fn is_done(&self) -> bool {
        self.trials.is_done()
    }

    fn status(&self) -> String {
        self.trials.status("compressions", |_| String::new())
    }

    fn items(&self) -> &[Fig2Trial] {
        self.trials.records()
    }

    fn summary(&self) -> Fig2Summary {
        let slopes = self.slopes();
        // A slope needs three sizes above the float floor to have a standard error; two are not a fit.
        let within: Vec<bool> = slopes
            .iter()
            .filter_map(|s| {
                let fit = s.fit.filter(|f| f.points >= 3)?;
                Some((fit.alpha - s.authors?).abs() <= 0.3)
            })
            .collect();
        Fig2Summary {
            fits_compared_with_authors: within.len(),
            fits_within_0_3_of_authors: within.iter().filter(|&&b| b).count(),
            max_residual: self.trials().iter().map(|t| t.residual).fold(0.0, f64::max),
            slopes,
        }
    }

    fn seed(&self) -> Option<u64> {
        Some(self.config.seed)
    }

    /// Mean and sd of the error per (m, k, d).
    fn curves(&self) -> Result<Value, ExperimentError> {
        to_json(&self.points())
    }

    fn extras(&self) -> Result<Vec<(&'static str, Value)>, ExperimentError> {
        self.trials.extras("trials")
    }

    fn info(&self) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        self.trials.info()
    }

    fn parts(&self) -> usize {
        self.total()
    }

    /// The most costly first: large d, large N(m,k) (m = 5, k = 6 can take a minute each).
    fn part_order(&self) -> Vec<usize> {
        self.trials.costliest_first(|&(m, k, d, _)| {
            (d as u64, n_moments(m, k).map_or(u64::MAX, |n| n as u64))
        })
    }

    fn run_part(&self, index: usize) -> Result<Fig2Trial, ExperimentError> {
        let (m, k, d, t) = self.trials.task("task", index)?;
        Ok(run_fig2_trial(&self.config, m, k, d, t)?)
    }

    fn finish_with(&mut self, trials: Vec<Fig2Trial>) -> Result<(), ExperimentError> {
        self.trials.finish_with(trials)
    }
}

/// The target size of Fig. 2: `max([ratio · d], N(m,k))`.
pub fn fig2_target(d: usize, m: usize, k: usize, ratio: f64) -> usize {
    ((ratio * d as f64).round() as usize).max(n_moments(m, k).unwrap_or(usize::MAX))
}

fn run_fig2_trial(
    cfg: &Fig2Config,
    m: usize,
    k: usize,
    d: usize,
    t: usize,
) -> Result<Fig2Trial, CompressError> {
    // The cloud depends on (seed, m, d, t) but not on k, so every order compresses the same cloud.
    let seed = sub_seed(sub_seed(sub_seed(cfg.seed, m as u64), d as u64), t as u64);
    let mut rng = seeded(seed);
    let points: Vec<f64> = (0..d * m).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
    let xs = probes(&mut rng, m, 10);
    let cloud = Cloud::new(m, points);
    let target = fig2_target(d, m, k, cfg.ratio);
    let params = CompressParams {
        seed,
        ..CompressParams::new(k, target)
    }
    .with_strategy(cfg.strategy);
    let r = compress(&cloud, &params)?;
    let error = compression_error(&cloud, &r.indices, &r.weights, &xs, sigmoid);
    Ok(Fig2Trial {
        m,
        k,
        d,
        target,
        trial: t,
        error,
        residual: r.diagnostics.residual,
    })
}

/// `|f(θ) − f(θ')|` for the symmetric mean of `g` over probes.
pub fn compression_error(
    cloud: &Cloud,
    indices: &[usize],
    weights: &[f64],
    xs: &[f64],
    g: impl Fn(f64) -> f64 + Copy,
) -> f64 {
    let mut w = vec![0.0; cloud.len()];
    for (&i, &c) in indices.iter().zip(weights) {
        w[i] = c;
    }
    let f0 = symmetric_mean(&cloud.points, cloud.dim, &cloud.weights, xs, g);
    let f1 = symmetric_mean(&cloud.points, cloud.dim, &w, xs, g);
    (f0 - f1).abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_task_matches_stepping() {
        let cfg = Fig2Config {
            dims: vec![1, 2],
            orders: vec![1, 2],
            sizes: vec![300, 600],
            trials: 2,
            ..Fig2Config::paper()
        };
        let mut stepped = Fig2Run::new(cfg.clone()).unwrap();
        while !stepped.is_done() {
            stepped.step(3).unwrap();
        }
        let mut direct = Fig2Run::new(cfg).unwrap();
        let trials: Vec<Fig2Trial> = (0..direct.total())
            .rev()
            .map(|i| (i, direct.run_part(i).unwrap()))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .map(|(_, t)| t)
            .collect();
        direct.finish_with(trials).unwrap();
        assert!(direct.is_done());
        let key = |r: &Fig2Run| serde_json::to_string(&(r.trials(), r.slopes())).unwrap();
        assert_eq!(key(&stepped), key(&direct));
    }

    #[test]
    fn higher_order_gives_smaller_error() {
        let cfg = Fig2Config {
            dims: vec![2],
            orders: vec![1, 3],
            sizes: vec![2000],
            trials: 2,
            ..Fig2Config::paper()
        };
        let mut run = Fig2Run::new(cfg).unwrap();
        while !run.is_done() {
            run.step(1).unwrap();
        }
        let pts = run.points();
        assert_eq!(pts.len(), 2);
        assert!(
            pts[1].mean < pts[0].mean / 10.0,
            "k=3 {} vs k=1 {}",
            pts[1].mean,
            pts[0].mean
        );
        assert!(run.trials().iter().all(|t| t.residual < 1e-12));
    }

    #[test]
    fn error_decays_with_d() {
        let cfg = Fig2Config {
            dims: vec![2],
            orders: vec![2],
            sizes: vec![1000, 4000, 16000],
            trials: 3,
            ..Fig2Config::paper()
        };
        let mut run = Fig2Run::new(cfg).unwrap();
        while !run.is_done() {
            run.step(4).unwrap();
        }
        let s = &run.slopes()[0];
        let fit = s.fit.unwrap();
        // Authors: 1.90 for m=2, k=2 (guide 2.0); three sizes and trials give a rough slope.
        assert!((fit.alpha - 1.9).abs() < 0.6, "alpha {}", fit.alpha);
    }

    #[test]
    fn invalid_configs() {
        for (config, param) in [
            (
                Fig2Config {
                    trials: 0,
                    ..Fig2Config::quick()
                },
                "trials",
            ),
            (
                Fig2Config {
                    sizes: vec![10],
                    ..Fig2Config::quick()
                },
                "sizes",
            ),
            (
                Fig2Config {
                    ratio: 1.5,
                    ..Fig2Config::quick()
                },
                "ratio",
            ),
        ] {
            assert!(
                matches!(Fig2Run::new(config), Err(ExperimentError::Invalid { param: p, .. }) if p == param),
                "{param}"
            );
        }
    }
}
