//! The configuration of dataset compression: its presets, its checks and its cost.

use serde::{Deserialize, Serialize};

use crate::compress::{self, Strategy, check_order, n_moments};
use crate::experiments::ExperimentError;
use crate::experiments::cost::{self, Cost, Hints};
use crate::experiments::params::{Params, Valid, by_name};
use crate::experiments::protocol::Preset;
use crate::nn::{OptimizerName, TrainConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataArm {
    Full,
    Compressed,
    Naive,
    Kmeans,
}

impl DataArm {
    pub fn name(self) -> &'static str {
        match self {
            DataArm::Full => "full",
            DataArm::Compressed => "compressed",
            DataArm::Naive => "naive",
            DataArm::Kmeans => "kmeans",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatasetConfig {
    pub d: usize,
    pub target: usize,
    pub order: usize,
    pub noise: f64,
    pub hidden: usize,
    pub teacher_seed: u64,
    pub n_test: usize,
    pub epochs: usize,
    #[serde(deserialize_with = "by_name")]
    pub optimizer: OptimizerName,
    pub lr: f64,
    /// `None`: full batch (one step per epoch).
    pub batch_size: Option<usize>,
    /// Mini-batch draws per epoch (the paper: 10^4 for every arm).
    pub samples_per_epoch: usize,
    pub arms: Vec<DataArm>,
    pub eval_every: usize,
    pub seed: u64,
    /// Record every arm's loss landscape on a `landscape × landscape` plane around the initial
    /// parameters when the run is built and around the trained full-data parameters when it ends
    /// (0: none; the page asks for landscapes when it wants them).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub landscape: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Default for DatasetConfig {
    fn default() -> Self {
        Self::quick()
    }
}

impl DatasetConfig {
    /// Fig. 3(c): d = 10^4 → 10^3, k = 5, SGD 0.01, batch 256, 10^4 samples per epoch, 400 epochs.
    pub fn paper() -> Self {
        DatasetConfig {
            d: 10_000,
            target: 1_000,
            order: 5,
            noise: 3.0,
            hidden: 50,
            teacher_seed: 420,
            n_test: 10_000,
            epochs: 400,
            optimizer: OptimizerName::Sgd,
            lr: 0.01,
            batch_size: Some(256),
            samples_per_epoch: 10_000,
            arms: vec![DataArm::Full, DataArm::Compressed, DataArm::Naive],
            eval_every: 10,
            seed: 42,
            landscape: 0,
        }
    }
    /// The authors' laptop demo: d = 5000 → 1000, SGD 0.01, batch 256.
    pub fn demo() -> Self {
        DatasetConfig {
            d: 5000,
            samples_per_epoch: 5000,
            ..Self::paper()
        }
    }
    /// Seconds in a browser tab: d = 4000 → 400, k = 4, 200 epochs of 4000 samples.
    pub fn quick() -> Self {
        DatasetConfig {
            d: 4000,
            target: 400,
            order: 4,
            epochs: 200,
            samples_per_epoch: 4000,
            n_test: 4000,
            eval_every: 5,
            ..Self::paper()
        }
    }
    pub fn preset(name: &str) -> Option<Self> {
        Preset::named(presets(), name)
    }

    /// The checks of [`Params::check_ref`] for inputs of dimension `in_dim` (objects `(x, y)` in
    /// R^(in_dim + 1)).
    pub fn check_for(self, in_dim: usize) -> Result<Valid<Self>, ExperimentError> {
        if self.d < 2 || self.target == 0 || self.target > self.d {
            return Err(ExperimentError::invalid(
                "target",
                format!("need 0 < d' ≤ d (got d = {}, d' = {})", self.d, self.target),
            ));
        }
        self.check_options()?;
        let m = in_dim + 1;
        let n = n_moments(m, self.order).unwrap_or(usize::MAX);
        if n > self.target {
            return Err(ExperimentError::invalid(
                "order",
                format!(
                    "order k = {} needs N({m}, k) = {n} points, more than d' = {}; lower k or raise d'",
                    self.order, self.target
                ),
            ));
        }
        if self.n_test == 0 || self.samples_per_epoch == 0 {
            return Err(ExperimentError::invalid(
                "n_test",
                "test size and samples per epoch must be at least 1",
            ));
        }
        if self.d > 2_000_000 || self.n_test > 2_000_000 {
            return Err(ExperimentError::invalid(
                "d",
                "data sets above 2·10^6 points are refused",
            ));
        }
        self.cost_for(in_dim).check(&Hints {
            call: "lower d or d′ (or leave out the k-means arm, ~20 d·d′ operations), or the samples per epoch",
            run: "lower the epochs, d or the samples per epoch",
            bytes: "lower d, the test size or the epochs",
        })?;
        Ok(Valid::checked_elsewhere(self))
    }

    /// The checks that do not depend on the data's size (for a run on the user's own data, whose `d`,
    /// `n_test` and `samples_per_epoch` come from the file): order, widths, epochs, batch size, noise,
    /// arms, optimiser and learning rate.
    pub fn check_options(&self) -> Result<(), ExperimentError> {
        check_order(self.order)?;
        if self.hidden == 0 || self.epochs == 0 {
            return Err(ExperimentError::invalid(
                "epochs",
                "hidden width and epochs must be at least 1",
            ));
        }
        if self.batch_size == Some(0) {
            return Err(ExperimentError::invalid(
                "batch_size",
                "batch size must be at least 1",
            ));
        }
        crate::experiments::arms::check_noise(self.noise)?;
        if !self.arms.contains(&DataArm::Full) {
            return Err(ExperimentError::invalid(
                "arms",
                "the full data set must be among the arms",
            ));
        }
        TrainConfig::new(self.optimizer.kind(), self.lr).validate()?;
        Ok(())
    }

    /// The cost of a run on inputs of dimension `in_dim` (see [`crate::experiments::cost`]): the set-up
    /// (data, compression, k-means, initial losses, all in the constructor), one epoch of every arm with
    /// its test evaluation (the unit of `step`), and the whole run.
    pub fn cost_for(&self, in_dim: usize) -> Cost {
        let (d, t, n_test) = (self.d as f64, self.target as f64, self.n_test as f64);
        let (h, inp, m) = (self.hidden as f64, in_dim as f64, in_dim as f64 + 1.0);
        let arms = self.arms.len() as f64;
        let sizes: f64 = self
            .arms
            .iter()
            .map(|a| if *a == DataArm::Full { d } else { t })
            .sum();
        let eval = cost::eval_flops_per_sample(h, inp);
        let compress = compress::estimated_cost(
            self.d,
            in_dim + 1,
            self.order,
            self.target,
            Strategy::Auto,
            1,
        );
        let kmeans = if self.arms.contains(&DataArm::Kmeans) {
            3.0 * m * d * t * 21.0
        } else {
            0.0
        };
        let setup =
            (d + n_test) * m * 60.0 + compress.flops + kmeans + (sizes + arms * n_test) * eval;
        let epoch: f64 = self
            .arms
            .iter()
            .map(|a| {
                let n = if *a == DataArm::Full { d } else { t };
                match self.batch_size {
                    None => {
                        n * (cost::train_flops_per_sample(h, inp) + m)
                            + cost::optimiser_flops(h, inp)
                    }
                    Some(bs) => {
                        let s = self.samples_per_epoch as f64;
                        s * cost::train_flops_per_sample(h, inp)
                            + (s / bs.max(1) as f64).ceil() * cost::optimiser_flops(h, inp)
                            + n * m
                    }
                }
            })
            .sum();
        let epochs = self.epochs as f64;
        let evals = (epochs / self.eval_every.max(1) as f64).ceil() + 1.0;
        let test_eval = arms * n_test * eval;
        let bytes = d * m * 8.0 * 3.0
            + n_test * m * 12.0
            + compress.bytes
            + if kmeans > 0.0 {
                d * 32.0 + t * m * 8.0
            } else {
                0.0
            }
            + sizes * (4.0 * m + 24.0)
            + self
                .batch_size
                .map_or(0.0, |_| self.samples_per_epoch as f64 * 8.0)
            + arms * cost::trainer_bytes(h, inp)
            + epochs * (arms * 16.0 + 64.0);
        // The landscapes: `landscape²` evaluations of every arm's set, twice.
        let planes = (self.landscape * self.landscape) as f64 * sizes * eval;
        Cost {
            call_flops: setup.max(epoch + test_eval).max(planes),
            run_flops: setup + epochs * epoch + evals * test_eval + 2.0 * planes,
            bytes,
        }
    }
}

impl Params for DatasetConfig {
    /// Every check, for the teacher task (2 inputs).
    fn check_ref(&self) -> Result<(), ExperimentError> {
        self.clone().check_for(2).map(|_| ())
    }
}

/// The named configurations, the default first.
pub fn presets() -> Vec<Preset<DatasetConfig>> {
    let paper = DatasetConfig::paper();
    vec![
        Preset::new(
            "quick",
            "seconds in a browser tab: d = 4000 → 400, k = 4, 200 epochs",
            DatasetConfig::quick(),
        ),
        Preset::new(
            "demo",
            "the authors' laptop demo: d = 5000 → 1000, SGD 0.01, batch 256",
            DatasetConfig::demo(),
        ),
        Preset::new(
            "paper",
            "the paper's Fig. 3c: d = 10⁴ → 10³, SGD 0.01, batch 256, 400 epochs",
            paper.clone(),
        ),
        Preset::new(
            "paper-sgd-full",
            "Fig. 3a: SGD 0.05, full batch",
            DatasetConfig {
                optimizer: OptimizerName::Sgd,
                lr: 0.05,
                batch_size: None,
                ..paper.clone()
            },
        ),
        Preset::new(
            "paper-adamw-full",
            "Fig. 3b: AdamW 0.01, full batch",
            DatasetConfig {
                optimizer: OptimizerName::AdamW,
                lr: 0.01,
                batch_size: None,
                ..paper.clone()
            },
        ),
        Preset::new(
            "paper-sgd-batch",
            "Fig. 3c: SGD 0.01, batch 256",
            paper.clone(),
        ),
        Preset::new(
            "paper-adamw-batch",
            "Fig. 3d: AdamW 1e-3, batch 256",
            DatasetConfig {
                optimizer: OptimizerName::AdamW,
                lr: 1e-3,
                ..paper
            },
        ),
    ]
}
