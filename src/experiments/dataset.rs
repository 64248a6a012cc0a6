//! Samples compression (Fig. 3): a student trained on the full data set, on its moment-matched weighted
//! subset, on a random subset of the same size, and (optionally) on k-means centroids weighted by mass.
//!
//! **Task.** Teacher: a random 2-50-1 ReLU net, all parameters `U(-1,1)` (seed 420); `x ~ U[-1,1]²`,
//! `y = teacher(x) + 3ε`. Objects for compression are `(x_1, x_2, y) ∈ R³` (m = 3), raw.
//! **Training.** The same student initialisation (seed) for every arm, cosine schedule.
//! - full batch: one step per epoch on the weighted MSE `Σ c_j e_j² / Σ c_j`;
//! - mini-batch: `samples_per_epoch` draws with replacement per epoch, probability `∝ c_j` for weighted
//!   sets (plain MSE on the batch) — equal compute for every arm.
//!
//! Test loss on noiseless teacher outputs.
//!
//! **Loss landscape** (beyond the paper): each data set's training loss on a plane
//! `θ + a·δ₁ + b·δ₂` through the initial or the trained full-data parameters, with random Gaussian
//! directions filter-normalised per neuron (Li et al. 2018): the `(w_j, b_j)` block of δ is scaled to the
//! norm of θ's, and so is the output block `(v, b_out)`. The deviation of a set's landscape from the full
//! set's is `max |L_set − L_full| / max(L_full)` over the grid.
//!
//! **Cost.** Training: `≈ 6 · 3 · 50` flops per sample per step. Landscape: `res²` evaluations of every
//! data set (forward only).

use serde::{Deserialize, Serialize};

use crate::compress::baselines::kmeans_centroids;
use crate::compress::{
    self, Cloud, CompressParams, Strategy, check_order, compress, n_moments, power_of_two_below,
};
use crate::data::tasks::{Dataset as DataSet, Teacher};
use crate::experiments::cost::{self, Cost, Hints};
use crate::nn::{
    Activation, BatchStream, GradMode, NnError, OptimizerKind, Samples, TrainConfig, Trainer,
    TwoLayerNet, Workspace,
};
use crate::rng::{seeded, standard_normal, sub_seed, uniform};

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
    pub optimizer: String,
    pub lr: f64,
    /// `None`: full batch (one step per epoch).
    pub batch_size: Option<usize>,
    /// Mini-batch draws per epoch (the paper: 10^4 for every arm).
    pub samples_per_epoch: usize,
    pub arms: Vec<DataArm>,
    pub eval_every: usize,
    pub seed: u64,
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
            optimizer: "sgd".into(),
            lr: 0.01,
            batch_size: Some(256),
            samples_per_epoch: 10_000,
            arms: vec![DataArm::Full, DataArm::Compressed, DataArm::Naive],
            eval_every: 10,
            seed: 42,
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
        match name {
            "paper" => Some(Self::paper()),
            "demo" => Some(Self::demo()),
            "quick" => Some(Self::quick()),
            // The four panels of Fig. 3.
            "paper-sgd-full" => Some(DatasetConfig {
                optimizer: "sgd".into(),
                lr: 0.05,
                batch_size: None,
                ..Self::paper()
            }),
            "paper-adamw-full" => Some(DatasetConfig {
                optimizer: "adamw".into(),
                lr: 0.01,
                batch_size: None,
                ..Self::paper()
            }),
            "paper-sgd-batch" => Some(Self::paper()),
            "paper-adamw-batch" => Some(DatasetConfig {
                optimizer: "adamw".into(),
                lr: 1e-3,
                ..Self::paper()
            }),
            _ => None,
        }
    }

    pub fn validate(&self) -> Result<OptimizerKind, String> {
        self.validate_for(2)
    }

    /// As [`Self::validate`] for inputs of dimension `in_dim` (objects `(x, y)` in R^(in_dim + 1)).
    pub fn validate_for(&self, in_dim: usize) -> Result<OptimizerKind, String> {
        if self.d < 2 || self.target == 0 || self.target > self.d {
            return Err(format!(
                "need 0 < d' ≤ d (got d = {}, d' = {})",
                self.d, self.target
            ));
        }
        let kind = self.validate_options()?;
        let m = in_dim + 1;
        let n = n_moments(m, self.order).unwrap_or(usize::MAX);
        if n > self.target {
            return Err(format!(
                "order k = {} needs N({m}, k) = {n} points, more than d' = {}; lower k or raise d'",
                self.order, self.target
            ));
        }
        if self.n_test == 0 || self.samples_per_epoch == 0 {
            return Err("test size and samples per epoch must be at least 1".into());
        }
        if self.d > 2_000_000 || self.n_test > 2_000_000 {
            return Err("data sets above 2·10^6 points are refused".into());
        }
        self.cost_for(in_dim).check(&Hints {
            call: "lower d or d′ (or leave out the k-means arm, ~20 d·d′ operations), or the samples per epoch",
            run: "lower the epochs, d or the samples per epoch",
            bytes: "lower d, the test size or the epochs",
        })?;
        Ok(kind)
    }

    /// The checks that do not depend on the data's size (for a run on the user's own data, whose `d`,
    /// `n_test` and `samples_per_epoch` come from the file): order, widths, epochs, batch size, noise,
    /// arms, optimiser and learning rate.
    pub fn validate_options(&self) -> Result<OptimizerKind, String> {
        check_order(self.order).map_err(|e| e.to_string())?;
        if self.hidden == 0 || self.epochs == 0 {
            return Err("hidden width and epochs must be at least 1".into());
        }
        if self.batch_size == Some(0) {
            return Err("batch size must be at least 1".into());
        }
        if !(0.0..=crate::nn::MAX_NOISE).contains(&self.noise) {
            return Err(format!(
                "noise must be between 0 and {} (labels are trained on in 32-bit floats)",
                crate::nn::MAX_NOISE
            ));
        }
        if !self.arms.contains(&DataArm::Full) {
            return Err("the full data set must be among the arms".into());
        }
        let kind = OptimizerKind::by_name(&self.optimizer).map_err(|e| e.to_string())?;
        TrainConfig::new(kind, self.lr)
            .validate()
            .map_err(|e| e.to_string())?;
        Ok(kind)
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
        Cost {
            call_flops: setup.max(epoch + test_eval),
            run_flops: setup + epochs * epoch + evals * test_eval,
            bytes,
        }
    }
}

/// A weighted training set in f32 for the trainer.
#[derive(Clone, Debug)]
pub struct WeightedSet {
    /// Row-major `n × in_dim`.
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub c: Vec<f32>,
    pub in_dim: usize,
    /// Training-set row of each member (empty for k-means centroids, which are not rows).
    pub rows: Vec<usize>,
    /// The weights as the compressor (or k-means) gave them; `c` is their f32 copy used in training.
    pub weights: Vec<f64>,
}

/// The affine map from the user's units to the units a run trains in: `u = (v − mean) / scale` per
/// column, inputs then output, with mean and standard deviation taken over the training rows (scale 1
/// for a constant column). Training in these units makes one learning rate fit any data set; losses are
/// then in units of the output's variance (≈ 1 = predicting the mean), `scale[out]²` in the user's units.
///
/// **No overflow.** Each column is first divided by a power of two `p` near its largest magnitude (exact
/// in floating point), its mean and variance are taken there (every term is at most 4, so nothing
/// overflows even for values near `f64::MAX`), and `u = (v/p − mean/p) / (scale/p)`. With power-of-two
/// scalings every rounding is the scaled rounding of the direct formulas, so for ordinary data the numbers
/// are bit for bit those of `(v − mean) / scale` computed directly; for values beyond ~1e154, whose
/// squares overflow, the direct formulas would give infinities.
#[derive(Clone, Debug, Serialize)]
pub struct Standardisation {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    /// The output's variance over the training rows (0 for a constant output, whose scale is 1), or
    /// `None` if it exceeds the range of `f64` (an output beyond ~1e154; `scale` of the output is its
    /// standard deviation, which is always finite).
    pub output_variance: Option<f64>,
    /// Per column: the power of two `p` the column is divided by first.
    #[serde(skip)]
    unit: Vec<f64>,
    /// Per column: `mean / p` and `scale / p`, computed without overflow.
    #[serde(skip)]
    scaled: Vec<(f64, f64)>,
}

impl Standardisation {
    /// Mean and standard deviation of every column of `data` (inputs, then the output).
    fn of(data: &DataSet) -> Standardisation {
        let n = data.len().max(1) as f64;
        let m = data.in_dim;
        let column = |c: usize| -> Vec<f64> {
            if c < m {
                data.x.iter().skip(c).step_by(m).copied().collect()
            } else {
                data.y.clone()
            }
        };
        let mut st = Standardisation {
            mean: Vec::new(),
            scale: Vec::new(),
            output_variance: None,
            unit: Vec::new(),
            scaled: Vec::new(),
        };
        for c in 0..=m {
            let v = column(c);
            let p = power_of_two_below(v.iter().fold(0.0, |a: f64, x| a.max(x.abs())));
            let mu = v.iter().map(|x| x / p).sum::<f64>() / n;
            let var = v.iter().map(|x| (x / p - mu) * (x / p - mu)).sum::<f64>() / n;
            // A constant column keeps scale 1 in the user's units, i.e. 1/p here.
            let sd = if var > 0.0 { var.sqrt() } else { 1.0 / p };
            st.mean.push(mu * p);
            st.scale.push(if var > 0.0 { sd * p } else { 1.0 });
            st.unit.push(p);
            st.scaled.push((mu, sd));
            if c == m {
                st.output_variance = Some(var * p * p).filter(|v| v.is_finite());
            }
        }
        st
    }

    /// Column `c` of a value in the user's units, standardised.
    fn to_units(&self, c: usize, v: f64) -> f64 {
        let (mu, sd) = self.scaled[c];
        (v / self.unit[c] - mu) / sd
    }

    fn apply(&self, data: &mut DataSet) {
        let m = data.in_dim;
        for row in data.x.chunks_exact_mut(m) {
            for (c, v) in row.iter_mut().enumerate() {
                *v = self.to_units(c, *v);
            }
        }
        for v in &mut data.y {
            *v = self.to_units(m, *v);
        }
    }

    /// Column `c` of a standardised value back in the user's units.
    pub fn restore(&self, c: usize, u: f64) -> f64 {
        let (mu, sd) = self.scaled[c];
        (u * sd + mu) * self.unit[c]
    }
}

/// The largest magnitude the trainer's f32 arithmetic takes in standardised units: 2^64, far beyond any
/// training row (at most √n standard deviations from the mean) and far below `f32::MAX`, so that products
/// with weights and activations stay finite.
pub const MAX_STANDARDISED: f64 = 18_446_744_073_709_551_616.0;

/// Checks that every standardised value of `data` (rows `rows` of the user's file, in order) is finite and
/// within [`MAX_STANDARDISED`]; `what` names the set in the error.
fn check_representable(
    data: &DataSet,
    rows: &[usize],
    names: &[String],
    y_column: usize,
    what: &str,
) -> Result<(), String> {
    let m = data.in_dim;
    let bad = |v: f64| v.is_nan() || v.abs() > MAX_STANDARDISED;
    let found = data
        .x
        .iter()
        .enumerate()
        .find(|(_, v)| bad(**v))
        .map(|(i, _)| (i / m, i % m))
        .or_else(|| data.y.iter().position(|v| bad(*v)).map(|r| (r, m)));
    let Some((r, c)) = found else {
        return Ok(());
    };
    // Column c among (inputs, output) -> the file's column.
    let file_col = if c == m {
        y_column
    } else if c < y_column {
        c
    } else {
        c + 1
    };
    let name = names
        .get(file_col)
        .map(|n| crate::data::csv::excerpt(n))
        .unwrap_or_else(|| format!("{}", file_col + 1));
    Err(format!(
        "data row {} ({what}), column '{name}': the value is more than 2^64 standard deviations from the \
         training rows' mean, beyond what the trainer's 32-bit floats can use; remove or fix that row",
        rows.get(r).map_or(r, |&i| i) + 1
    ))
}

impl WeightedSet {
    fn len(&self) -> usize {
        self.y.len()
    }
    /// The set with its weights, for the trainer (checked once when the run is built, see
    /// [`DatasetRun::build`], so the error branch is never taken after that).
    fn weighted(&self) -> Result<Samples<'_, f32>, NnError> {
        Samples::with_weights(&self.x, &self.y, self.in_dim, &self.c)
    }
    fn plain(&self) -> Result<Samples<'_, f32>, NnError> {
        Samples::new(&self.x, &self.y, self.in_dim)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct DataCurvePoint {
    pub epoch: usize,
    pub train: Vec<f64>,
    pub test: Vec<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DataArmSummary {
    pub arm: DataArm,
    pub size: usize,
    pub initial_test: f64,
    pub min_test: f64,
    pub final_test: f64,
    pub final_train: f64,
    pub diverged: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DatasetSummary {
    pub arms: Vec<DataArmSummary>,
    pub final_ratio_compressed: Option<f64>,
    pub final_ratio_naive: Option<f64>,
    pub final_ratio_kmeans: Option<f64>,
    /// Naive test loss rose from its minimum to its final value by this factor (overfitting ≥ 1).
    pub naive_overfit: Option<f64>,
    pub compression_residual: f64,
    /// Own data only: the output's variance over the training rows. Losses are in units of it (the run
    /// trains on standardised columns); multiply by it for squared units of the user's `y`. `None` for
    /// the teacher task, and for an output so large (beyond ~1e154) that its variance exceeds `f64`: then
    /// use `output_sd`.
    pub output_variance: Option<f64>,
    /// Own data only: the output's standard deviation over the training rows (1 for a constant output),
    /// always finite: losses times its square are in squared units of the user's `y`.
    pub output_sd: Option<f64>,
    pub epochs_done: usize,
}

struct ArmRun {
    arm: DataArm,
    set: WeightedSet,
    trainer: Trainer<f32>,
    stream: Option<BatchStream>,
    epoch_loss: f64,
    epoch_batches: usize,
    diverged: Option<String>,
}

pub struct DatasetRun {
    config: DatasetConfig,
    in_dim: usize,
    arms: Vec<ArmRun>,
    x_test: Vec<f32>,
    y_test: Vec<f32>,
    init: TwoLayerNet<f32>,
    epoch: usize,
    curve: Vec<DataCurvePoint>,
    compression_residual: f64,
    order: Vec<usize>,
    /// Data row (0-based, in the user's file) of every training row; `None` for the teacher task.
    data_rows: Option<Vec<usize>>,
    /// Set for the user's own data (see [`Standardisation`]).
    standardisation: Option<Standardisation>,
    /// The user's training rows as given (exported as they are, not round-tripped through f32).
    raw_train: Option<DataSet>,
    /// Column names in the order of the user's file (`x1..xn, y` for the teacher task).
    names: Vec<String>,
    /// Position of the output among `names`.
    y_column: usize,
}

fn to_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&a| a as f32).collect()
}

fn nn_err(e: NnError) -> String {
    e.to_string()
}

impl DatasetRun {
    /// The teacher–student task of Fig. 3.
    pub fn new(config: DatasetConfig) -> Result<DatasetRun, String> {
        config.validate()?;
        let teacher = Teacher::random(config.teacher_seed, 2, 50);
        let train = teacher.sample(
            &mut seeded(sub_seed(config.seed, 11)),
            config.d,
            config.noise,
        );
        let test = teacher.sample(&mut seeded(sub_seed(config.seed, 12)), config.n_test, 0.0);
        Self::build(config, train, test)
    }

    /// The user's own data: rows `(x_1..x_in, y)`. A seeded shuffle holds out `max(1, n/5)` rows as the
    /// test set (its loss is the test loss); the rest is the training set, so `d` and `samples_per_epoch`
    /// become the training size and `n_test` the held-out size (the config's values of these, `noise` and
    /// `teacher_seed` are ignored).
    /// The naive arm takes the first d' training rows of the shuffled order, a uniform random subset.
    pub fn from_data(mut config: DatasetConfig, data: DataSet) -> Result<DatasetRun, String> {
        let n = data.len();
        if data.in_dim == 0 {
            return Err("the data need at least one input column besides y".into());
        }
        if n < 10 {
            return Err(format!(
                "the data have {n} rows; at least 10 are needed (a fifth is held out for testing)"
            ));
        }
        if data.x.len() != n * data.in_dim || data.x.iter().chain(&data.y).any(|v| !v.is_finite()) {
            return Err("the data must be finite numbers, one row of inputs per output".into());
        }
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = seeded(sub_seed(config.seed, 13));
        for i in (1..n).rev() {
            let j = (uniform(&mut rng, 0.0, 1.0) * (i + 1) as f64) as usize;
            order.swap(i, j.min(i));
        }
        let n_test = (n / 5).max(1);
        let pick = |rows: &[usize]| DataSet {
            in_dim: data.in_dim,
            names: Vec::new(),
            y_column: data.in_dim,
            x: rows
                .iter()
                .flat_map(|&r| data.input(r).iter().copied())
                .collect(),
            y: rows.iter().map(|&r| data.y[r]).collect(),
        };
        let mut test = pick(&order[..n_test]);
        let mut train = pick(&order[n_test..]);
        let raw_train = train.clone();
        let units = Standardisation::of(&train);
        units.apply(&mut train);
        units.apply(&mut test);
        let names = if data.names.len() == data.in_dim + 1 {
            &data.names[..]
        } else {
            &[]
        };
        check_representable(
            &train,
            &order[n_test..],
            names,
            data.y_column,
            "a training row",
        )?;
        check_representable(
            &test,
            &order[..n_test],
            names,
            data.y_column,
            "held out for testing",
        )?;
        config.d = train.len();
        config.samples_per_epoch = train.len();
        config.n_test = test.len();
        if config.target >= config.d {
            return Err(format!(
                "the compressed size d' = {} must be smaller than the {} training rows (a fifth of the {n} rows is held out)",
                config.target, config.d
            ));
        }
        let mut run = Self::build(config, train, test)?;
        run.data_rows = Some(order[n_test..].to_vec());
        run.standardisation = Some(units);
        run.raw_train = Some(raw_train);
        if data.names.len() == data.in_dim + 1 && data.y_column <= data.in_dim {
            run.names = data.names.clone();
            run.y_column = data.y_column;
        }
        Ok(run)
    }

    fn build(config: DatasetConfig, train: DataSet, test: DataSet) -> Result<DatasetRun, String> {
        let in_dim = train.in_dim;
        let kind = config.validate_for(in_dim)?;
        let init = TwoLayerNet::<f32>::init(in_dim, config.hidden, Activation::Relu, config.seed)
            .map_err(nn_err)?;
        let train_cfg = TrainConfig::new(kind, config.lr)
            .with_cosine(config.epochs as u64)
            .with_grad_mode(GradMode::Autograd);
        let mut arms = Vec::new();
        let mut compression_residual = 0.0;
        let objects = Cloud::new(in_dim + 1, train.objects());
        for (i, &arm) in config.arms.iter().enumerate() {
            let set = match arm {
                DataArm::Full => WeightedSet {
                    x: to_f32(&train.x),
                    y: to_f32(&train.y),
                    c: vec![1.0; config.d],
                    in_dim,
                    rows: (0..config.d).collect(),
                    weights: vec![1.0; config.d],
                },
                DataArm::Naive => WeightedSet {
                    x: to_f32(&train.x[..in_dim * config.target]),
                    y: to_f32(&train.y[..config.target]),
                    c: vec![1.0; config.target],
                    in_dim,
                    rows: (0..config.target).collect(),
                    weights: vec![1.0; config.target],
                },
                DataArm::Compressed => {
                    let params = CompressParams {
                        seed: config.seed,
                        ..CompressParams::new(config.order, config.target)
                    };
                    let r = compress(&objects, &params).map_err(|e| e.to_string())?;
                    compression_residual = r.diagnostics.residual;
                    let mut x = Vec::with_capacity(in_dim * r.indices.len());
                    for &j in &r.indices {
                        x.extend_from_slice(train.input(j));
                    }
                    let y = r.indices.iter().map(|&j| train.y[j]).collect::<Vec<_>>();
                    WeightedSet {
                        x: to_f32(&x),
                        y: to_f32(&y),
                        c: to_f32(&r.weights),
                        in_dim,
                        rows: r.indices.clone(),
                        weights: r.weights.clone(),
                    }
                }
                DataArm::Kmeans => {
                    let km = kmeans_centroids(&objects, config.target, config.seed, 20)
                        .map_err(|e| e.to_string())?;
                    let m = in_dim + 1;
                    let mut x = Vec::with_capacity(in_dim * config.target);
                    let mut y = Vec::with_capacity(config.target);
                    for j in 0..km.weights.len() {
                        x.extend_from_slice(&km.points[m * j..m * j + in_dim]);
                        y.push(km.points[m * j + in_dim]);
                    }
                    WeightedSet {
                        x: to_f32(&x),
                        y: to_f32(&y),
                        c: to_f32(&km.weights),
                        in_dim,
                        rows: Vec::new(),
                        weights: km.weights.clone(),
                    }
                }
            };
            let stream = match config.batch_size {
                None => None,
                Some(bs) => {
                    let seed = sub_seed(config.seed, 100 + i as u64);
                    let s = if matches!(arm, DataArm::Compressed | DataArm::Kmeans) {
                        let w: Vec<f64> = set.c.iter().map(|&c| c as f64).collect();
                        BatchStream::weighted(&w, config.samples_per_epoch, bs, seed)
                    } else {
                        BatchStream::with_replacement(set.len(), config.samples_per_epoch, bs, seed)
                    };
                    Some(s.map_err(nn_err)?)
                }
            };
            // Checked once here: the trainer's accessors rely on it.
            set.weighted()
                .map_err(|e| format!("the {} training set cannot be used: {e}", arm.name()))?;
            let trainer = Trainer::new(init.clone(), train_cfg).map_err(nn_err)?;
            arms.push(ArmRun {
                arm,
                set,
                trainer,
                stream,
                epoch_loss: 0.0,
                epoch_batches: 0,
                diverged: None,
            });
        }
        let (x_test, y_test) = (to_f32(&test.x), to_f32(&test.y));
        Samples::new(&x_test, &y_test, in_dim)
            .map_err(|e| format!("the test set cannot be used: {e}"))?;
        let mut run = DatasetRun {
            config,
            in_dim,
            arms,
            x_test,
            y_test,
            init,
            epoch: 0,
            curve: Vec::new(),
            compression_residual,
            order: Vec::new(),
            data_rows: None,
            standardisation: None,
            raw_train: None,
            names: (1..=in_dim)
                .map(|j| format!("x{j}"))
                .chain(["y".to_string()])
                .collect(),
            y_column: in_dim,
        };
        let train0 = run.train_losses();
        let test0 = run.test_losses();
        run.curve.push(DataCurvePoint {
            epoch: 0,
            train: train0,
            test: test0,
        });
        Ok(run)
    }

    pub fn config(&self) -> &DatasetConfig {
        &self.config
    }
    /// Input dimension of the student (2 for the teacher task).
    pub fn in_dim(&self) -> usize {
        self.in_dim
    }
    pub fn arms(&self) -> Vec<DataArm> {
        self.arms.iter().map(|a| a.arm).collect()
    }
    pub fn epoch(&self) -> usize {
        self.epoch
    }
    pub fn curve(&self) -> &[DataCurvePoint] {
        &self.curve
    }
    pub fn is_done(&self) -> bool {
        self.epoch >= self.config.epochs || self.arms.iter().all(|a| a.diverged.is_some())
    }
    pub fn progress(&self) -> f64 {
        (self.epoch as f64 / self.config.epochs as f64).min(1.0)
    }
    /// Sizes and weights of every arm's training set: `(x, y, c)` per arm.
    pub fn sets(&self) -> Vec<&WeightedSet> {
        self.arms.iter().map(|a| &a.set).collect()
    }

    /// The standardisation of the user's own data (`None` for the teacher task, which trains raw).
    pub fn standardisation(&self) -> Option<&Standardisation> {
        self.standardisation.as_ref()
    }

    /// Member `i` of arm `arm`'s set: its data row (0-based row of the user's file, or the training-sample
    /// number for the teacher task; `None` for a k-means centroid), its weight, and its inputs then output
    /// in the user's units (a data row exactly as given, a centroid mapped back from training units).
    pub fn member(&self, arm: usize, i: usize) -> Option<(Option<usize>, f64, Vec<f64>)> {
        let set = &self.arms.get(arm)?.set;
        let m = set.in_dim;
        let weight = *set.weights.get(i)?;
        let row = set.rows.get(i).copied();
        let values = match (row, &self.raw_train) {
            (Some(r), Some(raw)) => raw.input(r).iter().chain([&raw.y[r]]).copied().collect(),
            _ => set.x[m * i..m * (i + 1)]
                .iter()
                .chain([&set.y[i]])
                .enumerate()
                .map(|(c, &u)| match &self.standardisation {
                    Some(s) => s.restore(c, f64::from(u)),
                    None => f64::from(u),
                })
                .collect(),
        };
        let index = row.map(|r| self.data_rows.as_ref().map_or(r, |d| d[r]));
        Some((index, weight, values))
    }

    /// One arm's weighted set as CSV, `index,weight,<columns in the file's order>` (see
    /// [`DatasetRun::member`]). The compressed and k-means weights sum to the number of training rows.
    pub fn set_csv(&self, arm: usize) -> Result<String, String> {
        let len = self
            .arms
            .get(arm)
            .ok_or_else(|| format!("no arm {arm}"))?
            .set
            .len();
        let (m, y_at) = (self.in_dim, self.y_column);
        let rows = (0..len)
            .filter_map(|i| self.member(arm, i))
            .map(|(index, w, mut v)| {
                // Inputs then output -> the file's column order.
                let y = v[m];
                v.truncate(m);
                v.insert(y_at, y);
                (index, w, v)
            });
        Ok(crate::data::csv::write_weighted(&self.names, rows))
    }

    fn test_losses(&mut self) -> Vec<f64> {
        // Checked in `build`; should it ever fail, every arm stops with the reason.
        let data = Samples::new(&self.x_test, &self.y_test, self.in_dim);
        self.arms
            .iter_mut()
            .map(|a| {
                if a.diverged.is_some() {
                    return f64::NAN;
                }
                match &data {
                    Ok(data) => a.trainer.evaluate(data).map(f64::from).unwrap_or(f64::NAN),
                    Err(e) => {
                        a.diverged = Some(format!("the test set cannot be evaluated: {e}"));
                        f64::NAN
                    }
                }
            })
            .collect()
    }

    fn train_losses(&mut self) -> Vec<f64> {
        self.arms
            .iter_mut()
            .map(|a| {
                if a.diverged.is_some() {
                    return f64::NAN;
                }
                match a.set.weighted() {
                    Ok(data) => a.trainer.evaluate(&data).map(f64::from).unwrap_or(f64::NAN),
                    Err(e) => {
                        a.diverged = Some(e.to_string());
                        f64::NAN
                    }
                }
            })
            .collect()
    }

    /// Trains every arm for up to `epochs` epochs. Returns the curve points completed by this call.
    pub fn step(&mut self, epochs: usize) -> &[DataCurvePoint] {
        let first_new = self.curve.len();
        for _ in 0..epochs.max(1) {
            if self.is_done() {
                break;
            }
            let e = self.epoch as u64;
            for a in self.arms.iter_mut().filter(|a| a.diverged.is_none()) {
                let result = match &a.stream {
                    None => a
                        .set
                        .weighted()
                        .and_then(|data| a.trainer.step(&data, None, e))
                        .map(|l| {
                            a.epoch_loss += l as f64;
                            a.epoch_batches += 1;
                        }),
                    Some(stream) => {
                        let data = match a.set.plain() {
                            Ok(data) => data,
                            Err(err) => {
                                a.diverged = Some(err.to_string());
                                continue;
                            }
                        };
                        stream.fill_epoch(e, &mut self.order);
                        let mut r = Ok(());
                        for batch in stream.batches(&self.order) {
                            match a.trainer.step(&data, Some(batch), e) {
                                Ok(l) => {
                                    a.epoch_loss += l as f64;
                                    a.epoch_batches += 1;
                                }
                                Err(err) => {
                                    r = Err(err);
                                    break;
                                }
                            }
                        }
                        r
                    }
                };
                if let Err(err) = result {
                    a.diverged = Some(err.to_string());
                }
            }
            self.epoch += 1;
            let train: Vec<f64> = self
                .arms
                .iter_mut()
                .map(|a| {
                    let l = if a.epoch_batches > 0 && a.diverged.is_none() {
                        a.epoch_loss / a.epoch_batches as f64
                    } else {
                        f64::NAN
                    };
                    a.epoch_loss = 0.0;
                    a.epoch_batches = 0;
                    l
                })
                .collect();
            let evaluate = self.epoch.is_multiple_of(self.config.eval_every.max(1))
                || self.epoch == self.config.epochs;
            let test = if evaluate {
                self.test_losses()
            } else {
                vec![f64::NAN; self.arms.len()]
            };
            self.curve.push(DataCurvePoint {
                epoch: self.epoch,
                train,
                test,
            });
        }
        &self.curve[first_new..]
    }

    pub fn summary(&self) -> DatasetSummary {
        let col = |i: usize| -> Vec<f64> {
            self.curve
                .iter()
                .map(|p| p.test[i])
                .filter(|v| !v.is_nan())
                .collect()
        };
        let arms: Vec<DataArmSummary> = self
            .arms
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let t = col(i);
                DataArmSummary {
                    arm: a.arm,
                    size: a.set.len(),
                    initial_test: t.first().copied().unwrap_or(f64::NAN),
                    min_test: t.iter().copied().fold(f64::INFINITY, f64::min),
                    final_test: t.last().copied().unwrap_or(f64::NAN),
                    final_train: self
                        .curve
                        .iter()
                        .rev()
                        .map(|p| p.train[i])
                        .find(|v| !v.is_nan())
                        .unwrap_or(f64::NAN),
                    diverged: a.diverged.clone(),
                }
            })
            .collect();
        let find = |arm: DataArm| arms.iter().find(|a| a.arm == arm);
        let full = find(DataArm::Full)
            .map(|a| a.final_test)
            .unwrap_or(f64::NAN);
        let ratio = |arm: DataArm| find(arm).map(|a| a.final_test / full);
        DatasetSummary {
            final_ratio_compressed: ratio(DataArm::Compressed),
            final_ratio_naive: ratio(DataArm::Naive),
            final_ratio_kmeans: ratio(DataArm::Kmeans),
            naive_overfit: find(DataArm::Naive).map(|a| a.final_test / a.min_test),
            arms,
            compression_residual: self.compression_residual,
            output_variance: self
                .standardisation
                .as_ref()
                .and_then(|u| u.output_variance),
            output_sd: self
                .standardisation
                .as_ref()
                .and_then(|u| u.scale.last().copied()),
            epochs_done: self.epoch,
        }
    }

    /// The loss landscape of every arm's training set on a `res × res` plane through the initial
    /// parameters (`around_trained = false`) or the full-data arm's current parameters, `span` = half
    /// width of the plane in units of the filter-normalised directions.
    /// `res` is clamped to 3..=201; a plane whose evaluation would exceed the cost cap of one call
    /// ([`cost::MAX_CALL_FLOPS`]: `res²` evaluations of every arm's set) is an error.
    pub fn landscape(
        &self,
        res: usize,
        span: f64,
        around_trained: bool,
        seed: u64,
    ) -> Result<Landscape, String> {
        let res = res.clamp(3, 201);
        let sizes: usize = self.arms.iter().map(|a| a.set.len()).sum();
        let flops = (res * res) as f64
            * sizes as f64
            * cost::eval_flops_per_sample(self.config.hidden as f64, self.in_dim as f64);
        Cost {
            call_flops: flops,
            ..Cost::default()
        }
        .check(&Hints {
            call: "lower the landscape's resolution",
            run: "",
            bytes: "",
        })?;
        let centre = if around_trained {
            self.arms[0].trainer.net().clone()
        } else {
            self.init.clone()
        };
        let (d1, d2) = (
            filter_normalised_direction(&centre, sub_seed(seed, 1)),
            filter_normalised_direction(&centre, sub_seed(seed, 2)),
        );
        let mut net = centre.clone();
        let mut ws = Workspace::new(&net);
        let base: Vec<f32> = centre.params().to_vec();
        let coords: Vec<f64> = (0..res)
            .map(|i| -span + 2.0 * span * i as f64 / (res - 1) as f64)
            .collect();
        let mut losses = vec![vec![0.0f64; res * res]; self.arms.len()];
        for (r, &b) in coords.iter().enumerate() {
            for (c, &a) in coords.iter().enumerate() {
                for (p, ((&t, &u), &v)) in net
                    .params_mut()
                    .iter_mut()
                    .zip(base.iter().zip(&d1).zip(&d2))
                {
                    *p = t + (a * u + b * v) as f32;
                }
                for (k, arm) in self.arms.iter().enumerate() {
                    losses[k][r * res + c] = arm
                        .set
                        .weighted()
                        .and_then(|data| net.loss(&data, None, &mut ws))
                        .map(f64::from)
                        .unwrap_or(f64::NAN);
                }
            }
        }
        let full = &losses[0];
        let scale = full.iter().copied().fold(0.0, f64::max);
        let deviation = losses
            .iter()
            .map(|l| {
                l.iter()
                    .zip(full)
                    .map(|(u, v)| (u - v).abs())
                    .fold(0.0, f64::max)
                    / scale
            })
            .collect();
        Ok(Landscape {
            res,
            span,
            around_trained,
            arms: self.arms(),
            losses,
            deviation,
        })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Landscape {
    pub res: usize,
    pub span: f64,
    pub around_trained: bool,
    pub arms: Vec<DataArm>,
    /// Per arm, row-major `res × res` (row = second direction).
    pub losses: Vec<Vec<f64>>,
    /// Per arm: `max |L − L_full| / max L_full`.
    pub deviation: Vec<f64>,
}

/// A Gaussian direction in parameter space, filter-normalised per neuron: the `(w_j, b_j)` block is scaled
/// to the norm of the net's block, and the output block `(v, b_out)` likewise.
pub fn filter_normalised_direction(net: &TwoLayerNet<f32>, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    let (m, d) = (net.input_dim(), net.width());
    let p = net.params();
    let mut dir: Vec<f64> = (0..p.len()).map(|_| standard_normal(&mut rng)).collect();
    let block_norm = |idx: &[usize], v: &dyn Fn(usize) -> f64| {
        idx.iter().map(|&i| v(i).powi(2)).sum::<f64>().sqrt()
    };
    for j in 0..d {
        let mut idx: Vec<usize> = (j * m..(j + 1) * m).collect();
        idx.push(d * m + j);
        let target = block_norm(&idx, &|i| p[i] as f64);
        let have = block_norm(&idx, &|i| dir[i]);
        for &i in &idx {
            dir[i] *= if have > 0.0 { target / have } else { 0.0 };
        }
    }
    let out: Vec<usize> = (d * (m + 1)..p.len()).collect();
    let target = block_norm(&out, &|i| p[i] as f64);
    let have = block_norm(&out, &|i| dir[i]);
    for &i in &out {
        dir[i] *= if have > 0.0 { target / have } else { 0.0 };
    }
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A user's data set of any input dimension: held-out split, compression in R^(in+1), training, and
    /// the same numbers from the same seed.
    #[test]
    fn trains_on_user_data_of_any_dimension() {
        for in_dim in [1usize, 3] {
            let mut rng = seeded(5);
            let n = 1500;
            let x: Vec<f64> = (0..n * in_dim)
                .map(|_| uniform(&mut rng, -1.0, 1.0))
                .collect();
            let y: Vec<f64> = x
                .chunks(in_dim)
                .map(|r| r.iter().map(|v| v.sin()).sum::<f64>() + 0.1 * standard_normal(&mut rng))
                .collect();
            let data = DataSet {
                in_dim,
                x,
                y,
                names: Vec::new(),
                y_column: in_dim,
            };
            let cfg = DatasetConfig {
                target: 200,
                order: 3,
                epochs: 5,
                ..DatasetConfig::quick()
            };
            let run = |cfg: DatasetConfig| {
                let mut r = DatasetRun::from_data(cfg, data.clone()).unwrap();
                while !r.is_done() {
                    r.step(2);
                }
                r
            };
            let r = run(cfg.clone());
            assert_eq!(r.in_dim(), in_dim);
            assert_eq!((r.config().d, r.config().n_test), (n - n / 5, n / 5));
            let sets = r.sets();
            let mass: f64 = sets[1].c.iter().map(|&c| c as f64).sum();
            assert!(
                (mass - (n - n / 5) as f64).abs() < 1e-2 * mass,
                "total weight {mass}"
            );
            assert_eq!(sets[1].x.len(), in_dim * sets[1].y.len());
            assert!(r.summary().compression_residual < 1e-9);
            assert!(r.summary().arms.iter().all(|a| a.final_test.is_finite()));
            let again = run(cfg);
            assert_eq!(
                serde_json::to_string(&r.summary()).unwrap(),
                serde_json::to_string(&again.summary()).unwrap()
            );
        }
        let small = DataSet {
            in_dim: 1,
            x: vec![0.0; 5],
            y: vec![0.0; 5],
            names: Vec::new(),
            y_column: 1,
        };
        assert!(
            DatasetRun::from_data(DatasetConfig::quick(), small)
                .err()
                .unwrap()
                .contains("at least 10")
        );
        let ok = DataSet {
            in_dim: 1,
            x: (0..100).map(f64::from).collect(),
            y: vec![1.0; 100],
            names: Vec::new(),
            y_column: 1,
        };
        let err = DatasetRun::from_data(DatasetConfig::quick(), ok)
            .err()
            .unwrap();
        assert!(err.contains("smaller than the 80 training rows"), "{err}");
    }

    /// Own data trains on standardised columns: rescaling and shifting the user's columns (here inputs in
    /// the thousands, an output around 10^5) changes nothing but the reported output variance, and the
    /// exported coreset is made of the user's own rows, in the user's units.
    #[test]
    fn own_data_is_standardised_and_exported_in_user_units() {
        let mut rng = seeded(8);
        let n = 1200;
        let x: Vec<f64> = (0..n * 2).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let y: Vec<f64> = x
            .chunks(2)
            .map(|r| (3.0 * r[0]).sin() * r[1] + 0.1 * standard_normal(&mut rng))
            .collect();
        let (a, b) = ([2000.0, 0.5, 3e4], [5e3, -1.0, 1e5]);
        let big = DataSet {
            in_dim: 2,
            x: x.chunks(2)
                .flat_map(|r| [a[0] * r[0] + b[0], a[1] * r[1] + b[1]])
                .collect(),
            y: y.iter().map(|v| a[2] * v + b[2]).collect(),
            // The output is the file's middle column: the export keeps the file's column order.
            names: vec!["area".into(), "price".into(), "age, years".into()],
            y_column: 1,
        };
        let unit = DataSet {
            in_dim: 2,
            x,
            y,
            names: Vec::new(),
            y_column: 2,
        };
        let cfg = DatasetConfig {
            target: 150,
            order: 3,
            epochs: 30,
            ..DatasetConfig::quick()
        };
        let run = |data: &DataSet| {
            let mut r = DatasetRun::from_data(cfg.clone(), data.clone()).unwrap();
            while !r.is_done() {
                r.step(7);
            }
            r
        };
        let (rb, ru) = (run(&big), run(&unit));
        let (sb, su) = (rb.summary(), ru.summary());
        for (p, q) in sb.arms.iter().zip(&su.arms) {
            assert!(p.final_test.is_finite() && p.final_test < 1.0, "{p:?}");
            if p.arm != DataArm::Compressed {
                // Same rows after standardisation, up to f32 rounding of the inputs.
                let rel = (p.final_test - q.final_test).abs() / q.final_test;
                assert!(
                    rel < 1e-3,
                    "{}: {} vs {}",
                    p.arm.name(),
                    p.final_test,
                    q.final_test
                );
            }
        }
        let var_ratio = sb.output_variance.unwrap() / su.output_variance.unwrap();
        assert!((var_ratio / (a[2] * a[2]) - 1.0).abs() < 1e-9);
        let csv = rb.set_csv(1).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("index,weight,area,price,\"age, years\""));
        let mut mass = 0.0;
        let mut count = 0;
        for line in lines {
            let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
            let row = f[0] as usize;
            mass += f[1];
            count += 1;
            let want = [big.x[2 * row], big.y[row], big.x[2 * row + 1]];
            assert_eq!(f[2..], want, "row {row} is exported exactly as given");
        }
        assert_eq!(count, 150);
        assert!((mass - rb.config().d as f64).abs() < 1e-9 * mass);
        // A constant output has variance 0 (it is trained on as a constant, scale 1).
        let flat = DataSet {
            y: vec![7.5; n],
            ..big.clone()
        };
        let mut r = DatasetRun::from_data(
            DatasetConfig {
                epochs: 2,
                ..cfg.clone()
            },
            flat,
        )
        .unwrap();
        while !r.is_done() {
            r.step(1);
        }
        assert_eq!(r.summary().output_variance, Some(0.0));
    }

    /// Values whose squares overflow f64 (here up to ~1e200 and near f64::MAX) train normally: the
    /// standardisation divides by a power of two first, which is exact, so a data set scaled by 2^600 (or
    /// with one column scaled to near f64::MAX) trains bit for bit like the original.
    #[test]
    fn huge_values_train_exactly_like_their_scaled_down_copy() {
        let mut rng = seeded(21);
        let n = 60;
        let x: Vec<f64> = (0..2 * n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let y: Vec<f64> = x.chunks(2).map(|r| r[0] * r[1] + 0.3 * r[0]).collect();
        let data = DataSet {
            in_dim: 2,
            x,
            y,
            names: Vec::new(),
            y_column: 2,
        };
        let p600 = 2f64.powi(600);
        let p1023 = 2f64.powi(1023);
        let huge = DataSet {
            x: data.x.iter().map(|v| v * p600).collect(),
            y: data.y.iter().map(|v| v * p1023).collect(),
            ..data.clone()
        };
        assert!(huge.x.iter().any(|v| v.abs() > 1e180));
        assert!(huge.y.iter().any(|v| v.abs() > 1e307));
        let cfg = DatasetConfig {
            target: 20,
            order: 2,
            epochs: 3,
            ..DatasetConfig::quick()
        };
        let run = |d: &DataSet| {
            let mut r = DatasetRun::from_data(cfg.clone(), d.clone()).unwrap();
            while !r.is_done() {
                r.step(1);
            }
            r
        };
        let (a, b) = (run(&data), run(&huge));
        assert_eq!(
            serde_json::to_string(a.curve()).unwrap(),
            serde_json::to_string(b.curve()).unwrap()
        );
        let (sa, sb) = (a.summary(), b.summary());
        assert!(sb.arms.iter().all(|a| a.final_test.is_finite()));
        // The output's variance exceeds f64: it is None, not infinity; its sd is there, exactly scaled.
        assert_eq!(sb.output_variance, None);
        assert_eq!(sb.output_sd, sa.output_sd.map(|s| s * p1023));
        let units = b.standardisation().unwrap();
        assert!(units.mean.iter().chain(&units.scale).all(|v| v.is_finite()));
        // The issue's data: 12 rows, x = ±k·1e200.
        let issue = DataSet {
            in_dim: 1,
            x: (1..=12)
                .map(|k| {
                    if k % 2 == 1 {
                        k as f64 * 1e200
                    } else {
                        -(k as f64) * 1e200
                    }
                })
                .collect(),
            y: (1..=12).map(|k| k as f64 * 0.5).collect(),
            names: Vec::new(),
            y_column: 1,
        };
        let mut r = DatasetRun::from_data(
            DatasetConfig {
                target: 5,
                order: 1,
                epochs: 2,
                ..DatasetConfig::quick()
            },
            issue,
        )
        .unwrap();
        while !r.is_done() {
            r.step(1);
        }
        assert!(r.summary().arms.iter().all(|a| a.final_test.is_finite()));
    }

    /// A held-out row so far from the training rows that it cannot be used in the trainer's f32 is a clear
    /// error naming the row and the column, not a panic.
    #[test]
    fn an_unrepresentable_test_row_is_a_clear_error() {
        let n = 40;
        let data = DataSet {
            in_dim: 1,
            x: (0..n).map(|i| i as f64 / n as f64).collect(),
            y: (0..n).map(|i| (i % 7) as f64).collect(),
            names: vec!["dose".into(), "y".into()],
            y_column: 1,
        };
        let cfg = DatasetConfig {
            target: 10,
            order: 2,
            epochs: 1,
            ..DatasetConfig::quick()
        };
        // The training rows, read from the full arm's export; the rest are held out.
        let r = DatasetRun::from_data(cfg.clone(), data.clone()).unwrap();
        let csv = r.set_csv(0).unwrap();
        let train: Vec<usize> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().parse().unwrap())
            .collect();
        let held_out = (0..n).find(|i| !train.contains(i)).unwrap();
        let mut bad = data.clone();
        bad.x[held_out] = 1e300;
        let err = DatasetRun::from_data(cfg.clone(), bad).err().unwrap();
        assert!(
            err.contains(&format!(
                "data row {} (held out for testing), column 'dose'",
                held_out + 1
            )) && err.contains("32-bit"),
            "{err}"
        );
        // In a training row the same value is just a far outlier: it trains.
        let mut outlier = data;
        outlier.x[train[0]] = 1e300;
        assert!(DatasetRun::from_data(cfg, outlier).is_ok());
    }

    #[test]
    fn compressed_set_keeps_the_loss_of_quadratic_functions() {
        // The weighted MSE of any net is a symmetric function of the data; at init its landscape through
        // the compressed set must be far closer to the full set's than the naive subset's.
        let cfg = DatasetConfig {
            d: 3000,
            target: 300,
            order: 4,
            epochs: 1,
            ..DatasetConfig::quick()
        };
        let run = DatasetRun::new(cfg).unwrap();
        let l = run.landscape(9, 1.0, false, 7).unwrap();
        assert_eq!(
            l.arms,
            vec![DataArm::Full, DataArm::Compressed, DataArm::Naive]
        );
        assert!(
            l.deviation[1] * 10.0 < l.deviation[2],
            "compressed {} vs naive {}",
            l.deviation[1],
            l.deviation[2]
        );
        assert!(run.summary().compression_residual < 1e-12);
    }

    #[test]
    fn full_batch_and_minibatch_runs_finish() {
        for bs in [None, Some(64)] {
            let cfg = DatasetConfig {
                d: 800,
                target: 100,
                order: 3,
                epochs: 4,
                batch_size: bs,
                samples_per_epoch: 800,
                n_test: 500,
                eval_every: 2,
                ..DatasetConfig::quick()
            };
            let mut run = DatasetRun::new(cfg).unwrap();
            while !run.is_done() {
                run.step(3);
            }
            let s = run.summary();
            assert_eq!(s.epochs_done, 4);
            assert!(s.arms.iter().all(|a| a.final_test.is_finite()));
        }
    }

    #[test]
    fn bad_configs() {
        let e = |c: DatasetConfig| DatasetRun::new(c).err().unwrap();
        assert!(
            e(DatasetConfig {
                target: 5000,
                ..DatasetConfig::quick()
            })
            .contains("d' ≤ d")
        );
        assert!(
            e(DatasetConfig {
                target: 20,
                ..DatasetConfig::quick()
            })
            .contains("N(3, k) = 35")
        );
        assert!(
            e(DatasetConfig {
                lr: 0.0,
                ..DatasetConfig::quick()
            })
            .contains("learning rate")
        );
        assert!(
            e(DatasetConfig {
                batch_size: Some(0),
                ..DatasetConfig::quick()
            })
            .contains("batch size")
        );
    }
}
