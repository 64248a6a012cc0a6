//! Dataset compression (Fig. 3): a student trained on the full data set, on its moment-matched weighted
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

mod config;
mod landscape;
#[cfg(test)]
mod tests;
mod units;

pub use config::{DataArm, DatasetConfig};
pub use landscape::{Landscape, filter_normalised_direction};
pub use units::{MAX_STANDARDISED, Standardisation};

use serde::Serialize;
use serde_json::Value;

use super::arms::{self, ArmState, Column, CurvePoint};
use crate::compress::baselines::kmeans_centroids;
use crate::compress::{Cloud, CompressParams, compress};
use crate::data::tasks::{Dataset as DataSet, Teacher};
use crate::experiments::ExperimentError;
use crate::experiments::params::{Params, Valid};
use crate::experiments::protocol::{Experiment, Flag, Host, Payload, Preset, to_json};
use crate::nn::{
    Activation, BatchStream, GradMode, NnError, Samples, TrainConfig, Trainer, TwoLayerNet,
};
use crate::rng::{seeded, sub_seed};

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

impl WeightedSet {
    fn len(&self) -> usize {
        self.y.len()
    }
    /// The set with its weights, for the trainer (checked once when the run is built, so the error branch
    /// is never taken after that).
    fn weighted(&self) -> Result<Samples<'_, f32>, NnError> {
        Samples::with_weights(&self.x, &self.y, self.in_dim, &self.c)
    }
    fn plain(&self) -> Result<Samples<'_, f32>, NnError> {
        Samples::new(&self.x, &self.y, self.in_dim)
    }

    /// The inputs as an `n × in_dim` array, without copying.
    pub fn inputs(&self) -> ndarray::ArrayView2<'_, f32> {
        ndarray::ArrayView2::from_shape((self.len(), self.in_dim), &self.x)
            .expect("x holds in_dim values per member (checked when the set is made)")
    }
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

/// One data set of the run and the student trained on it.
struct DataArmRun {
    arm: DataArm,
    set: WeightedSet,
    stream: Option<BatchStream>,
    state: ArmState,
}

pub struct DatasetRun {
    config: DatasetConfig,
    in_dim: usize,
    arms: Vec<DataArmRun>,
    x_test: Vec<f32>,
    y_test: Vec<f32>,
    init: TwoLayerNet<f32>,
    epoch: usize,
    curve: Vec<CurvePoint>,
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
    /// With [`DatasetConfig::landscape`]: the landscapes around the initial and the trained parameters.
    landscapes: (Option<Landscape>, Option<Landscape>),
}

fn to_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&a| a as f32).collect()
}

/// Arm `arm`'s data set.
fn arm_set(
    arm: DataArm,
    config: &DatasetConfig,
    train: &DataSet,
    objects: &Cloud,
) -> Result<(WeightedSet, Option<f64>), ExperimentError> {
    let in_dim = train.in_dim;
    let unit = |n: usize| WeightedSet {
        x: to_f32(&train.x[..in_dim * n]),
        y: to_f32(&train.y[..n]),
        c: vec![1.0; n],
        in_dim,
        rows: (0..n).collect(),
        weights: vec![1.0; n],
    };
    Ok(match arm {
        DataArm::Full => (unit(config.d), None),
        DataArm::Naive => (unit(config.target), None),
        DataArm::Compressed => {
            let params = CompressParams {
                seed: config.seed,
                ..CompressParams::new(config.order, config.target)
            };
            let r = compress(objects, &params)?;
            let mut x = Vec::with_capacity(in_dim * r.indices.len());
            for &j in &r.indices {
                x.extend_from_slice(train.input(j));
            }
            let y = r.indices.iter().map(|&j| train.y[j]).collect::<Vec<_>>();
            let set = WeightedSet {
                x: to_f32(&x),
                y: to_f32(&y),
                c: to_f32(&r.weights),
                in_dim,
                rows: r.indices.clone(),
                weights: r.weights.clone(),
            };
            (set, Some(r.diagnostics.residual))
        }
        DataArm::Kmeans => {
            let km = kmeans_centroids(objects, config.target, config.seed, 20)?;
            let m = in_dim + 1;
            let mut x = Vec::with_capacity(in_dim * config.target);
            let mut y = Vec::with_capacity(config.target);
            for j in 0..km.weights.len() {
                x.extend_from_slice(&km.points[m * j..m * j + in_dim]);
                y.push(km.points[m * j + in_dim]);
            }
            let set = WeightedSet {
                x: to_f32(&x),
                y: to_f32(&y),
                c: to_f32(&km.weights),
                in_dim,
                rows: Vec::new(),
                weights: km.weights.clone(),
            };
            (set, None)
        }
    })
}

impl DatasetRun {
    /// The teacher–student task of Fig. 3.
    pub fn new(config: DatasetConfig) -> Result<DatasetRun, ExperimentError> {
        <Self as Experiment>::build(config.check()?, &Host::default())
    }

    /// The user's own data: rows `(x_1..x_in, y)`. A seeded shuffle holds out `max(1, n/5)` rows as the
    /// test set (its loss is the test loss); the rest is the training set, so `d` and `samples_per_epoch`
    /// become the training size and `n_test` the held-out size (the config's values of these, `noise` and
    /// `teacher_seed` are ignored).
    /// The naive arm takes the first d' training rows of the shuffled order, a uniform random subset.
    pub fn from_data(
        mut config: DatasetConfig,
        data: DataSet,
    ) -> Result<DatasetRun, ExperimentError> {
        let n = data.len();
        let own = units::prepare(data, sub_seed(config.seed, 13))?;
        config.d = own.train.len();
        config.samples_per_epoch = own.train.len();
        config.n_test = own.test.len();
        if config.target >= config.d {
            return Err(ExperimentError::invalid(
                "target",
                format!(
                    "the compressed size d' = {} must be smaller than the {} training rows (a fifth of the {n} rows is held out)",
                    config.target, config.d
                ),
            ));
        }
        let in_dim = own.train.in_dim;
        let mut run = Self::build_from(config.check_for(in_dim)?, own.train, own.test)?;
        run.data_rows = Some(own.train_rows);
        run.standardisation = Some(own.units);
        run.raw_train = Some(own.raw_train);
        if let Some((names, y_column)) = own.names {
            run.names = names;
            run.y_column = y_column;
        }
        Ok(run)
    }

    fn build_from(
        config: Valid<DatasetConfig>,
        train: DataSet,
        test: DataSet,
    ) -> Result<DatasetRun, ExperimentError> {
        let config = config.into_inner();
        let in_dim = train.in_dim;
        let init = TwoLayerNet::<f32>::init(in_dim, config.hidden, Activation::Relu, config.seed)?;
        let train_cfg = TrainConfig::new(config.optimizer.kind(), config.lr)
            .with_cosine(config.epochs as u64)
            .with_grad_mode(GradMode::Autograd);
        let mut arms = Vec::new();
        let mut compression_residual = 0.0;
        let objects = Cloud::new(in_dim + 1, train.objects());
        for (i, &arm) in config.arms.iter().enumerate() {
            let (set, residual) = arm_set(arm, &config, &train, &objects)?;
            compression_residual = residual.unwrap_or(compression_residual);
            let stream = match config.batch_size {
                None => None,
                Some(bs) => {
                    let seed = sub_seed(config.seed, 100 + i as u64);
                    Some(if matches!(arm, DataArm::Compressed | DataArm::Kmeans) {
                        let w: Vec<f64> = set.c.iter().map(|&c| c as f64).collect();
                        BatchStream::weighted(&w, config.samples_per_epoch, bs, seed)
                    } else {
                        BatchStream::with_replacement(set.len(), config.samples_per_epoch, bs, seed)
                    }?)
                }
            };
            // Checked once here: the trainer's accessors rely on it.
            set.weighted().map_err(|e| {
                ExperimentError::Data(format!(
                    "the {} training set cannot be used: {e}",
                    arm.name()
                ))
            })?;
            let trainer = Trainer::new(init.clone(), train_cfg)?;
            arms.push(DataArmRun {
                arm,
                set,
                stream,
                state: ArmState::new(trainer),
            });
        }
        let (x_test, y_test) = (to_f32(&test.x), to_f32(&test.y));
        Samples::new(&x_test, &y_test, in_dim)
            .map_err(|e| ExperimentError::Data(format!("the test set cannot be used: {e}")))?;
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
            landscapes: (None, None),
        };
        let train0 = run.train_losses();
        let test0 = run.test_losses();
        run.curve.push(CurvePoint {
            epoch: 0,
            train: train0,
            test: test0,
        });
        if run.config.landscape > 0 {
            run.landscapes.0 =
                Some(run.landscape(run.config.landscape, 1.0, false, run.config.seed)?);
        }
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
    pub fn curve(&self) -> &[CurvePoint] {
        &self.curve
    }
    pub fn is_done(&self) -> bool {
        self.epoch >= self.config.epochs || self.arms.iter().all(|a| !a.state.is_live())
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
    pub fn set_csv(&self, arm: usize) -> Result<String, ExperimentError> {
        let len = self
            .arms
            .get(arm)
            .ok_or(ExperimentError::OutOfRange {
                what: "arm",
                index: arm,
                len: self.arms.len(),
            })?
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
        // Checked when built; should it ever fail, every arm stops with the reason.
        let data = Samples::new(&self.x_test, &self.y_test, self.in_dim);
        arms::test_losses(self.arms.iter_mut().map(|a| &mut a.state), &data)
    }

    /// Every arm's loss on its own (weighted) training set.
    fn train_losses(&mut self) -> Vec<f64> {
        self.arms
            .iter_mut()
            .map(|a| a.state.evaluate(&a.set.weighted()))
            .collect()
    }

    /// Trains every arm for up to `epochs` epochs. Returns the curve points completed by this call.
    pub fn step(&mut self, epochs: usize) -> &[CurvePoint] {
        let first_new = self.curve.len();
        for _ in 0..epochs.max(1) {
            if self.is_done() {
                break;
            }
            let e = self.epoch as u64;
            for a in self.arms.iter_mut().filter(|a| a.state.is_live()) {
                match &a.stream {
                    None => {
                        let step = a
                            .set
                            .weighted()
                            .and_then(|data| a.state.trainer.step(&data, None, e));
                        a.state.record(step);
                    }
                    Some(stream) => {
                        let data = match a.set.plain() {
                            Ok(data) => data,
                            Err(err) => {
                                a.state.stop(err.to_string());
                                continue;
                            }
                        };
                        stream.fill_epoch(e, &mut self.order);
                        for batch in stream.batches(&self.order) {
                            let step = a.state.trainer.step(&data, Some(batch), e);
                            a.state.record(step);
                            if !a.state.is_live() {
                                break;
                            }
                        }
                    }
                }
            }
            self.epoch += 1;
            let test = arms::evaluates_at(self.epoch, self.config.eval_every, self.config.epochs)
                .then(|| self.test_losses());
            let point =
                arms::close_epoch(self.epoch, self.arms.iter_mut().map(|a| &mut a.state), test);
            self.curve.push(point);
        }
        if self.is_done() && self.config.landscape > 0 && self.landscapes.1.is_none() {
            // Checked against the cost caps with the config; a failure here leaves the landscape out.
            self.landscapes.1 = self
                .landscape(self.config.landscape, 1.0, true, self.config.seed)
                .ok();
        }
        &self.curve[first_new..]
    }

    pub fn summary(&self) -> DatasetSummary {
        let arms: Vec<DataArmSummary> = self
            .arms
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let column = Column::of(&self.curve, i);
                DataArmSummary {
                    arm: a.arm,
                    size: a.set.len(),
                    initial_test: column.initial_test(),
                    min_test: column.min_test(),
                    final_test: column.final_test(),
                    final_train: column.final_train(),
                    diverged: a.state.diverged.clone(),
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
}

impl Experiment for DatasetRun {
    const KIND: &'static str = "dataset";
    const ABOUT: &'static str = "\
Fig. 3, dataset compression: a student trained on the full set, the moment-matched weighted subset and a
random subset of the same size (--kmeans: also k-means centroids); curves and a summary with final
losses; --landscape RES adds loss landscapes around the initial and the trained parameters.
--teacher-seed draws another teacher network (default 420); --seed draws data, test set, student and
batches. --data trains on your own CSV instead of the teacher task: numeric columns with a header, the
output in the column named y (or the last), the others inputs; a seeded fifth is held out as the test
set. Columns are standardised on the training rows, so losses are in units of var(y)
(summary.output_variance).";
    type Config = DatasetConfig;
    type Item = CurvePoint;
    type Summary = DatasetSummary;

    fn presets() -> Vec<Preset<DatasetConfig>> {
        config::presets()
    }

    fn build(config: Valid<DatasetConfig>, _host: &Host) -> Result<Self, ExperimentError> {
        let teacher = Teacher::random(config.teacher_seed, 2, 50);
        let train = teacher.sample(
            &mut seeded(sub_seed(config.seed, 11)),
            config.d,
            config.noise,
        );
        let test = teacher.sample(&mut seeded(sub_seed(config.seed, 12)), config.n_test, 0.0);
        Self::build_from(config, train, test)
    }

    fn config(&self) -> &DatasetConfig {
        &self.config
    }

    /// Up to `budget` epochs of every arm.
    fn step(&mut self, budget: usize) -> Result<(), ExperimentError> {
        DatasetRun::step(self, budget);
        Ok(())
    }

    fn progress(&self) -> f64 {
        DatasetRun::progress(self)
    }

    fn is_done(&self) -> bool {
        DatasetRun::is_done(self)
    }

    fn status(&self) -> String {
        super::arms::epoch_status(&self.curve, self.epoch, self.config.epochs, 4)
    }

    fn items(&self) -> &[CurvePoint] {
        &self.curve
    }

    fn summary(&self) -> DatasetSummary {
        DatasetRun::summary(self)
    }

    fn seed(&self) -> Option<u64> {
        Some(self.config.seed)
    }

    /// The arms' names, the landscapes (with [`DatasetConfig::landscape`]), and for own data the map to
    /// training units.
    fn extras(&self) -> Result<Vec<(&'static str, Value)>, ExperimentError> {
        Ok(vec![
            ("arms", to_json(&self.arms())?),
            ("landscape_init", to_json(&self.landscapes.0)?),
            ("landscape_trained", to_json(&self.landscapes.1)?),
            ("standardisation", to_json(&self.standardisation)?),
        ])
    }

    fn info(&self) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        Ok(vec![
            ("arms", Payload::json(&self.arms())?),
            ("in_dim", Payload::json(&self.in_dim)?),
        ])
    }

    /// `landscape {res, span, trained}`: the loss landscapes now; `sets`: every arm's training set as
    /// rows `(x_1..x_in, y, weight)` in the user's units; `setcsv {arm}`: one arm's set as CSV.
    fn query(&mut self, what: &str, args: &Value) -> Result<Payload, ExperimentError> {
        match what {
            "landscape" => {
                let res = args["res"].as_u64().unwrap_or(41) as usize;
                let span = args["span"].as_f64().unwrap_or(1.0);
                let trained = args["trained"].as_bool().unwrap_or(false);
                Payload::json(&self.landscape(res, span, trained, self.config.seed)?)
            }
            "sets" => Ok(Payload::List(
                (0..self.arms.len())
                    .map(|arm| {
                        let set = &self.arms[arm].set;
                        let mut rows = Vec::with_capacity(set.len() * (set.in_dim + 2));
                        for (_, weight, values) in
                            (0..set.len()).filter_map(|i| self.member(arm, i))
                        {
                            rows.extend(values);
                            rows.push(weight);
                        }
                        Payload::F64(rows)
                    })
                    .collect(),
            )),
            "setcsv" => {
                let arm = args["arm"].as_u64().unwrap_or(u64::MAX) as usize;
                Payload::json(&self.set_csv(arm)?)
            }
            _ => Err(ExperimentError::Unsupported {
                what: format!("dataset answers no query '{what}'"),
            }),
        }
    }

    const OWN_DATA: bool = true;

    fn check_options(config: &DatasetConfig) -> Result<(), ExperimentError> {
        config.check_options()
    }

    fn from_csv(config: DatasetConfig, csv: &str, host: &Host) -> Result<Self, ExperimentError> {
        config.check_options()?;
        let data = crate::data::csv::parse_regression(csv, host.max_rows)?;
        DatasetRun::from_data(config, data)
    }

    fn flags() -> &'static [Flag] {
        const FLAGS: &[Flag] = &[
            Flag::add(
                "kmeans",
                "arms",
                "kmeans",
                "also train on k-means centroids weighted by mass",
            ),
            Flag::value(
                "landscape",
                "landscape",
                "the resolution of the loss landscapes, around the initial and the trained parameters",
            ),
        ];
        FLAGS
    }
}
