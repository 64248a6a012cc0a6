//! The dynamical lottery ticket in attention (Fig. 7): a wide multi-head attention layer, its
//! moment-matched compression and a random subset of its heads, trained side by side on in-context
//! regression.
//!
//! **Task** ([`crate::data::icl`]): piecewise-linear functions with 16 segments; 8 noisy context pairs and
//! a query; the prediction at the last token is scored against the clean `f(x*)`.
//! **Arms.**
//! - *original*: `H` heads ([`crate::nn::attention`]), PyTorch-default initialisation from the seed;
//! - *compressed*: the heads `θ_h ∈ R^8` compressed to `H'` by moment matching of order k (N(8,3) = 165
//!   moments at the paper's k = 3); head h's context is multiplied by `c_h`, and its gradient by `1/c_h`
//!   ([`AttentionConfig::rescale`]; off = the authors' code, which leaves the factor to Adam);
//! - *naive*: `H'` heads drawn at random, unweighted.
//!
//! **Training** as the paper: Adam (lr 1e-4, no schedule), batches of 256 fresh episodes, 5 steps an
//! epoch, the same batches for every arm; the train loss of an epoch is the mean over its steps, the test
//! loss the mean over 10 fresh batches of 256 (fresh at every evaluation, the same for every arm). Every
//! batch is drawn from its own seed (`seed`, epoch, step), so an arm can be replayed alone.
//! **Picture.** For one fixed episode, every arm's prediction `y(x*)` for `x*` on a grid over `[0, 1]`, at
//! epoch 0 and after every epoch, next to the true function.
//!
//! **Cost.** Per epoch `≈ (steps + test batches) · 256 · 17 · Σ heads` exponentials (about 30 flops each,
//! forward + backward) and one compression of `H` points in R^8 at set-up.

mod config;
#[cfg(test)]
mod tests;

pub use config::{AttentionConfig, AttnArm, MAX_PICTURE_POINTS, presets};

use rand::seq::SliceRandom;
use serde::Serialize;
use serde_json::Value;

use crate::compress::{Cloud, CompressParams, compress};
use crate::data::icl::{self, Episode, SEQ_LEN};
use crate::experiments::ExperimentError;
use crate::experiments::arms::CurvePoint;
use crate::experiments::params::Valid;
use crate::experiments::protocol::{Experiment, Flag, Host, Payload, Preset, to_json};
use crate::nn::attention::{Attention, AttnWorkspace, HEAD_PARAMS};
use crate::nn::{GradMode, Optimizer};
use crate::rng::{seeded, sub_seed};

/// One fixed episode and every arm's prediction across the x* grid at every recorded epoch.
#[derive(Clone, Debug, Serialize)]
pub struct Picture {
    /// The episode's context pairs `(x, y)`.
    pub context: Vec<[f64; 2]>,
    /// The x* grid over `[0, 1]` and the true function on it.
    pub xs: Vec<f64>,
    pub truth: Vec<f64>,
    /// `(epoch, one prediction vector per arm)`, epoch 0 first.
    pub predictions: Vec<(usize, Vec<Vec<f32>>)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AttnArmSummary {
    pub arm: AttnArm,
    pub heads: usize,
    pub initial_test: f64,
    pub final_test: f64,
    pub final_train: f64,
    /// Test loss at the epochs of the authors' table (0, 5, 10, 20, 50) that this run reached.
    pub table: Vec<(usize, f64)>,
    pub diverged: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AttentionSummary {
    pub arms: Vec<AttnArmSummary>,
    /// compressed / original test loss at each table epoch (Theorem: → 1), and naive / original.
    pub ratio_compressed: Vec<(usize, f64)>,
    pub ratio_naive: Vec<(usize, f64)>,
    pub compression_residual: f64,
    pub rescale: bool,
    pub epochs_done: usize,
}

/// The epochs of the authors' table.
pub const TABLE_EPOCHS: [usize; 5] = [0, 5, 10, 20, 50];

struct ArmState {
    arm: AttnArm,
    net: Attention<f32>,
    opt: Optimizer<f32>,
    mode: GradMode,
    grads: Vec<f32>,
    ws: AttnWorkspace<f32>,
    epoch_loss: f64,
    epoch_steps: usize,
    diverged: Option<String>,
}

pub struct AttentionRun {
    config: AttentionConfig,
    arms: Vec<ArmState>,
    epoch: usize,
    step_in_epoch: usize,
    curve: Vec<CurvePoint>,
    compression_residual: f64,
    picture_episode: Episode,
    picture: Picture,
}

/// The batch of training step `step` of `epoch` (counted from 0), the same for every arm.
pub fn train_batch(config: &AttentionConfig, epoch: usize, step: usize) -> (Vec<f32>, Vec<f32>) {
    let k = (epoch * config.steps_per_epoch + step) as u64;
    icl::batch(
        &mut seeded(sub_seed(sub_seed(config.seed, 3), k)),
        config.batch_size,
    )
}

/// Test batch `i` of the evaluation after `epoch` epochs (epoch 0: before training).
pub fn test_batch(config: &AttentionConfig, epoch: usize, i: usize) -> (Vec<f32>, Vec<f32>) {
    let k = (epoch * config.test_batches + i) as u64;
    icl::batch(
        &mut seeded(sub_seed(sub_seed(config.seed, 4), k)),
        config.batch_size,
    )
}

impl AttentionRun {
    /// Builds the three layers (the compression of the original's heads is the set-up's cost) and
    /// evaluates them before training.
    pub fn new(config: Valid<AttentionConfig>) -> Result<AttentionRun, ExperimentError> {
        let config = config.into_inner();
        let kind = config.optimizer.kind();
        let original = Attention::<f32>::init(config.heads, config.seed)?;
        let mut compression_residual = 0.0;
        let mut arms = Vec::new();
        for &arm in &config.arms {
            let (net, mode) = match arm {
                AttnArm::Original => (original.clone(), GradMode::Autograd),
                AttnArm::Compressed => {
                    let cloud = Cloud::new(HEAD_PARAMS, original.head_objects());
                    let params = CompressParams {
                        seed: config.seed,
                        ..CompressParams::new(config.order, config.target)
                    }
                    .with_strategy(config.strategy);
                    let r = compress(&cloud, &params)?;
                    compression_residual = r.diagnostics.residual;
                    let net = original.subnetwork(&r.indices, Some(&r.weights))?;
                    let mode = if config.rescale {
                        GradMode::compressed()
                    } else {
                        GradMode::Autograd
                    };
                    (net, mode)
                }
                AttnArm::Naive => {
                    let mut idx: Vec<usize> = (0..config.heads).collect();
                    idx.shuffle(&mut seeded(sub_seed(config.seed, 5)));
                    idx.truncate(config.target);
                    idx.sort_unstable();
                    (original.subnetwork(&idx, None)?, GradMode::Autograd)
                }
            };
            let opt = Optimizer::new(kind, net.params().len())?;
            arms.push(ArmState {
                arm,
                net,
                opt,
                mode,
                grads: Vec::new(),
                ws: AttnWorkspace::default(),
                epoch_loss: 0.0,
                epoch_steps: 0,
                diverged: None,
            });
        }
        let picture_episode = Episode::draw(&mut seeded(sub_seed(config.seed, 6)));
        let n = config.picture_points;
        let xs: Vec<f64> = (0..n).map(|i| i as f64 / (n.max(2) - 1) as f64).collect();
        let picture = Picture {
            context: (0..icl::CONTEXT)
                .map(|i| {
                    [
                        picture_episode.tokens[2 * i],
                        picture_episode.tokens[2 * i + 1],
                    ]
                })
                .collect(),
            truth: xs
                .iter()
                .map(|&x| picture_episode.function.eval(x))
                .collect(),
            xs,
            predictions: Vec::new(),
        };
        let mut run = AttentionRun {
            config,
            arms,
            epoch: 0,
            step_in_epoch: 0,
            curve: Vec::new(),
            compression_residual,
            picture_episode,
            picture,
        };
        let test = run.test_losses();
        run.curve.push(CurvePoint {
            epoch: 0,
            train: vec![f64::NAN; run.arms.len()],
            test,
        });
        run.record_picture();
        Ok(run)
    }

    pub fn config(&self) -> &AttentionConfig {
        &self.config
    }
    pub fn arms(&self) -> Vec<AttnArm> {
        self.arms.iter().map(|a| a.arm).collect()
    }
    fn arm_names(&self) -> Vec<&'static str> {
        self.arms.iter().map(|a| a.arm.name()).collect()
    }
    pub fn epoch(&self) -> usize {
        self.epoch
    }
    pub fn curve(&self) -> &[CurvePoint] {
        &self.curve
    }
    pub fn picture(&self) -> &Picture {
        &self.picture
    }

    fn test_losses(&mut self) -> Vec<f64> {
        let mut sums = vec![0.0; self.arms.len()];
        for i in 0..self.config.test_batches {
            let (t, y) = test_batch(&self.config, self.epoch, i);
            for (a, s) in self.arms.iter_mut().zip(&mut sums) {
                if a.diverged.is_none() {
                    match a.net.loss_with(&t, SEQ_LEN, &y, &mut a.ws) {
                        Ok(l) if l.is_finite() => *s += l as f64,
                        Ok(l) => a.diverged = Some(format!("the test loss is {l}")),
                        Err(e) => a.diverged = Some(e.to_string()),
                    }
                }
            }
        }
        self.arms
            .iter()
            .zip(sums)
            .map(|(a, s)| {
                if a.diverged.is_some() {
                    f64::NAN
                } else {
                    s / self.config.test_batches as f64
                }
            })
            .collect()
    }

    /// Up to `steps` training steps of every arm on the same batches; returns the curve points finished.
    pub fn train(&mut self, steps: usize) -> &[CurvePoint] {
        let first_new = self.curve.len();
        let lr = self.config.lr;
        for _ in 0..steps.max(1) {
            if self.is_done() {
                break;
            }
            let (t, y) = train_batch(&self.config, self.epoch, self.step_in_epoch);
            for a in self.arms.iter_mut().filter(|a| a.diverged.is_none()) {
                let r = a
                    .net
                    .loss_and_grad(&t, SEQ_LEN, &y, a.mode, &mut a.grads, &mut a.ws)
                    .and_then(|loss| {
                        a.opt.step(a.net.params_mut(), &a.grads, lr)?;
                        Ok(loss)
                    });
                match r {
                    Ok(loss) if loss.is_finite() && a.net.is_finite() => {
                        a.epoch_loss += loss as f64;
                        a.epoch_steps += 1;
                    }
                    Ok(loss) => a.diverged = Some(format!("diverged: the batch loss is {loss}")),
                    Err(e) => a.diverged = Some(e.to_string()),
                }
            }
            self.step_in_epoch += 1;
            if self.step_in_epoch == self.config.steps_per_epoch {
                self.finish_epoch();
            }
        }
        &self.curve[first_new..]
    }

    fn finish_epoch(&mut self) {
        self.epoch += 1;
        self.step_in_epoch = 0;
        let train = self
            .arms
            .iter_mut()
            .map(|a| {
                let l = if a.epoch_steps > 0 && a.diverged.is_none() {
                    a.epoch_loss / a.epoch_steps as f64
                } else {
                    f64::NAN
                };
                a.epoch_loss = 0.0;
                a.epoch_steps = 0;
                l
            })
            .collect();
        let test = self.test_losses();
        self.curve.push(CurvePoint {
            epoch: self.epoch,
            train,
            test,
        });
        self.record_picture();
    }

    /// Every arm's prediction across the picture's x* grid (NaN for a diverged arm).
    pub fn picture_now(&self) -> Vec<Vec<f32>> {
        let mut tokens = Vec::with_capacity(self.picture.xs.len() * SEQ_LEN);
        for &x in &self.picture.xs {
            let (t, _) = self.picture_episode.with_query(x);
            tokens.extend(t.iter().map(|&v| v as f32));
        }
        self.arms
            .iter()
            .map(|a| match (&a.diverged, a.net.predict(&tokens, SEQ_LEN)) {
                (None, Ok(p)) => p,
                _ => vec![f32::NAN; self.picture.xs.len()],
            })
            .collect()
    }

    fn record_picture(&mut self) {
        if self.config.picture_points > 0 {
            let p = self.picture_now();
            self.picture.predictions.push((self.epoch, p));
        }
    }

    pub fn summary(&self) -> AttentionSummary {
        let test_at =
            |i: usize, e: usize| self.curve.iter().find(|p| p.epoch == e).map(|p| p.test[i]);
        let last = self.curve.last();
        let arms: Vec<AttnArmSummary> = self
            .arms
            .iter()
            .enumerate()
            .map(|(i, a)| AttnArmSummary {
                arm: a.arm,
                heads: a.net.heads(),
                initial_test: self.curve[0].test[i],
                final_test: last.map_or(f64::NAN, |p| p.test[i]),
                final_train: last.map_or(f64::NAN, |p| p.train[i]),
                table: TABLE_EPOCHS
                    .iter()
                    .filter_map(|&e| test_at(i, e).map(|l| (e, l)))
                    .collect(),
                diverged: a.diverged.clone(),
            })
            .collect();
        let ratio = |arm: AttnArm| -> Vec<(usize, f64)> {
            let (Some(o), Some(x)) = (
                self.arms.iter().position(|a| a.arm == AttnArm::Original),
                self.arms.iter().position(|a| a.arm == arm),
            ) else {
                return Vec::new();
            };
            let mut epochs: Vec<usize> = TABLE_EPOCHS.to_vec();
            if !epochs.contains(&self.epoch) {
                epochs.push(self.epoch);
            }
            epochs
                .into_iter()
                .filter_map(|e| Some((e, test_at(x, e)? / test_at(o, e)?)))
                .collect()
        };
        AttentionSummary {
            ratio_compressed: ratio(AttnArm::Compressed),
            ratio_naive: ratio(AttnArm::Naive),
            arms,
            compression_residual: self.compression_residual,
            rescale: self.config.rescale,
            epochs_done: self.epoch,
        }
    }
}

impl Experiment for AttentionRun {
    const KIND: &'static str = "attention";
    const ABOUT: &'static str = "\
Fig. 7, the dynamical lottery ticket in attention: a causal multi-head attention layer (H heads of
dimension 2 over scalar tokens) learns in-context regression of piecewise-linear functions; its heads
compressed by moment matching (order k, head h's context x c_h, gradients x 1/c_h; --no-rescale: the
authors' variant) and H' random heads train on the same batches. Writes every arm's train/test curve,
the losses at the epochs of the authors' table, the compression residual, and the picture: every arm's
prediction y(x*) across x* in [0, 1] for one fixed episode at every epoch.";
    type Config = AttentionConfig;
    type Item = CurvePoint;
    type Summary = AttentionSummary;

    fn presets() -> Vec<Preset<AttentionConfig>> {
        presets()
    }

    fn build(config: Valid<AttentionConfig>, _host: &Host) -> Result<Self, ExperimentError> {
        AttentionRun::new(config)
    }

    fn config(&self) -> &AttentionConfig {
        &self.config
    }

    /// Up to `budget` training steps (mini-batches) of every arm.
    fn step(&mut self, budget: usize) -> Result<(), ExperimentError> {
        self.train(budget);
        Ok(())
    }

    fn progress(&self) -> f64 {
        let per = self.config.steps_per_epoch;
        let done = self.epoch * per + self.step_in_epoch;
        (done as f64 / (self.config.epochs * per) as f64).min(1.0)
    }

    fn is_done(&self) -> bool {
        self.epoch >= self.config.epochs || self.arms.iter().all(|a| a.diverged.is_some())
    }

    fn status(&self) -> String {
        super::arms::epoch_status(&self.curve, self.epoch, self.config.epochs, 5)
    }

    fn items(&self) -> &[CurvePoint] {
        &self.curve
    }

    fn summary(&self) -> AttentionSummary {
        AttentionRun::summary(self)
    }

    fn seed(&self) -> Option<u64> {
        Some(self.config.seed)
    }

    /// The arms' names and the picture (the episode, the true function, every arm's predictions at
    /// every epoch).
    fn extras(&self) -> Result<Vec<(&'static str, Value)>, ExperimentError> {
        Ok(vec![
            ("arms", to_json(&self.arm_names())?),
            ("picture", to_json(&self.picture)?),
        ])
    }

    /// `arms`, and `picture`: `{context, xs, truth}` of the fixed episode (its predictions come with
    /// the progress, see [`Experiment::live`]).
    fn info(&self) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        Ok(vec![
            ("arms", Payload::json(&self.arm_names())?),
            (
                "picture",
                Payload::Object(vec![
                    ("context", Payload::json(&self.picture.context)?),
                    ("xs", Payload::F64(self.picture.xs.clone())),
                    ("truth", Payload::F64(self.picture.truth.clone())),
                ]),
            ),
        ])
    }

    /// `frames`: the picture's predictions recorded since `cursor`, `[{epoch, data}]` with `data` the
    /// arms' predictions one after the other (arms × points, f32).
    fn live(&self, cursor: &mut usize) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        let recorded = &self.picture.predictions;
        let from = (*cursor).min(recorded.len());
        *cursor = recorded.len();
        if from == recorded.len() {
            return Ok(Vec::new());
        }
        let frames = recorded[from..]
            .iter()
            .map(|(epoch, arms)| {
                Ok(Payload::Object(vec![
                    ("epoch", Payload::json(epoch)?),
                    ("data", Payload::F32(arms.concat())),
                ]))
            })
            .collect::<Result<Vec<_>, ExperimentError>>()?;
        Ok(vec![("frames", Payload::List(frames))])
    }

    fn flags() -> &'static [Flag] {
        const FLAGS: &[Flag] = &[
            Flag::value("batch", "batch_size", "the mini-batch size (episodes)").at_least(1),
            Flag::switch(
                "no-rescale",
                "rescale",
                false,
                "the authors' variant: the compressed heads' gradients are not multiplied by 1/c_h",
            ),
        ];
        FLAGS
    }
}
