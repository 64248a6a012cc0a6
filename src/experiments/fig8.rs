//! Fig. 8 of the paper, polylog compression: compress `d` uniform points in `[-1,1]^m` to
//! `d' = [120 ln d]` (m = 1, test function `g = 1/(1.05 + t)`) or `[20 ln^m d]` (m ≥ 2,
//! `g = 1/(m + 0.05 + t)`), raising the order k from 1 while the error of the symmetric mean of `g` keeps
//! falling (and `N(m,k) ≤ d'`), keeping the best: the paper's claim is that the error does not grow with d.
//!
//! Each trial (the unit of `step`, and an independent part) compresses once per order tried.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fig2::{check_lists, compression_error};
use super::fit::mean_sd;
use crate::compress::{
    Cloud, CompressError, CompressParams, Strategy, compress, estimated_cost, n_moments,
};
use crate::data::symmetric::probes;
use crate::experiments::ExperimentError;
use crate::experiments::cost::{Cost, Hints};
use crate::experiments::params::{Params, Valid};
use crate::experiments::protocol::{Experiment, Host, Payload, Preset, to_json};
use crate::experiments::trials::Trials;
use crate::rng::{seeded, sub_seed, uniform};

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

impl Params for Fig8Config {
    /// Checks the lists (dimensions 1 to 8, sizes of at least 2 points) and the cost.
    fn check_ref(&self) -> Result<(), ExperimentError> {
        if self.dims.is_empty() || self.sizes.is_empty() || self.trials == 0 {
            return Err(ExperimentError::invalid(
                "trials",
                "dims, sizes and trials must all be non-empty",
            ));
        }
        check_lists(&[&self.dims, &self.sizes])?;
        if self.dims.iter().any(|&m| m == 0 || m > 8) {
            return Err(ExperimentError::invalid(
                "dims",
                "dimensions must be between 1 and 8",
            ));
        }
        if self.sizes.iter().any(|&d| d < 2) {
            return Err(ExperimentError::invalid(
                "sizes",
                "sizes must be at least 2 points",
            ));
        }
        self.cost().check(&Hints {
            call: "lower the largest size d",
            run: "lower the trials or the sizes",
            bytes: "lower the largest size d",
        })
    }
}

impl Fig8Config {
    /// The cost of the run (see [`crate::experiments::cost`]), an upper bound: a trial compresses at
    /// every order k up to [`FIG8_MAX_ORDER`] whose `N(m,k)` fits the target (it stops as soon as the error
    /// no longer falls); one compression is the unit of `step`.
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

/// Mean and sd of the best error over the trials of one (m, d).
#[derive(Clone, Debug, Serialize)]
pub struct Fig8Point {
    pub m: usize,
    pub d: usize,
    pub target: usize,
    pub mean: f64,
    pub sd: f64,
}

/// Per dimension: the mean best error at the smallest and the largest d.
#[derive(Clone, Debug, Serialize)]
pub struct Fig8Dim {
    pub m: usize,
    pub d_first: usize,
    pub error_first: f64,
    pub d_last: usize,
    pub error_last: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Fig8Summary {
    pub dims: Vec<Fig8Dim>,
}

pub struct Fig8Run {
    config: Fig8Config,
    /// `(m, d, trial)` per trial, and their results.
    trials: Trials<(usize, usize, usize), Fig8Trial>,
    /// The trial under way.
    current: Option<Trial>,
}

impl Fig8Run {
    pub fn new(config: Fig8Config) -> Result<Self, ExperimentError> {
        Self::build(config.check()?, &Host::default())
    }

    pub fn points(&self) -> Vec<Fig8Point> {
        let mut out = Vec::new();
        for &m in &self.config.dims {
            for &d in &self.config.sizes {
                let of: Vec<&Fig8Trial> = self
                    .trials
                    .records()
                    .iter()
                    .filter(|t| t.m == m && t.d == d)
                    .collect();
                if let Some(first) = of.first() {
                    let (mean, sd) = mean_sd(&of.iter().map(|t| t.error).collect::<Vec<_>>());
                    out.push(Fig8Point {
                        m,
                        d,
                        target: first.target,
                        mean,
                        sd,
                    });
                }
            }
        }
        out
    }
}

impl Experiment for Fig8Run {
    const KIND: &'static str = "fig8";
    const ABOUT: &'static str = "\
Fig. 8: polylog compression, d -> 120 ln d (m = 1) and 20 ln^m d (m >= 2), with the best order k per d;
the paper's claim is that the error does not grow with d.";
    type Config = Fig8Config;
    type Item = Fig8Trial;
    type Summary = Fig8Summary;

    fn presets() -> Vec<Preset<Fig8Config>> {
        vec![
            Preset::new(
                "quick",
                "m = 1, 2; d to 4000; 2 trials",
                Fig8Config::quick(),
            ),
            Preset::new(
                "paper",
                "m = 1, 2; d to 64 000; 5 trials",
                Fig8Config::paper(),
            ),
        ]
    }

    fn build(config: Valid<Fig8Config>, _host: &Host) -> Result<Self, ExperimentError> {
        let config = config.into_inner();
        let mut tasks = Vec::new();
        for &m in &config.dims {
            for &d in &config.sizes {
                for t in 0..config.trials {
                    tasks.push((m, d, t));
                }
            }
        }
        Ok(Fig8Run {
            config,
            trials: Trials::new(tasks),
            current: None,
        })
    }

    fn config(&self) -> &Fig8Config {
        &self.config
    }

    /// Up to `budget` compressions (a trial compresses once per order it tries).
    fn step(&mut self, budget: usize) -> Result<(), ExperimentError> {
        for _ in 0..budget.max(1) {
            if self.current.is_none() {
                let Some((m, d, t)) = self.trials.next() else {
                    break;
                };
                self.current = Some(Trial::start(&self.config, m, d, t));
            }
            if let Some(trial) = self.current.as_mut() {
                trial.advance()?;
            }
            if let Some(trial) = self.current.take_if(|trial| trial.done) {
                self.trials.record(trial.result());
            }
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
        self.trials.status("trials", |t| {
            format!(
                "; m = {} d = {} -> {}: error {:.2e}",
                t.m, t.d, t.target, t.error
            )
        })
    }

    fn items(&self) -> &[Fig8Trial] {
        self.trials.records()
    }

    fn summary(&self) -> Fig8Summary {
        let points = self.points();
        let dims = self
            .config
            .dims
            .iter()
            .filter_map(|&m| {
                let of: Vec<&Fig8Point> = points.iter().filter(|p| p.m == m).collect();
                let (first, last) = (of.first()?, of.last()?);
                Some(Fig8Dim {
                    m,
                    d_first: first.d,
                    error_first: first.mean,
                    d_last: last.d,
                    error_last: last.mean,
                })
            })
            .collect();
        Fig8Summary { dims }
    }

    fn seed(&self) -> Option<u64> {
        Some(self.config.seed)
    }

    /// Mean and sd of the best error per (m, d).
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
        self.trials.tasks().len()
    }

    /// Large d first.
    fn part_order(&self) -> Vec<usize> {
        self.trials.costliest_first(|&(_, d, _)| (d as u64, 0))
    }

    fn run_part(&self, index: usize) -> Result<Fig8Trial, ExperimentError> {
        let (m, d, t) = self.trials.task("trial", index)?;
        Ok(run_fig8_trial(&self.config, m, d, t)?)
    }

    fn finish_with(&mut self, trials: Vec<Fig8Trial>) -> Result<(), ExperimentError> {
        self.trials.finish_with(trials)
    }
}

/// One trial under way: its cloud and probes, and the orders tried so far.
struct Trial {
    m: usize,
    d: usize,
    t: usize,
    target: usize,
    cloud: Cloud,
    probes: Vec<f64>,
    by_k: Vec<f64>,
    best: (usize, f64),
    done: bool,
}

impl Trial {
    fn start(cfg: &Fig8Config, m: usize, d: usize, t: usize) -> Trial {
        let seed = sub_seed(
            sub_seed(sub_seed(cfg.seed ^ 0x8, m as u64), d as u64),
            t as u64,
        );
        let mut rng = seeded(seed);
        let points: Vec<f64> = (0..d * m).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let probes = probes(&mut rng, m, 10);
        Trial {
            m,
            d,
            t,
            target: polylog_target(d, m).min(d.saturating_sub(1)),
            cloud: Cloud::new(m, points),
            probes,
            by_k: Vec::new(),
            best: (0, f64::INFINITY),
            done: false,
        }
    }

    /// Compresses at the next order, unless the last one's error did not fall or `N(m,k)` no longer fits.
    fn advance(&mut self) -> Result<(), CompressError> {
        let k = self.by_k.len() + 1;
        if k > FIG8_MAX_ORDER || n_moments(self.m, k).is_none_or(|n| n > self.target) {
            self.done = true;
            return Ok(());
        }
        let a = if self.m == 1 {
            1.05
        } else {
            self.m as f64 + 0.05
        };
        let g = move |s: f64| 1.0 / (a + s);
        let r = compress(&self.cloud, &CompressParams::new(k, self.target))?;
        let e = compression_error(&self.cloud, &r.indices, &r.weights, &self.probes, g);
        self.by_k.push(e);
        if e < self.best.1 {
            self.best = (k, e);
        } else {
            self.done = true;
        }
        Ok(())
    }

    fn result(&self) -> Fig8Trial {
        Fig8Trial {
            m: self.m,
            d: self.d,
            target: self.target,
            trial: self.t,
            best_k: self.best.0,
            error: self.best.1,
            by_k: self.by_k.clone(),
        }
    }
}

/// Trial `t` of size `d` in dimension `m`, from the config's seed alone.
pub fn run_fig8_trial(
    cfg: &Fig8Config,
    m: usize,
    d: usize,
    t: usize,
) -> Result<Fig8Trial, CompressError> {
    let mut trial = Trial::start(cfg, m, d, t);
    while !trial.done {
        trial.advance()?;
    }
    Ok(trial.result())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polylog_targets() {
        assert_eq!(polylog_target(1000, 1), 829);
        assert_eq!(polylog_target(1000, 2), 954);
    }

    /// Stepping and running the trials as parts (in any order) give the same trials; the best order
    /// is the last one tried before the error stopped falling.
    #[test]
    fn parts_match_stepping() {
        let config = Fig8Config {
            dims: vec![1, 2],
            sizes: vec![300, 600],
            trials: 2,
            seed: 3,
        };
        let mut stepped = Fig8Run::new(config.clone()).unwrap();
        while !stepped.is_done() {
            stepped.step(3).unwrap();
        }
        let mut parts = Fig8Run::new(config).unwrap();
        let trials: Vec<Fig8Trial> = (0..parts.parts())
            .map(|i| parts.run_part(i).unwrap())
            .collect();
        parts.finish_with(trials).unwrap();
        let key = |r: &Fig8Run| serde_json::to_string(&(r.items(), r.points())).unwrap();
        assert_eq!(key(&stepped), key(&parts));
        for t in stepped.items() {
            assert_eq!(
                t.by_k.len(),
                t.best_k + usize::from(t.best_k < t.by_k.len())
            );
        }
        assert!(matches!(
            Fig8Run::new(Fig8Config {
                sizes: vec![1],
                ..Fig8Config::quick()
            }),
            Err(ExperimentError::Invalid { param: "sizes", .. })
        ));
    }
}
