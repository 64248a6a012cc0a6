//! Fig. 2 (error scaling) and Fig. 8 (polylog compression) of the paper.
//!
//! **Fig. 2.** For each dimension m, order k, size d and trial t: `w_i ~ U[-1,1]^m` (d points), ten probes
//! `x_a ~ U[-1,1]^m`, compress `d → max([0.1 d], N(m,k))`, and record `|f(θ) − f(θ')|` for the symmetric
//! sigmoid function `f = (1/Σc) Σ c_i (1/10) Σ_a sigmoid(⟨w_i, x_a⟩)`. The error decays like `d^-α`; the
//! authors fit α ≈ (k+1)/m + 0.5 (table in [`AUTHORS_ALPHA`]). Points whose mean error is at the float
//! floor (≤ 5e-15) are left out of the fits, as in the paper.
//!
//! **Fig. 8.** Compress to `d' = [120 ln d]` (m = 1, `g = 1/(1.05 + t)`) or `[20 ln² d]` (m = 2,
//! `g = 1/(2.05 + t)`), raising k from 1 while the error keeps falling (and `N(m,k) ≤ d'`), keeping the
//! best: the error should not grow with d.
//!
//! Each `step` runs one compression; cost per step is that of one compression of d points.

use serde::{Deserialize, Serialize};

use super::fit::{PowerFit, mean_sd, power_law};
use crate::compress::{
    Cloud, CompressError, CompressParams, Strategy, compress, estimated_cost, n_moments,
};
use crate::data::symmetric::{probes, sigmoid, symmetric_mean};
use crate::experiments::cost::{Cost, Hints};
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
    #[serde(default)]
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
        match name {
            "paper" => Some(Self::paper()),
            "demo" => Some(Self::demo()),
            "quick" => Some(Self::quick()),
            _ => None,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.dims.is_empty()
            || self.orders.is_empty()
            || self.sizes.is_empty()
            || self.trials == 0
        {
            return Err("dims, orders, sizes and trials must all be non-empty".into());
        }
        if self.dims.iter().any(|&m| m == 0 || m > 8) {
            return Err("dimensions must be between 1 and 8".into());
        }
        if self.orders.iter().any(|&k| k > 12) {
            return Err("orders must be at most 12".into());
        }
        if !(self.ratio > 0.0 && self.ratio < 1.0) {
            return Err("ratio must be in (0, 1)".into());
        }
        if [&self.dims, &self.orders, &self.sizes]
            .iter()
            .any(|l| l.len() > MAX_LIST)
        {
            return Err(format!(
                "dims, orders and sizes take at most {MAX_LIST} values each"
            ));
        }
        for &m in &self.dims {
            for &k in &self.orders {
                let n = n_moments(m, k).unwrap_or(usize::MAX);
                if let Some(&d) = self.sizes.iter().find(|&&d| d <= n) {
                    return Err(format!("d = {d} is not larger than N(m={m}, k={k}) = {n}"));
                }
            }
        }
        self.cost().check(&Hints {
            call: "lower the largest size d (each compression runs in one piece), m or k",
            run: "lower the trials, the sizes or the orders",
            bytes: "lower the largest size d",
        })
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

pub struct Fig2Run {
    config: Fig2Config,
    tasks: Vec<(usize, usize, usize, usize)>,
    next: usize,
    trials: Vec<Fig2Trial>,
}

impl Fig2Run {
    pub fn new(config: Fig2Config) -> Result<Self, String> {
        config.validate()?;
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
            tasks,
            next: 0,
            trials: Vec::new(),
        })
    }

    pub fn config(&self) -> &Fig2Config {
        &self.config
    }

    pub fn total(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.tasks.len()
    }

    /// Runs up to `tasks` compressions; returns the trials finished by this call.
    pub fn step(&mut self, tasks: usize) -> Result<&[Fig2Trial], CompressError> {
        let start = self.trials.len();
        for _ in 0..tasks.max(1) {
            let Some(&(m, k, d, t)) = self.tasks.get(self.next) else {
                break;
            };
            let trial = run_fig2_trial(&self.config, m, k, d, t)?;
            self.trials.push(trial);
            self.next += 1;
        }
        Ok(&self.trials[start..])
    }

    pub fn trials(&self) -> &[Fig2Trial] {
        &self.trials
    }

    /// `(m, k, d, trial)` of task `index` (tasks run small d first, as [`Fig2Run::step`] does).
    pub fn task(&self, index: usize) -> Option<(usize, usize, usize, usize)> {
        self.tasks.get(index).copied()
    }

    /// Runs task `index` alone, without touching the run: tasks are independent, so a caller may run
    /// them on several threads and hand the trials back with [`Fig2Run::finish_with`].
    pub fn run_task(&self, index: usize) -> Result<Fig2Trial, String> {
        let (m, k, d, t) = self.task(index).ok_or_else(|| format!("no task {index}"))?;
        run_fig2_trial(&self.config, m, k, d, t).map_err(|e| e.to_string())
    }

    /// Installs the trials of every task, in task order (as [`Fig2Run::step`] would have left them).
    pub fn finish_with(&mut self, trials: Vec<Fig2Trial>) {
        self.trials = trials;
        self.next = self.tasks.len();
    }

    pub fn points(&self) -> Vec<Fig2Point> {
        let mut out = Vec::new();
        for &m in &self.config.dims {
            for &k in &self.config.orders {
                for &d in &self.config.sizes {
                    let errs: Vec<f64> = self
                        .trials
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

// ---------------------------------------------------------------------------------------------------
// Fig. 8

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fig8Config {
    pub dims: Vec<usize>,
    pub sizes: Vec<usize>,
    pub trials: usize,
    #[serde(default)]
    pub seed: u64,
}

impl Fig8Config {
    pub fn paper() -> Self {
        Fig8Config {
            dims: vec![1, 2],
            sizes: (0..7).map(|j| 1000 << j).collect(),
            trials: 5,
            seed: 0,
        }
    }
    pub fn quick() -> Self {
        Fig8Config {
            dims: vec![1, 2],
            sizes: vec![1000, 2000, 4000],
            trials: 2,
            seed: 0,
        }
    }
}

impl Fig8Config {
    /// Checks the lists (dimensions 1 to 8, sizes of at least 2 points) and the cost.
    pub fn validate(&self) -> Result<(), String> {
        if self.dims.is_empty() || self.sizes.is_empty() || self.trials == 0 {
            return Err("dims, sizes and trials must all be non-empty".into());
        }
        if self.dims.len() > MAX_LIST || self.sizes.len() > MAX_LIST {
            return Err(format!(
                "dims and sizes take at most {MAX_LIST} values each"
            ));
        }
        if self.dims.iter().any(|&m| m == 0 || m > 8) {
            return Err("dimensions must be between 1 and 8".into());
        }
        if self.sizes.iter().any(|&d| d < 2) {
            return Err("sizes must be at least 2 points".into());
        }
        self.cost().check(&Hints {
            call: "lower the largest size d",
            run: "lower the trials or the sizes",
            bytes: "lower the largest size d",
        })
    }

    /// The cost of the run (see [`crate::experiments::cost`]), an upper bound: a trial compresses at
    /// every order k up to [`FIG8_MAX_ORDER`] whose `N(m,k)` fits the target (it stops as soon as the error
    /// no longer falls). Fig. 8 runs only in the CLI, one trial per call; its unit of work, as it would be
    /// if it were stepped, is one compression.
    pub fn cost(&self) -> Cost {
        let mut total = Cost::default();
        for &m in &self.dims {
            for &d in &self.sizes {
                let target = polylog_target(d, m).min(d.saturating_sub(1));
                let mut trial = Cost::default();
                for k in 1..=FIG8_MAX_ORDER {
                    if n_moments(m, k).is_none_or(|n| n > target) {
                        break;
                    }
                    let c = estimated_cost(d, m, k, target, Strategy::Auto, 1);
                    let one = c.flops + d as f64 * 10.0 * 40.0;
                    trial.call_flops = trial.call_flops.max(one);
                    trial.run_flops += one;
                    trial.bytes = trial
                        .bytes
                        .max(c.bytes + d as f64 * (8.0 * m as f64 + 16.0));
                }
                total = total.then(Cost {
                    run_flops: trial.run_flops * self.trials as f64,
                    ..trial
                });
            }
        }
        total
    }
}

/// The highest order a Fig. 8 trial tries.
pub const FIG8_MAX_ORDER: usize = 40;

/// `d'` of Fig. 8: `[120 ln d]` for m = 1, `[20 ln² d]` for m = 2, `[20 ln^m d]` beyond.
pub fn polylog_target(d: usize, m: usize) -> usize {
    let l = (d as f64).ln();
    let t = if m == 1 {
        120.0 * l
    } else {
        20.0 * l.powi(m as i32)
    };
    t.round() as usize
}

#[derive(Clone, Debug, Serialize)]
pub struct Fig8Trial {
    pub m: usize,
    pub d: usize,
    pub target: usize,
    pub trial: usize,
    pub best_k: usize,
    pub error: f64,
    /// Error per tried k (k = 1, 2, …).
    pub by_k: Vec<f64>,
}

pub fn run_fig8_trial(
    cfg: &Fig8Config,
    m: usize,
    d: usize,
    t: usize,
) -> Result<Fig8Trial, CompressError> {
    let seed = sub_seed(
        sub_seed(sub_seed(cfg.seed ^ 0x8, m as u64), d as u64),
        t as u64,
    );
    let mut rng = seeded(seed);
    let points: Vec<f64> = (0..d * m).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
    let xs = probes(&mut rng, m, 10);
    let cloud = Cloud::new(m, points);
    let target = polylog_target(d, m).min(d.saturating_sub(1));
    let a = if m == 1 { 1.05 } else { m as f64 + 0.05 };
    let g = move |s: f64| 1.0 / (a + s);
    let mut by_k = Vec::new();
    let mut best = (0, f64::INFINITY);
    for k in 1..=FIG8_MAX_ORDER {
        if n_moments(m, k).is_none_or(|n| n > target) {
            break;
        }
        let r = compress(&cloud, &CompressParams::new(k, target))?;
        let e = compression_error(&cloud, &r.indices, &r.weights, &xs, g);
        by_k.push(e);
        if e < best.1 {
            best = (k, e);
        } else {
            break;
        }
    }
    Ok(Fig8Trial {
        m,
        d,
        target,
        trial: t,
        best_k: best.0,
        error: best.1,
        by_k,
    })
}

#[cfg(test)]
mod tests {
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
            .map(|i| (i, direct.run_task(i).unwrap()))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .map(|(_, t)| t)
            .collect();
        direct.finish_with(trials);
        assert!(direct.is_done());
        let key = |r: &Fig2Run| serde_json::to_string(&(r.trials(), r.slopes())).unwrap();
        assert_eq!(key(&stepped), key(&direct));
    }

    use super::*;

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
        assert!(
            Fig2Run::new(Fig2Config {
                trials: 0,
                ..Fig2Config::quick()
            })
            .is_err()
        );
        assert!(
            Fig2Run::new(Fig2Config {
                sizes: vec![10],
                ..Fig2Config::quick()
            })
            .is_err()
        );
        assert!(
            Fig2Run::new(Fig2Config {
                ratio: 1.5,
                ..Fig2Config::quick()
            })
            .is_err()
        );
    }

    #[test]
    fn polylog_targets() {
        assert_eq!(polylog_target(1000, 1), 829);
        assert_eq!(polylog_target(1000, 2), 954);
    }
}
