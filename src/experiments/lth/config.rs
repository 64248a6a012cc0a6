//! The configuration of the dynamical lottery ticket: its presets, its checks and its cost.

use serde::{Deserialize, Serialize};

use crate::compress::{self, Strategy, check_order, n_moments};
use crate::experiments::ExperimentError;
use crate::experiments::cost::{self, Cost, Hints};
use crate::experiments::params::{Params, by_name};
use crate::experiments::protocol::Preset;
use crate::nn::{Activation, NeuronChart, OptimizerName, TrainConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arm {
    Original,
    Compressed,
    Naive,
    Magnitude,
}

impl Arm {
    pub const ALL: [Arm; 4] = [Arm::Original, Arm::Compressed, Arm::Naive, Arm::Magnitude];
    pub fn name(self) -> &'static str {
        match self {
            Arm::Original => "original",
            Arm::Compressed => "compressed",
            Arm::Naive => "naive",
            Arm::Magnitude => "magnitude",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LthConfig {
    pub width: usize,
    pub target: usize,
    pub order: usize,
    pub n_train: usize,
    pub n_test: usize,
    pub noise: f64,
    pub batch_size: usize,
    pub epochs: usize,
    #[serde(deserialize_with = "by_name")]
    pub optimizer: OptimizerName,
    pub lr: f64,
    #[serde(deserialize_with = "by_name")]
    pub activation: Activation,
    /// Multiply the compressed arm's gradients by 1/c_j (the paper's rule). Off shows what goes wrong.
    pub rescale: bool,
    /// Coordinates of the neurons for moment matching (default: the paper's raw `(v, w, b)`; see
    /// [`NeuronChart`] for the ReLU-only scale-and-direction chart and its trade-off).
    #[serde(deserialize_with = "by_name")]
    pub chart: NeuronChart,
    /// How the compressor picks its clusters (default: automatic, as everywhere else).
    #[serde(deserialize_with = "by_name")]
    pub strategy: Strategy,
    pub arms: Vec<Arm>,
    /// Test loss every this many epochs (and at epoch 0 and the last epoch).
    pub eval_every: usize,
    /// Record every arm's function on a `maps_res × maps_res` grid over `[-1,1]²` at epoch 0, every
    /// `maps_every` epochs and at the last epoch, for heat maps at any of those epochs (0 = never).
    pub maps_every: usize,
    /// Grid resolution of the recorded maps (2 to [`MAX_MAPS_RES`]).
    pub maps_res: usize,
    pub seed: u64,
}

/// Largest grid resolution of [`LthConfig::maps_res`].
pub const MAX_MAPS_RES: usize = 256;
/// Largest number of values all recorded maps may hold together (64 MB of f32).
pub const MAX_MAPS_VALUES: usize = 1 << 24;

impl Default for LthConfig {
    fn default() -> Self {
        Self::quick()
    }
}

impl LthConfig {
    /// The paper's Fig. 4 (SGD panel): width 10^4 → 10^3, 10^5 samples, batch 512, 3000 epochs, k = 5.
    pub fn paper() -> Self {
        LthConfig {
            width: 10_000,
            target: 1_000,
            order: 5,
            n_train: 100_000,
            n_test: 100_000,
            noise: 0.2,
            batch_size: 512,
            epochs: 3000,
            optimizer: OptimizerName::Sgd,
            lr: 1e-3,
            activation: Activation::Relu,
            rescale: true,
            chart: NeuronChart::default(),
            strategy: Strategy::Auto,
            arms: Arm::ALL.to_vec(),
            eval_every: 10,
            maps_every: 0,
            maps_res: 48,
            seed: 42,
        }
    }
    /// The authors' laptop demo: width 5000 → 1000, 10^4 samples, batch 128, SGD 1e-3, 1000 epochs.
    pub fn demo() -> Self {
        LthConfig {
            width: 5000,
            n_train: 10_000,
            n_test: 10_000,
            batch_size: 128,
            epochs: 1000,
            ..Self::paper()
        }
    }
    /// The laptop demo with AdamW 1e-4 (the optimiser of the paper's panel c): the wide net learns the
    /// target and the random sub-network falls far behind, which the SGD demo does not show
    /// (docs/RESULTS.md, "demo preset with AdamW 1e-4").
    pub fn demo_adamw() -> Self {
        LthConfig {
            optimizer: OptimizerName::AdamW,
            lr: 1e-4,
            ..Self::demo()
        }
    }
    /// Seconds in a browser tab: width 3000 → 500, 6000 samples, 300 epochs of AdamW 1e-3. Long enough
    /// that the wide net learns the target and the random sub-network falls behind (docs/RESULTS.md, the
    /// quick preset).
    pub fn quick() -> Self {
        LthConfig {
            width: 3000,
            target: 500,
            n_train: 6000,
            // The page's form has one "samples" field and uses it for both sets, as every preset does.
            n_test: 6000,
            batch_size: 128,
            epochs: 300,
            optimizer: OptimizerName::AdamW,
            lr: 1e-3,
            eval_every: 5,
            ..Self::paper()
        }
    }
    pub fn preset(name: &str) -> Option<Self> {
        Preset::named(presets(), name)
    }

    /// Whether the function maps are recorded at the end of `epoch` (0 = the initial nets).
    pub fn records_maps_at(&self, epoch: usize) -> bool {
        self.maps_every > 0
            && (epoch.is_multiple_of(self.maps_every) || epoch == self.epochs)
            && epoch <= self.epochs
    }

    /// How many epochs [`LthConfig::records_maps_at`] (0 if maps are off).
    pub fn map_epochs_count(&self) -> usize {
        match self.maps_every {
            0 => 0,
            e => self.epochs / e + 1 + usize::from(!self.epochs.is_multiple_of(e)),
        }
    }

    /// The cost of the run (see [`crate::experiments::cost`]): the set-up (data, compression of the
    /// width-d net's neurons, initial test losses and maps, all in the constructor), one mini-batch of
    /// every arm with an epoch's end (test losses, maps: the unit of `step`), and the whole run.
    pub fn cost(&self) -> Cost {
        let (w, t) = (self.width as f64, self.target as f64);
        let (n_train, n_test) = (self.n_train as f64, self.n_test as f64);
        let widths: f64 = self
            .arms
            .iter()
            .map(|a| if *a == Arm::Original { w } else { t })
            .sum();
        let arms = self.arms.len() as f64;
        let eval = cost::eval_flops_per_sample(widths, 2.0);
        let res2 = if self.maps_every > 0 {
            (self.maps_res * self.maps_res) as f64
        } else {
            0.0
        };
        let compress = if self.arms.contains(&Arm::Compressed) {
            compress::estimated_cost(self.width, 4, self.order, self.target, self.strategy, 1)
        } else {
            Default::default()
        };
        let setup = (n_train + n_test) * 300.0
            + compress.flops
            + w * (w + 1.0).log2() * 4.0
            + (n_test + res2) * eval;
        let batch = self.batch_size as f64 * cost::train_flops_per_sample(widths, 2.0)
            + arms * cost::optimiser_flops(w, 2.0);
        let epoch_end = (n_test + res2) * eval + n_train * 4.0;
        let epochs = self.epochs as f64;
        let batches = (n_train / self.batch_size.max(1) as f64).ceil();
        let evals = (epochs / self.eval_every.max(1) as f64).ceil() + 1.0;
        let map_epochs = self.map_epochs_count() as f64;
        Cost {
            call_flops: setup.max(batch + epoch_end),
            run_flops: setup
                + epochs * (batches * batch + n_train * 4.0)
                + evals * n_test * eval
                + map_epochs * res2 * eval,
            bytes: (n_train + n_test) * 12.0
                + n_train * 8.0
                + compress.bytes
                + w * 64.0
                + self
                    .arms
                    .iter()
                    .map(|a| cost::trainer_bytes(if *a == Arm::Original { w } else { t }, 2.0))
                    .sum::<f64>()
                + map_epochs * arms * res2 * 4.0
                + (arms + 1.0) * 512.0 * 512.0 * 8.0
                + epochs * (arms * 16.0 + 64.0),
        }
    }
}

/// The named configurations, the default first.
pub fn presets() -> Vec<Preset<LthConfig>> {
    vec![
        Preset::new(
            "quick",
            "seconds in a browser tab: 3000 → 500 neurons, 300 epochs of AdamW",
            LthConfig::quick(),
        ),
        Preset::new(
            "demo-adamw",
            "the demo that shows the effect: 5000 → 1000 neurons, 1000 epochs of AdamW 1e-4",
            LthConfig::demo_adamw(),
        ),
        Preset::new(
            "demo",
            "the authors' laptop demo: 5000 → 1000 neurons, 1000 epochs of SGD (the nets barely learn)",
            LthConfig::demo(),
        ),
        Preset::new(
            "paper",
            "the paper's Fig. 4: 10⁴ → 10³ neurons, 3000 epochs of 10⁵ samples",
            LthConfig::paper(),
        ),
    ]
}

impl Params for LthConfig {
    fn check_ref(&self) -> Result<(), ExperimentError> {
        if self.width == 0 || self.target == 0 {
            return Err(ExperimentError::invalid(
                "width",
                "widths must be at least 1",
            ));
        }
        if self.target > self.width {
            return Err(ExperimentError::invalid(
                "target",
                format!(
                    "compressed width d' = {} is larger than the width d = {}",
                    self.target, self.width
                ),
            ));
        }
        check_order(self.order)?;
        let n = n_moments(4, self.order).unwrap_or(usize::MAX);
        if n > self.target {
            return Err(ExperimentError::invalid(
                "order",
                format!(
                    "order k = {} needs N(4, k) = {n} neurons, more than d' = {}; lower k or raise d'",
                    self.order, self.target
                ),
            ));
        }
        if self.chart == NeuronChart::Homogeneous && self.activation != Activation::Relu {
            return Err(ExperimentError::invalid(
                "chart",
                format!(
                    "the scale-and-direction neuron chart drops |(w, b)|, which only a ReLU neuron's output does \
                     not depend on; use the raw chart with {}",
                    format!("{:?}", self.activation).to_lowercase()
                ),
            ));
        }
        if self.n_train == 0 || self.n_test == 0 {
            return Err(ExperimentError::invalid(
                "n_train",
                "training and test sets must not be empty",
            ));
        }
        if self.batch_size == 0 {
            return Err(ExperimentError::invalid(
                "batch_size",
                "batch size must be at least 1",
            ));
        }
        if self.epochs == 0 {
            return Err(ExperimentError::invalid(
                "epochs",
                "epochs must be at least 1",
            ));
        }
        crate::experiments::arms::check_noise(self.noise)?;
        if self.arms.is_empty() || !self.arms.contains(&Arm::Original) {
            return Err(ExperimentError::invalid(
                "arms",
                "the original arm must be among the arms",
            ));
        }
        if self.width > 100_000 || self.n_train > 2_000_000 || self.n_test > 2_000_000 {
            return Err(ExperimentError::invalid(
                "width",
                "sizes above 10^5 neurons or 2·10^6 samples are refused",
            ));
        }
        if self.maps_every > 0 {
            if !(2..=MAX_MAPS_RES).contains(&self.maps_res) {
                return Err(ExperimentError::invalid(
                    "maps_res",
                    format!(
                        "map resolution must be between 2 and {MAX_MAPS_RES}, got {}",
                        self.maps_res
                    ),
                ));
            }
            let values = self
                .map_epochs_count()
                .saturating_mul(self.arms.len())
                .saturating_mul(self.maps_res * self.maps_res);
            if values > MAX_MAPS_VALUES {
                return Err(ExperimentError::invalid(
                    "maps_every",
                    format!(
                        "recording {} maps of {}×{} would hold {values} values (at most {MAX_MAPS_VALUES}); \
                         record less often or at a lower resolution",
                        self.map_epochs_count() * self.arms.len(),
                        self.maps_res,
                        self.maps_res
                    ),
                ));
            }
        }
        TrainConfig::new(self.optimizer.kind(), self.lr).validate()?;
        self.cost().check(&Hints {
            call: "lower the width d, the order k or the test size",
            run: "lower the epochs, the number of samples or the widths",
            bytes: "lower the number of samples, the widths or the recorded maps",
        })
    }
}
