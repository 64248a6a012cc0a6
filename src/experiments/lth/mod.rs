//! The dynamical lottery ticket (Fig. 4): a wide two-layer network, its moment-matched compression, and
//! two same-width baselines, trained side by side on identical mini-batches.
//!
//! **Task.** `y = J_6(20 r) cos 6θ` on `x ~ U[-1,1]²`, label noise std 0.2; the test set is noiseless.
//! **Arms.**
//! - *original*: width d, PyTorch-default initialisation from the seed;
//! - *compressed*: its neurons `(v_j, w_j, b_j) ∈ R^4` compressed to d' by moment matching of order k; the
//!   kept neurons carry weights `c_j` (activation × c_j) and train with gradients × 1/c_j. The moments
//!   are taken in the coordinates of [`LthConfig::chart`]: the paper's raw `(v, w, b)` by default, or (ReLU
//!   only) scale and direction `(v‖(w,b)‖, (w,b)/‖(w,b)‖)` ([`crate::nn::NeuronChart::Homogeneous`]);
//! - *naive*: the first d' neurons, unweighted (a random sub-network, as the paper's);
//! - *magnitude*: the d' neurons with the largest `|v_j| · ‖w_j‖`, unweighted (the classic pruning
//!   comparator).
//!
//! Every arm sees the same batches (one seeded [`BatchStream`]) and the same cosine schedule. Theorem 5
//! says the compressed curve follows the original's through all of training; the baselines do not.
//!
//! **Cost.** Per epoch `≈ 6 · n_train · 3 · Σ widths` flops (forward + backward), plus test evaluations.
//! [`LthRun::step`] does a bounded number of mini-batches so a worker stays responsive. The CLI with more
//! than one thread trains each arm alone from start to end on its own thread instead (the protocol's
//! lanes), every epoch's batch order regenerated from the seed: the same numbers; the widest arm (the
//! original, `d / (d + 3 d')` of the work) bounds the time.

mod config;
#[cfg(test)]
mod tests;

pub use config::{Arm, LthConfig, MAX_MAPS_RES, MAX_MAPS_VALUES};

use ndarray::ArrayView2;
use serde::Serialize;
use serde_json::Value;

use super::arms::{self, ArmState, Column, CurvePoint};
use crate::compress::{Cloud, CompressParams, compress};
use crate::experiments::ExperimentError;
use crate::experiments::params::{Params, Valid};
use crate::experiments::protocol::{
    Experiment, Flag, Host, Payload, Preset, costliest_first, to_json,
};
use crate::nn::{BatchStream, GradMode, Samples, TrainConfig, Trainer, TwoLayerNet, bessel_jn};
use crate::parallel::Workers;
use crate::rng::{seeded, standard_normal, sub_seed, uniform};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// `J_6(20 r) cos 6θ`.
pub fn cylindrical_harmonic(x1: f64, x2: f64) -> f64 {
    let r = (x1 * x1 + x2 * x2).sqrt();
    let theta = libm::atan2(x2, x1);
    bessel_jn(6, 20.0 * r) * libm::cos(6.0 * theta)
}

/// Every arm's function at one epoch, for heat maps.
#[derive(Clone, Debug, Serialize)]
pub struct FunctionMaps {
    pub epoch: usize,
    /// One `res × res` grid per arm (in the order of [`LthRun::arms`]), row-major, the first row at
    /// `y = +1`, columns from `x = -1`. A diverged arm's grid is NaN.
    pub arms: Vec<Vec<f32>>,
}

impl FunctionMaps {
    /// Arm `arm`'s grid as a `res × res` array (rows from `y = +1` down), without copying.
    pub fn grid(&self, arm: usize) -> Option<ArrayView2<'_, f32>> {
        let values = self.arms.get(arm)?;
        let res = values.len().isqrt();
        ArrayView2::from_shape((res, res), values).ok()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ArmSummary {
    pub arm: Arm,
    pub width: usize,
    pub initial_test: f64,
    pub final_test: f64,
    pub final_train: f64,
    pub diverged: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LthSummary {
    pub arms: Vec<ArmSummary>,
    /// compressed / original initial test loss (Theorem: → 1).
    pub initial_ratio_compressed: Option<f64>,
    pub final_ratio_compressed: Option<f64>,
    pub final_ratio_naive: Option<f64>,
    pub final_ratio_magnitude: Option<f64>,
    pub compression_residual: f64,
    /// Test loss of the constant-0 predictor, `mean(y_test²)` (the test labels are noiseless): an arm
    /// whose loss is not below it has not learned the target yet.
    pub zero_predictor_test: f64,
    pub epochs_done: usize,
}

/// One net of the run.
struct LthArm {
    arm: Arm,
    state: ArmState,
}

pub struct LthRun {
    config: LthConfig,
    x_train: Vec<f32>,
    y_train: Vec<f32>,
    x_test: Vec<f32>,
    y_test: Vec<f32>,
    stream: BatchStream,
    arms: Vec<LthArm>,
    epoch: usize,
    order: Vec<usize>,
    batch_pos: usize,
    curve: Vec<CurvePoint>,
    compression_residual: f64,
    maps: Vec<FunctionMaps>,
    /// The target on the grid of the recorded maps, made once.
    target_map: Vec<f32>,
}

/// A `res × res` grid over `[-1,1]²` as `(x, y)` pairs: row-major, the first row at `y = +1`, columns from
/// `x = -1`.
pub fn grid_points(res: usize) -> Vec<f64> {
    let at = |i: usize| -1.0 + 2.0 * i as f64 / (res.max(2) - 1) as f64;
    let mut grid = Vec::with_capacity(2 * res * res);
    for r in 0..res {
        for c in 0..res {
            grid.push(at(c));
            grid.push(-at(r));
        }
    }
    grid
}

/// The target `J_6(20 r) cos 6θ` on the grid of [`grid_points`].
pub fn target_map(res: usize) -> Vec<f32> {
    grid_points(res)
        .chunks_exact(2)
        .map(|p| cylindrical_harmonic(p[0], p[1]) as f32)
        .collect()
}

fn make_data(seed: u64, n: usize, noise: f64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = seeded(seed);
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let (a, b) = (uniform(&mut rng, -1.0, 1.0), uniform(&mut rng, -1.0, 1.0));
        x.push(a as f32);
        x.push(b as f32);
        y.push((cylindrical_harmonic(a, b) + noise * standard_normal(&mut rng)) as f32);
    }
    (x, y)
}

/// The arm's net, made from the original, and how it is trained; the compression's residual for the
/// compressed arm.
fn arm_net(
    arm: Arm,
    original: &TwoLayerNet<f32>,
    config: &LthConfig,
) -> Result<(TwoLayerNet<f32>, GradMode, Option<f64>), ExperimentError> {
    let d_prime = config.target;
    Ok(match arm {
        Arm::Original => (original.clone(), GradMode::Autograd, None),
        Arm::Compressed => {
            let cloud = Cloud::new(4, original.neuron_objects_in(config.chart));
            let params = CompressParams {
                seed: config.seed,
                ..CompressParams::new(config.order, d_prime)
            }
            .with_strategy(config.strategy);
            let r = compress(&cloud, &params)?;
            let net = original.subnetwork(&r.indices, Some(&r.weights))?;
            let mode = if config.rescale {
                GradMode::compressed()
            } else {
                GradMode::Autograd
            };
            (net, mode, Some(r.diagnostics.residual))
        }
        Arm::Naive => {
            let idx: Vec<usize> = (0..d_prime).collect();
            (original.subnetwork(&idx, None)?, GradMode::Autograd, None)
        }
        Arm::Magnitude => {
            let (w, v) = (original.w(), original.v());
            let mut score: Vec<(f32, usize)> = (0..config.width)
                .map(|j| {
                    let norm = (w[2 * j] * w[2 * j] + w[2 * j + 1] * w[2 * j + 1]).sqrt();
                    (v[j].abs() * norm, j)
                })
                .collect();
            score.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut idx: Vec<usize> = score[..d_prime].iter().map(|s| s.1).collect();
            idx.sort_unstable();
            (original.subnetwork(&idx, None)?, GradMode::Autograd, None)
        }
    })
}

impl LthRun {
    pub fn new(config: LthConfig) -> Result<LthRun, ExperimentError> {
        <Self as Experiment>::build(config.check()?, &Host::default())
    }

    fn from_valid(config: Valid<LthConfig>) -> Result<LthRun, ExperimentError> {
        let config = config.into_inner();
        let (x_train, y_train) = make_data(sub_seed(config.seed, 1), config.n_train, config.noise);
        let (x_test, y_test) = make_data(sub_seed(config.seed, 2), config.n_test, 0.0);
        let original = TwoLayerNet::<f32>::init(2, config.width, config.activation, config.seed)?;
        let base =
            TrainConfig::new(config.optimizer.kind(), config.lr).with_cosine(config.epochs as u64);
        let mut arms = Vec::new();
        let mut compression_residual = 0.0;
        for &arm in &config.arms {
            let (net, mode, residual) = arm_net(arm, &original, &config)?;
            compression_residual = residual.unwrap_or(compression_residual);
            let trainer = Trainer::new(net, base.with_grad_mode(mode))?;
            arms.push(LthArm {
                arm,
                state: ArmState::new(trainer),
            });
        }
        Samples::new(&x_train, &y_train, 2)?;
        Samples::new(&x_test, &y_test, 2)?;
        let stream =
            BatchStream::shuffled(config.n_train, config.batch_size, sub_seed(config.seed, 3))?;
        let target_map = if config.maps_every > 0 {
            target_map(config.maps_res)
        } else {
            Vec::new()
        };
        let mut run = LthRun {
            config,
            x_train,
            y_train,
            x_test,
            y_test,
            stream,
            arms,
            epoch: 0,
            order: Vec::new(),
            batch_pos: 0,
            curve: Vec::new(),
            compression_residual,
            maps: Vec::new(),
            target_map,
        };
        let test = run.test_losses();
        let point = arms::close_epoch(0, run.states(), Some(test));
        run.curve.push(point);
        run.record_maps();
        run.stream.fill_epoch(0, &mut run.order);
        Ok(run)
    }

    fn states(&mut self) -> impl Iterator<Item = &mut ArmState> {
        self.arms.iter_mut().map(|a| &mut a.state)
    }

    pub fn config(&self) -> &LthConfig {
        &self.config
    }

    pub fn arms(&self) -> Vec<Arm> {
        self.arms.iter().map(|a| a.arm).collect()
    }

    pub fn epoch(&self) -> usize {
        self.epoch
    }

    pub fn is_done(&self) -> bool {
        self.epoch >= self.config.epochs || self.arms.iter().all(|a| !a.state.is_live())
    }

    pub fn progress(&self) -> f64 {
        let per = self.order.len().div_ceil(self.config.batch_size).max(1);
        let done = self.epoch * per + self.batch_pos / self.config.batch_size;
        (done as f64 / (self.config.epochs * per) as f64).min(1.0)
    }

    fn test_losses(&mut self) -> Vec<f64> {
        // The generated sets are finite (checked when built); should that ever fail, every arm stops
        // with the reason.
        let data = Samples::new(&self.x_test, &self.y_test, 2);
        arms::test_losses(self.arms.iter_mut().map(|a| &mut a.state), &data)
    }

    /// Trains every arm on up to `batches` mini-batches (the same ones for every arm). Returns the curve
    /// points completed during this call.
    pub fn step(&mut self, batches: usize) -> &[CurvePoint] {
        let first_new = self.curve.len();
        let mut left = batches.max(1);
        while left > 0 && !self.is_done() {
            let end = (self.batch_pos + self.config.batch_size).min(self.order.len());
            let batch = &self.order[self.batch_pos..end];
            let data = Samples::new(&self.x_train, &self.y_train, 2);
            for a in self.arms.iter_mut().filter(|a| a.state.is_live()) {
                let step = data
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|data| a.state.trainer.step(data, Some(batch), self.epoch as u64));
                a.state.record(step);
            }
            self.batch_pos = end;
            left -= 1;
            if self.batch_pos >= self.order.len() {
                self.finish_epoch();
            }
        }
        &self.curve[first_new..]
    }

    fn finish_epoch(&mut self) {
        self.epoch += 1;
        let test = arms::evaluates_at(self.epoch, self.config.eval_every, self.config.epochs)
            .then(|| self.test_losses());
        let point = arms::close_epoch(self.epoch, self.states(), test);
        self.curve.push(point);
        self.record_maps();
        self.batch_pos = 0;
        if self.epoch < self.config.epochs {
            self.stream.fill_epoch(self.epoch as u64, &mut self.order);
        }
    }

    pub fn curve(&self) -> &[CurvePoint] {
        &self.curve
    }

    /// Each arm's prediction on a `res × res` grid over `[-1,1]²` (row-major, y from top = +1) now, and
    /// the target function on the same grid as the last entry.
    pub fn heatmaps(&mut self, res: usize) -> Vec<Vec<f32>> {
        let res = res.clamp(2, 512);
        let mut out = self.arm_maps(res);
        out.push(target_map(res));
        out
    }

    /// The maps recorded so far (see [`LthConfig::maps_every`]), oldest first.
    pub fn function_maps(&self) -> &[FunctionMaps] {
        &self.maps
    }

    fn record_maps(&mut self) {
        if self.config.records_maps_at(self.epoch) {
            let arms = self.arm_maps(self.config.maps_res);
            self.maps.push(FunctionMaps {
                epoch: self.epoch,
                arms,
            });
        }
    }

    /// Every arm's prediction on the `res × res` grid of [`grid_points`]; NaN for a diverged arm.
    fn arm_maps(&mut self, res: usize) -> Vec<Vec<f32>> {
        let grid: Vec<f32> = grid_points(res).into_iter().map(|v| v as f32).collect();
        self.arms
            .iter_mut()
            .map(|a| {
                let mut o = vec![f32::NAN; res * res];
                if !a.state.is_live() || a.state.trainer.predict(&grid, &mut o).is_err() {
                    o.fill(f32::NAN);
                }
                o
            })
            .collect()
    }

    /// Recorded maps from `from` on, each `{epoch, data}` with `data` every arm's grid and then the
    /// target's, flat (`(arms + 1) · res²` values).
    fn maps_payload(&self, from: usize) -> Payload {
        Payload::List(
            self.maps
                .get(from..)
                .unwrap_or_default()
                .iter()
                .map(|m| {
                    let mut data: Vec<f32> = m.arms.concat();
                    data.extend_from_slice(&self.target_map);
                    Payload::Object(vec![
                        ("epoch", Payload::Json(m.epoch.into())),
                        ("data", Payload::F32(data)),
                    ])
                })
                .collect(),
        )
    }

    pub fn summary(&self) -> LthSummary {
        let idx = |arm: Arm| self.arms.iter().position(|a| a.arm == arm);
        let column = |i: usize| Column::of(&self.curve, i);
        let arms: Vec<ArmSummary> = self
            .arms
            .iter()
            .enumerate()
            .map(|(i, a)| ArmSummary {
                arm: a.arm,
                width: a.state.trainer.net().width(),
                initial_test: column(i).initial_test(),
                final_test: column(i).final_test(),
                final_train: column(i).final_train(),
                diverged: a.state.diverged.clone(),
            })
            .collect();
        // The original arm is always there (validated); without it there is nothing to compare with.
        let o = idx(Arm::Original);
        let ratio =
            |arm: Arm, f: &dyn Fn(Column) -> f64| Some(f(column(idx(arm)?)) / f(column(o?)));
        LthSummary {
            initial_ratio_compressed: ratio(Arm::Compressed, &|c| c.initial_test()),
            final_ratio_compressed: ratio(Arm::Compressed, &|c| c.final_test()),
            final_ratio_naive: ratio(Arm::Naive, &|c| c.final_test()),
            final_ratio_magnitude: ratio(Arm::Magnitude, &|c| c.final_test()),
            arms,
            compression_residual: self.compression_residual,
            zero_predictor_test: self
                .y_test
                .iter()
                .map(|&y| f64::from(y) * f64::from(y))
                .sum::<f64>()
                / self.y_test.len().max(1) as f64,
            epochs_done: self.epoch,
        }
    }
}

/// One arm trained alone from epoch 0 (see [`LthRun::train_lane`]).
struct Lane {
    /// `(mean train loss, test loss)` at the end of each epoch it closed (1, 2, …); the test loss is NaN
    /// where the run does not evaluate.
    points: Vec<(f64, f64)>,
    /// Its grid at each epoch ≥ 1 it closed that records maps, in order.
    maps: Vec<Vec<f32>>,
}

impl LthRun {
    /// Trains one arm alone on the run's batch stream (regenerated from the seed: each epoch's order
    /// depends only on the seed and the epoch), doing to it exactly what [`LthRun::step`] does to it
    /// among the others: the same batches, schedule, evaluations and maps, in the same order. It stops
    /// where the arm stops; an epoch in which it stops is closed only if it stopped at the epoch's last
    /// batch (as the stepped run does when it is the last arm alive; otherwise the others close it, with
    /// NaN for this arm, as [`LthRun::run_lanes_on`] pads).
    fn train_lane(&self, state: &mut ArmState) -> Lane {
        let config = &self.config;
        let data = Samples::new(&self.x_train, &self.y_train, 2);
        let test_data = Samples::new(&self.x_test, &self.y_test, 2);
        let grid: Vec<f32> = if config.maps_every > 0 {
            grid_points(config.maps_res)
                .into_iter()
                .map(|v| v as f32)
                .collect()
        } else {
            Vec::new()
        };
        let mut lane = Lane {
            points: Vec::new(),
            maps: Vec::new(),
        };
        let mut order = Vec::new();
        for epoch in 0..config.epochs {
            if !state.is_live() {
                break;
            }
            self.stream.fill_epoch(epoch as u64, &mut order);
            let batches = order.len().div_ceil(config.batch_size);
            let mut stopped_inside = false;
            for (b, batch) in order.chunks(config.batch_size).enumerate() {
                let step = data
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|data| state.trainer.step(data, Some(batch), epoch as u64));
                state.record(step);
                if !state.is_live() && b + 1 < batches {
                    stopped_inside = true;
                    break;
                }
            }
            if stopped_inside {
                break;
            }
            let closed = epoch + 1;
            let test = if arms::evaluates_at(closed, config.eval_every, config.epochs) {
                state.evaluate(&test_data)
            } else {
                f64::NAN
            };
            lane.points.push((state.close_epoch(), test));
            if config.records_maps_at(closed) {
                let mut o = vec![f32::NAN; config.maps_res * config.maps_res];
                if !state.is_live() || state.trainer.predict(&grid, &mut o).is_err() {
                    o.fill(f32::NAN);
                }
                lane.maps.push(o);
            }
        }
        lane
    }

    /// Trains the fresh run to its end with each arm on its own thread of `workers` (the widest first,
    /// from a shared queue) and assembles the curve and maps [`LthRun::step`] would have recorded: bit
    /// for bit the same, for any number of threads.
    fn run_lanes_on(
        &mut self,
        workers: &Workers,
        on_lane: &(dyn Fn(usize) + Sync),
    ) -> Result<(), ExperimentError> {
        if self.epoch != 0 || self.batch_pos != 0 || self.curve.len() != 1 {
            return Err(ExperimentError::Unsupported {
                what: "lth trains its arms on threads only from the start".to_string(),
            });
        }
        let arms: Vec<Mutex<LthArm>> = std::mem::take(&mut self.arms)
            .into_iter()
            .map(Mutex::new)
            .collect();
        let widths: Vec<u64> = arms
            .iter()
            .map(|a| lock(a).state.trainer.net().width() as u64)
            .collect();
        let order = costliest_first(|i| (widths[i], 0), arms.len());
        let finished = AtomicUsize::new(0);
        let run = &*self;
        let lanes = workers.queue(&order, arms.len(), |i| {
            let lane = run.train_lane(&mut lock(&arms[i]).state);
            on_lane(finished.fetch_add(1, Relaxed) + 1);
            lane
        });
        self.arms = arms
            .into_iter()
            .map(|a| a.into_inner().unwrap_or_else(|p| p.into_inner()))
            .collect();
        let lanes: Vec<Lane> = lanes
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                l.ok_or(ExperimentError::OutOfRange {
                    what: "finished lane",
                    index: i,
                    len: self.arms.len(),
                })
            })
            .collect::<Result<_, _>>()?;
        // The stepped run goes on while one arm is alive: as far as the longest lane.
        let epochs = lanes.iter().map(|l| l.points.len()).max().unwrap_or(0);
        let cells = self.config.maps_res * self.config.maps_res;
        let mut map_index = 0;
        for epoch in 1..=epochs {
            let at = |l: &Lane| l.points.get(epoch - 1).copied();
            self.curve.push(CurvePoint {
                epoch,
                train: lanes
                    .iter()
                    .map(|l| at(l).map_or(f64::NAN, |p| p.0))
                    .collect(),
                test: lanes
                    .iter()
                    .map(|l| at(l).map_or(f64::NAN, |p| p.1))
                    .collect(),
            });
            if self.config.records_maps_at(epoch) {
                let arms = lanes
                    .iter()
                    .map(|l| {
                        l.maps
                            .get(map_index)
                            .cloned()
                            .unwrap_or_else(|| vec![f32::NAN; cells])
                    })
                    .collect();
                self.maps.push(FunctionMaps { epoch, arms });
                map_index += 1;
            }
        }
        self.epoch = epochs;
        Ok(())
    }
}

/// A lock that a panicked holder did not poison for good.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Experiment for LthRun {
    const KIND: &'static str = "lth";
    const ABOUT: &'static str = "\
Fig. 4, the dynamical lottery ticket: original, compressed (moment-matched neurons, activation x c_j,
gradients x 1/c_j), naive (first d' neurons) and magnitude-pruned nets on identical batches. Writes every
curve and a summary with initial/final train/test loss per arm. --chart: the coordinates in which neurons
are moment-matched: raw (default, the paper's (v, w, b)) or homogeneous (ReLU only: scale v|(w,b)| and
direction (w,b)/|(w,b)|; matches the initial function better, the dynamics less). --maps E: also write
function_maps, every arm's function on an R x R grid (--maps-res, default 48) over [-1,1]^2 at epoch 0,
every E epochs and at the last epoch, with the target on the same grid.";
    type Config = LthConfig;
    type Item = CurvePoint;
    type Summary = LthSummary;

    fn presets() -> Vec<Preset<LthConfig>> {
        config::presets()
    }

    fn build(config: Valid<LthConfig>, _host: &Host) -> Result<Self, ExperimentError> {
        Self::from_valid(config)
    }

    fn config(&self) -> &LthConfig {
        &self.config
    }

    /// Up to `budget` mini-batches of every arm.
    fn step(&mut self, budget: usize) -> Result<(), ExperimentError> {
        LthRun::step(self, budget);
        Ok(())
    }

    fn progress(&self) -> f64 {
        LthRun::progress(self)
    }

    fn is_done(&self) -> bool {
        LthRun::is_done(self)
    }

    fn status(&self) -> String {
        super::arms::epoch_status(&self.curve, self.epoch, self.config.epochs, 5)
    }

    fn items(&self) -> &[CurvePoint] {
        &self.curve
    }

    fn summary(&self) -> LthSummary {
        LthRun::summary(self)
    }

    fn seed(&self) -> Option<u64> {
        Some(self.config.seed)
    }

    /// The arms' names; with maps recorded, `function_maps`: `{res, span, rows, target, epochs}`.
    fn extras(&self) -> Result<Vec<(&'static str, Value)>, ExperimentError> {
        let mut extras = vec![("arms", to_json(&self.arms())?)];
        if self.config.maps_every > 0 {
            extras.push((
                "function_maps",
                serde_json::json!({
                    "res": self.config.maps_res,
                    "span": 1.0,
                    "rows": "row-major, first row at y = +1, columns from x = -1",
                    "target": to_json(&self.target_map)?,
                    "epochs": to_json(&self.maps)?,
                }),
            ));
        }
        Ok(extras)
    }

    fn info(&self) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        Ok(vec![("arms", Payload::json(&self.arms())?)])
    }

    /// `maps`: the function maps recorded since `cursor` (see `LthRun::maps_payload`).
    fn live(&self, cursor: &mut usize) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        let from = *cursor;
        *cursor = self.maps.len();
        Ok(if from < self.maps.len() {
            vec![("maps", self.maps_payload(from))]
        } else {
            Vec::new()
        })
    }

    /// `heatmaps {res}`: every arm's function now on a `res × res` grid, then the target's, flat.
    fn query(&mut self, what: &str, args: &Value) -> Result<Payload, ExperimentError> {
        match what {
            "heatmaps" => {
                let res = args["res"].as_u64().unwrap_or(self.config.maps_res as u64) as usize;
                Ok(Payload::F32(self.heatmaps(res).concat()))
            }
            _ => Err(ExperimentError::Unsupported {
                what: format!("lth answers no query '{what}'"),
            }),
        }
    }

    /// The arms: each trains alone on the regenerated batch stream (see `LthRun::train_lane`).
    fn lanes(&self) -> usize {
        self.arms.len()
    }

    fn run_lanes(
        &mut self,
        workers: &Workers,
        on_lane: &(dyn Fn(usize) + Sync),
    ) -> Result<(), ExperimentError> {
        self.run_lanes_on(workers, on_lane)
    }

    fn flags() -> &'static [Flag] {
        const FLAGS: &[Flag] = &[
            Flag::value("samples", "n_train", "the number of training samples"),
            Flag::value("batch", "batch_size", "the mini-batch size"),
            Flag::switch(
                "no-rescale",
                "rescale",
                false,
                "train the compressed arm without the 1/c_j gradient rule",
            ),
            Flag::value("maps", "maps_every", "the number of epochs between maps").at_least(1),
            Flag::value(
                "maps-res",
                "maps_res",
                "the resolution of the maps that --maps E records",
            )
            .requires("maps"),
        ];
        FLAGS
    }
}
