//! Fig. 5: neural scaling laws with and without compression, `d → d' = [16 √d]` at order k = 6.
//!
//! - **data axis (5a):** teacher–student; full sets of size d against their compressed weighted subsets
//!   of size d', AdamW 1e-3 with cosine annealing, d samples per epoch in batches of `min(512, d/2)` (equal
//!   compute for both arms at a given d). Fit `L ∝ d^-α` for the full sets and `L ∝ d'^-α` for the
//!   compressed ones; the paper finds α 0.683 → 1.271.
//! - **width axis (5b):** the cylindrical-harmonic task; networks of width d against their compressed
//!   weighted networks of width d' (1/c_j gradients), trained on the same batches. Paper: 0.308 → 0.607.
//!
//! Each size × seed is one inner run ([`super::dataset::DatasetRun`] or [`super::lth::LthRun`]); `step`
//! forwards a bounded amount of work to the current one.

use serde::{Deserialize, Serialize};

use super::dataset::{DataArm, DatasetConfig, DatasetRun};
use super::fit::{PowerFit, mean_sd, power_law};
use super::lth::{Arm, LthConfig, LthRun};
use crate::experiments::ExperimentError;
use crate::experiments::cost::{Cost, Hints};
use crate::experiments::params::{Params, Valid, by_name};
use crate::experiments::protocol::{Experiment, Flag, Host, Payload, Preset};
use crate::experiments::trials::Trials;
use crate::nn::{NeuronChart, OptimizerName};

/// The most sizes a scaling run takes.
pub const MAX_SIZES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Axis {
    Data,
    Width,
}

impl std::str::FromStr for Axis {
    type Err = ExperimentError;
    fn from_str(s: &str) -> Result<Self, ExperimentError> {
        match s {
            "data" => Ok(Axis::Data),
            "width" => Ok(Axis::Width),
            _ => Err(ExperimentError::invalid(
                "axis",
                format!("unknown axis '{s}' (use data or width)"),
            )),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingConfig {
    #[serde(deserialize_with = "by_name")]
    pub axis: Axis,
    pub sizes: Vec<usize>,
    pub seeds: usize,
    pub order: usize,
    pub epochs: usize,
    /// Width axis: training and test set size. Data axis: test set size.
    pub n_samples: usize,
    pub lr: f64,
    /// Width axis: the coordinates of the neurons for moment matching (see [`LthConfig::chart`]).
    #[serde(default, deserialize_with = "by_name")]
    pub chart: NeuronChart,
}

impl ScalingConfig {
    /// The preset `name` (`quick` or `paper`) of the `axis`.
    pub fn preset(axis: Axis, name: &str) -> Option<Self> {
        let c = match (axis, name) {
            (Axis::Data, "paper") => ScalingConfig {
                axis,
                sizes: (8..=19).map(|p| 1 << p).collect(),
                seeds: 10,
                order: 6,
                epochs: 2048,
                n_samples: 20_000,
                lr: 1e-3,
                chart: NeuronChart::default(),
            },
            // 1000 epochs: with fewer, the small sets get too few steps to learn (d = 256 gets ⌈d/128⌉
            // steps per epoch) and the fitted slope is an artefact of under-training.
            (Axis::Data, "quick") => ScalingConfig {
                axis,
                sizes: (8..=12).map(|p| 1 << p).collect(),
                seeds: 3,
                order: 6,
                epochs: 1000,
                n_samples: 4000,
                lr: 1e-3,
                chart: NeuronChart::default(),
            },
            (Axis::Width, "paper") => ScalingConfig {
                axis,
                sizes: (8..=14).map(|p| 1 << p).collect(),
                seeds: 10,
                order: 6,
                epochs: 2000,
                n_samples: 20_000,
                lr: 1e-3,
                chart: NeuronChart::default(),
            },
            (Axis::Width, "quick") => ScalingConfig {
                axis,
                sizes: (8..=11).map(|p| 1 << p).collect(),
                seeds: 2,
                order: 6,
                epochs: 300,
                n_samples: 2000,
                lr: 1e-3,
                chart: NeuronChart::default(),
            },
            _ => return None,
        };
        Some(c)
    }
}

/// `[16 √d]`, at most d.
pub fn sqrt_target(d: usize) -> usize {
    ((16.0 * (d as f64).sqrt()).round() as usize).min(d)
}

#[derive(Clone, Debug, Serialize)]
pub struct ScalingRow {
    pub d: usize,
    pub d_prime: usize,
    pub seed: u64,
    pub original: f64,
    pub compressed: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScalingSummary {
    pub alpha_original: Option<PowerFit>,
    pub alpha_compressed: Option<PowerFit>,
    pub ratio: Option<f64>,
    /// Per size: d, d', mean/sd of final test loss for both arms.
    pub table: Vec<serde_json::Value>,
}

/// The run of one size × seed.
enum Inner {
    Data(Box<DatasetRun>),
    Width(Box<LthRun>),
}

impl Inner {
    fn step(&mut self, budget: usize) {
        match self {
            Inner::Data(r) => {
                r.step(budget);
            }
            Inner::Width(r) => {
                r.step(budget);
            }
        }
    }
    fn is_done(&self) -> bool {
        match self {
            Inner::Data(r) => r.is_done(),
            Inner::Width(r) => r.is_done(),
        }
    }
    /// The final test loss of the original (or full-data) arm and of the compressed one.
    fn final_tests(&self) -> (f64, f64) {
        match self {
            Inner::Data(r) => {
                let s = r.summary();
                (s.arms[0].final_test, s.arms[1].final_test)
            }
            Inner::Width(r) => {
                let s = r.summary();
                (s.arms[0].final_test, s.arms[1].final_test)
            }
        }
    }
}

pub struct ScalingRun {
    config: ScalingConfig,
    /// `(d, seed)` per inner run, and their rows.
    trials: Trials<(usize, u64), ScalingRow>,
    /// The inner run under way: the next task's.
    current: Option<Inner>,
}

impl Params for ScalingConfig {
    /// The lists, and every inner run's configuration (its own cost caps included) and the whole run.
    fn check_ref(&self) -> Result<(), ExperimentError> {
        if self.sizes.is_empty() || self.seeds == 0 || self.epochs == 0 {
            return Err(ExperimentError::invalid(
                "seeds",
                "sizes, seeds and epochs must be non-empty",
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(ExperimentError::invalid(
                "lr",
                format!(
                    "the learning rate must be a positive number, got {}",
                    self.lr
                ),
            ));
        }
        if self.n_samples == 0 {
            return Err(ExperimentError::invalid(
                "n_samples",
                "the number of samples must be at least 1",
            ));
        }
        if self.sizes.len() > MAX_SIZES {
            return Err(ExperimentError::invalid(
                "sizes",
                format!("at most {MAX_SIZES} sizes, got {}", self.sizes.len()),
            ));
        }
        let mut total = Cost::default();
        for &d in &self.sizes {
            let inner = match self.axis {
                Axis::Data => {
                    let c = self.data_config(d, 0);
                    c.check_ref()?;
                    c.cost_for(2)
                }
                Axis::Width => {
                    let c = self.width_config(d, 0);
                    c.check_ref()?;
                    c.cost()
                }
            };
            total = total.then(Cost {
                run_flops: inner.run_flops * self.seeds as f64,
                ..inner
            });
        }
        total.check(&Hints {
            call: "lower the largest size",
            run: "lower the seeds, the epochs or the sizes",
            bytes: "lower the largest size or the number of samples",
        })
    }
}

impl ScalingConfig {
    /// The data-axis run of size `d`, seed index `seed`.
    fn data_config(&self, d: usize, seed: u64) -> DatasetConfig {
        DatasetConfig {
            d,
            target: sqrt_target(d),
            order: self.order,
            n_test: self.n_samples,
            epochs: self.epochs,
            optimizer: OptimizerName::AdamW,
            lr: self.lr,
            batch_size: Some((d / 2).clamp(1, 512)),
            samples_per_epoch: d,
            arms: vec![DataArm::Full, DataArm::Compressed],
            eval_every: self.epochs,
            seed: 1000 + seed,
            ..DatasetConfig::paper()
        }
    }

    /// The width-axis run of width `d`, seed index `seed`.
    fn width_config(&self, d: usize, seed: u64) -> LthConfig {
        LthConfig {
            width: d,
            target: sqrt_target(d),
            order: self.order,
            n_train: self.n_samples,
            n_test: self.n_samples,
            batch_size: 128,
            epochs: self.epochs,
            optimizer: OptimizerName::AdamW,
            lr: self.lr,
            arms: vec![Arm::Original, Arm::Compressed],
            eval_every: self.epochs,
            seed: 2000 + seed,
            chart: self.chart,
            ..LthConfig::paper()
        }
    }
}

impl ScalingRun {
    pub fn new(config: ScalingConfig) -> Result<Self, ExperimentError> {
        Self::build(config.check()?, &Host::default())
    }

    pub fn total(&self) -> usize {
        self.trials.tasks().len()
    }
    pub fn rows(&self) -> &[ScalingRow] {
        self.trials.records()
    }

    /// Runs task `index` (one size × seed, in [`Self::total`] order) to completion, independently of the
    /// stepping state: the same row as stepping produces for it.
    fn run_task(&self, index: usize) -> Result<ScalingRow, ExperimentError> {
        let (d, s) = self.trials.task("task", index)?;
        let mut inner = self.start(d, s)?;
        while !inner.is_done() {
            inner.step(match inner {
                Inner::Data(_) => 64,
                Inner::Width(_) => 4096,
            });
        }
        Ok(self.row(d, s, &inner))
    }

    fn start(&self, d: usize, s: u64) -> Result<Inner, ExperimentError> {
        Ok(match self.config.axis {
            Axis::Data => Inner::Data(Box::new(DatasetRun::new(self.config.data_config(d, s))?)),
            Axis::Width => Inner::Width(Box::new(LthRun::new(self.config.width_config(d, s))?)),
        })
    }

    fn row(&self, d: usize, seed: u64, inner: &Inner) -> ScalingRow {
        let (original, compressed) = inner.final_tests();
        ScalingRow {
            d,
            d_prime: sqrt_target(d),
            seed,
            original,
            compressed,
        }
    }

    pub fn summary(&self) -> ScalingSummary {
        let mut xs = Vec::new();
        let mut xs_c = Vec::new();
        let mut ys_o = Vec::new();
        let mut ys_c = Vec::new();
        let mut table = Vec::new();
        for &d in &self.config.sizes {
            let o: Vec<f64> = self
                .rows()
                .iter()
                .filter(|r| r.d == d)
                .map(|r| r.original)
                .collect();
            let c: Vec<f64> = self
                .rows()
                .iter()
                .filter(|r| r.d == d)
                .map(|r| r.compressed)
                .collect();
            if o.is_empty() {
                continue;
            }
            let (mo, so) = mean_sd(&o);
            let (mc, sc) = mean_sd(&c);
            xs.push(d as f64);
            xs_c.push(sqrt_target(d) as f64);
            ys_o.push(mo);
            ys_c.push(mc);
            table.push(serde_json::json!({"d": d, "d_prime": sqrt_target(d), "seeds": o.len(),
                "original_mean": mo, "original_sd": so, "compressed_mean": mc, "compressed_sd": sc}));
        }
        let a = power_law(&xs, &ys_o, 0.0);
        let b = power_law(&xs_c, &ys_c, 0.0);
        let ratio = match (a, b) {
            (Some(a), Some(b)) => Some(b.alpha / a.alpha),
            _ => None,
        };
        ScalingSummary {
            alpha_original: a,
            alpha_compressed: b,
            ratio,
            table,
        }
    }
}

impl Experiment for ScalingRun {
    const KIND: &'static str = "scaling";
    const ABOUT: &'static str = "\
Fig. 5: final test loss against d for the original and against d' = [16 sqrt d] for the compressed arm
(k = 6), with the fitted exponents alpha, their standard errors and their ratio. --axis data (Fig. 5a,
dataset compression) or width (Fig. 5b, the lottery ticket) picks the preset family. Size x seed runs go
to --threads T threads; the numbers do not depend on T.";
    type Config = ScalingConfig;
    type Item = ScalingRow;
    type Summary = ScalingSummary;

    fn presets() -> Vec<Preset<ScalingConfig>> {
        let p = |axis, name| ScalingConfig::preset(axis, name).expect("a preset of the list");
        vec![
            Preset::new(
                "data-quick",
                "Fig. 5a at page scale: d = 2^8 … 2^12, 3 seeds",
                p(Axis::Data, "quick"),
            ),
            Preset::new(
                "data-paper",
                "Fig. 5a: d = 2^8 … 2^19, 10 seeds, 2048 epochs",
                p(Axis::Data, "paper"),
            ),
            Preset::new(
                "width-quick",
                "Fig. 5b at page scale: widths 2^8 … 2^11, 2 seeds",
                p(Axis::Width, "quick"),
            ),
            Preset::new(
                "width-paper",
                "Fig. 5b: widths 2^8 … 2^14, 10 seeds, 2000 epochs",
                p(Axis::Width, "paper"),
            ),
        ]
    }

    fn build(config: Valid<ScalingConfig>, _host: &Host) -> Result<Self, ExperimentError> {
        let config = config.into_inner();
        let tasks = config
            .sizes
            .iter()
            .flat_map(|&d| (0..config.seeds as u64).map(move |s| (d, s)))
            .collect();
        Ok(ScalingRun {
            config,
            trials: Trials::new(tasks),
            current: None,
        })
    }

    fn config(&self) -> &ScalingConfig {
        &self.config
    }

    /// Up to `budget` units (epochs on the data axis, mini-batches on the width axis) of the current
    /// size × seed run, starting the next one when needed.
    fn step(&mut self, budget: usize) -> Result<(), ExperimentError> {
        let Some((d, s)) = self.trials.next() else {
            return Ok(());
        };
        if self.current.is_none() {
            self.current = Some(self.start(d, s)?);
        }
        if let Some(inner) = self.current.as_mut() {
            inner.step(budget);
        }
        if let Some(inner) = self.current.take_if(|inner| inner.is_done()) {
            let row = self.row(d, s, &inner);
            self.trials.record(row);
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
        self.trials.status("runs", |r| {
            format!(
                "; d = {} d' = {} seed {}: original {:.5} compressed {:.5}",
                r.d, r.d_prime, r.seed, r.original, r.compressed
            )
        })
    }

    fn items(&self) -> &[ScalingRow] {
        self.trials.records()
    }

    fn summary(&self) -> ScalingSummary {
        ScalingRun::summary(self)
    }

    fn seed(&self) -> Option<u64> {
        None
    }

    fn info(&self) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        self.trials.info()
    }

    fn parts(&self) -> usize {
        self.total()
    }

    /// The largest first (so the long ones do not end up last on one thread).
    fn part_order(&self) -> Vec<usize> {
        self.trials.costliest_first(|&(d, _)| (d as u64, 0))
    }

    fn run_part(&self, index: usize) -> Result<ScalingRow, ExperimentError> {
        self.run_task(index)
    }

    fn finish_with(&mut self, rows: Vec<ScalingRow>) -> Result<(), ExperimentError> {
        self.current = None;
        self.trials.finish_with(rows)
    }

    fn flags() -> &'static [Flag] {
        const FLAGS: &[Flag] = &[
            Flag::preset_family("axis", "data (Fig. 5a) or width (Fig. 5b)"),
            Flag::value("samples", "n_samples", "the number of samples"),
        ];
        FLAGS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(sqrt_target(256), 256);
        assert_eq!(sqrt_target(1024), 512);
        assert_eq!(sqrt_target(524_288), 11_585);
        assert_eq!(sqrt_target(16_384), 2048);
    }

    #[test]
    fn tiny_data_scaling_runs() {
        let cfg = ScalingConfig {
            axis: Axis::Data,
            sizes: vec![512, 1024],
            seeds: 1,
            order: 4,
            epochs: 3,
            n_samples: 500,
            lr: 1e-3,
            chart: NeuronChart::default(),
        };
        let mut run = ScalingRun::new(cfg).unwrap();
        while !run.is_done() {
            run.step(5).unwrap();
        }
        assert_eq!(run.rows().len(), 2);
        assert!(run.summary().alpha_original.is_some());
    }

    /// The task-at-a-time path (used by the CLI's threads) gives bit-for-bit the rows of the stepped path
    /// (used by the page), on both axes.
    #[test]
    fn run_task_matches_stepping() {
        for axis in [Axis::Data, Axis::Width] {
            let cfg = ScalingConfig {
                axis,
                sizes: vec![256, 512],
                seeds: 2,
                order: 3,
                epochs: 3,
                n_samples: 300,
                lr: 1e-3,
                chart: NeuronChart::default(),
            };
            let mut stepped = ScalingRun::new(cfg.clone()).unwrap();
            while !stepped.is_done() {
                stepped.step(7).unwrap();
            }
            let mut tasks = ScalingRun::new(cfg).unwrap();
            // Computed in any order (here backwards), installed in part order.
            let mut rows: Vec<ScalingRow> = (0..tasks.total())
                .rev()
                .map(|i| tasks.run_part(i).unwrap())
                .collect();
            rows.reverse();
            tasks.finish_with(rows).unwrap();
            assert!(tasks.is_done());
            let a = serde_json::to_string(stepped.rows()).unwrap();
            let b = serde_json::to_string(tasks.rows()).unwrap();
            assert_eq!(a, b, "{axis:?}");
            assert_eq!(
                serde_json::to_string(&stepped.summary()).unwrap(),
                serde_json::to_string(&tasks.summary()).unwrap()
            );
        }
        let run = ScalingRun::new(ScalingConfig::preset(Axis::Data, "quick").unwrap()).unwrap();
        assert!(matches!(
            run.run_part(run.total()),
            Err(ExperimentError::OutOfRange { what: "task", .. })
        ));
    }
}
