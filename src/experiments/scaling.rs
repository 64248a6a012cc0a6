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
use crate::experiments::cost::{Cost, Hints};
use crate::nn::NeuronChart;

/// The most sizes a scaling run takes.
pub const MAX_SIZES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Axis {
    Data,
    Width,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingConfig {
    pub axis: Axis,
    pub sizes: Vec<usize>,
    pub seeds: usize,
    pub order: usize,
    pub epochs: usize,
    /// Width axis: training and test set size. Data axis: test set size.
    pub n_samples: usize,
    pub lr: f64,
    /// Width axis: the coordinates of the neurons for moment matching (see [`LthConfig::chart`]).
    #[serde(default)]
    pub chart: NeuronChart,
}

impl ScalingConfig {
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

enum Inner {
    Data(Box<DatasetRun>),
    Width(Box<LthRun>),
}

pub struct ScalingRun {
    config: ScalingConfig,
    tasks: Vec<(usize, u64)>,
    next: usize,
    current: Option<Inner>,
    rows: Vec<ScalingRow>,
}

impl ScalingRun {
    pub fn new(config: ScalingConfig) -> Result<Self, String> {
        if config.sizes.is_empty() || config.seeds == 0 || config.epochs == 0 {
            return Err("sizes, seeds and epochs must be non-empty".into());
        }
        if !(config.lr.is_finite() && config.lr > 0.0) {
            return Err(format!(
                "the learning rate must be a positive number, got {}",
                config.lr
            ));
        }
        if config.n_samples == 0 {
            return Err("the number of samples must be at least 1".into());
        }
        if config.sizes.len() > MAX_SIZES {
            return Err(format!(
                "at most {MAX_SIZES} sizes, got {}",
                config.sizes.len()
            ));
        }
        let mut run = ScalingRun {
            config,
            tasks: Vec::new(),
            next: 0,
            current: None,
            rows: Vec::new(),
        };
        // Validate every inner configuration (its own cost caps included) and the whole run up front.
        let mut total = Cost::default();
        for &d in &run.config.sizes {
            let inner = match run.config.axis {
                Axis::Data => {
                    let c = run.data_config(d, 0);
                    c.validate()?;
                    c.cost_for(2)
                }
                Axis::Width => {
                    let c = run.width_config(d, 0);
                    c.validate()?;
                    c.cost()
                }
            };
            total = total.then(Cost {
                run_flops: inner.run_flops * run.config.seeds as f64,
                ..inner
            });
        }
        total.check(&Hints {
            call: "lower the largest size",
            run: "lower the seeds, the epochs or the sizes",
            bytes: "lower the largest size or the number of samples",
        })?;
        run.tasks = run
            .config
            .sizes
            .iter()
            .flat_map(|&d| (0..run.config.seeds as u64).map(move |s| (d, s)))
            .collect();
        Ok(run)
    }

    fn data_config(&self, d: usize, seed: u64) -> DatasetConfig {
        DatasetConfig {
            d,
            target: sqrt_target(d),
            order: self.config.order,
            n_test: self.config.n_samples,
            epochs: self.config.epochs,
            optimizer: "adamw".into(),
            lr: self.config.lr,
            batch_size: Some((d / 2).clamp(1, 512)),
            samples_per_epoch: d,
            arms: vec![DataArm::Full, DataArm::Compressed],
            eval_every: self.config.epochs,
            seed: 1000 + seed,
            ..DatasetConfig::paper()
        }
    }

    fn width_config(&self, d: usize, seed: u64) -> LthConfig {
        LthConfig {
            width: d,
            target: sqrt_target(d),
            order: self.config.order,
            n_train: self.config.n_samples,
            n_test: self.config.n_samples,
            batch_size: 128,
            epochs: self.config.epochs,
            optimizer: "adamw".into(),
            lr: self.config.lr,
            arms: vec![Arm::Original, Arm::Compressed],
            eval_every: self.config.epochs,
            seed: 2000 + seed,
            chart: self.config.chart,
            ..LthConfig::paper()
        }
    }

    pub fn config(&self) -> &ScalingConfig {
        &self.config
    }
    pub fn total(&self) -> usize {
        self.tasks.len()
    }
    pub fn finished(&self) -> usize {
        self.rows.len()
    }
    pub fn is_done(&self) -> bool {
        self.next >= self.tasks.len() && self.current.is_none()
    }
    pub fn rows(&self) -> &[ScalingRow] {
        &self.rows
    }

    /// Runs task `index` (one size × seed, in [`Self::total`] order) to completion, independently of the
    /// stepping state: the same row as [`Self::step`] produces for it. Lets a native driver run tasks on
    /// several threads; `&self` only, so tasks can share the run.
    pub fn run_task(&self, index: usize) -> Result<ScalingRow, String> {
        let &(d, s) = self
            .tasks
            .get(index)
            .ok_or_else(|| format!("no task {index}"))?;
        let (original, compressed) = match self.config.axis {
            Axis::Data => {
                let mut r = DatasetRun::new(self.data_config(d, s))?;
                while !r.is_done() {
                    r.step(64);
                }
                let s = r.summary();
                (s.arms[0].final_test, s.arms[1].final_test)
            }
            Axis::Width => {
                let mut r = LthRun::new(self.width_config(d, s))?;
                while !r.is_done() {
                    r.step(4096);
                }
                let s = r.summary();
                (s.arms[0].final_test, s.arms[1].final_test)
            }
        };
        Ok(ScalingRow {
            d,
            d_prime: sqrt_target(d),
            seed: s,
            original,
            compressed,
        })
    }

    /// Records rows computed by [`Self::run_task`] (in any order) as finished; the run is then done.
    pub fn finish_with(&mut self, mut rows: Vec<ScalingRow>) {
        rows.sort_by_key(|r| {
            self.tasks
                .iter()
                .position(|&(d, s)| d == r.d && s == r.seed)
                .unwrap_or(usize::MAX)
        });
        self.rows = rows;
        self.next = self.tasks.len();
        self.current = None;
    }

    /// Does up to `budget` units (epochs on the data axis, mini-batches on the width axis) of the current
    /// inner run, starting the next one when needed. Returns the rows finished by this call.
    pub fn step(&mut self, budget: usize) -> Result<&[ScalingRow], String> {
        let first = self.rows.len();
        if self.current.is_none() && self.next < self.tasks.len() {
            let (d, s) = self.tasks[self.next];
            self.next += 1;
            self.current = Some(match self.config.axis {
                Axis::Data => Inner::Data(Box::new(DatasetRun::new(self.data_config(d, s))?)),
                Axis::Width => Inner::Width(Box::new(LthRun::new(self.width_config(d, s))?)),
            });
        }
        let (d, s) = self.tasks[self.next.saturating_sub(1).min(self.tasks.len() - 1)];
        let finished = match self.current.as_mut() {
            None => None,
            Some(Inner::Data(r)) => {
                r.step(budget);
                r.is_done().then(|| {
                    let s = r.summary();
                    (s.arms[0].final_test, s.arms[1].final_test)
                })
            }
            Some(Inner::Width(r)) => {
                r.step(budget);
                r.is_done().then(|| {
                    let s = r.summary();
                    (s.arms[0].final_test, s.arms[1].final_test)
                })
            }
        };
        if let Some((original, compressed)) = finished {
            self.rows.push(ScalingRow {
                d,
                d_prime: sqrt_target(d),
                seed: s,
                original,
                compressed,
            });
            self.current = None;
        }
        Ok(&self.rows[first..])
    }

    pub fn summary(&self) -> ScalingSummary {
        let mut xs = Vec::new();
        let mut xs_c = Vec::new();
        let mut ys_o = Vec::new();
        let mut ys_c = Vec::new();
        let mut table = Vec::new();
        for &d in &self.config.sizes {
            let o: Vec<f64> = self
                .rows
                .iter()
                .filter(|r| r.d == d)
                .map(|r| r.original)
                .collect();
            let c: Vec<f64> = self
                .rows
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
            let mut rows: Vec<ScalingRow> = (0..tasks.total())
                .rev()
                .map(|i| tasks.run_task(i).unwrap())
                .collect();
            rows.rotate_left(1);
            tasks.finish_with(rows);
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
        assert!(run.run_task(run.total()).is_err());
    }
}
