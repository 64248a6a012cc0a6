//! [`Trainer`]: a net, its optimiser, gradient mode and learning-rate schedule, with preallocated buffers.
//! One [`Trainer::step`] = one forward/backward on a batch and one optimiser update (no allocation).
//! A non-finite loss (or parameters that became non-finite) is reported as [`NnError::Diverged`],
//! never a panic; on a non-finite loss the parameters are left as they were before the step.

use serde::{Deserialize, Serialize};

use super::batches::BatchStream;
use super::net::{GradMode, Grads, Samples, TwoLayerNet, Workspace};
use super::optim::{CosineAnnealing, Optimizer, OptimizerKind, check_lr};
use super::{NnError, Real};

/// Learning-rate schedule, stepped per epoch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "schedule", rename_all = "lowercase")]
pub enum Schedule {
    #[default]
    Constant,
    /// PyTorch `CosineAnnealingLR(T_max = t_max, eta_min)`; the paper uses `t_max = epochs`, `eta_min = 0`.
    Cosine { t_max: u64, eta_min: f64 },
}

/// Everything about how an arm is trained except its data and batches.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub optimizer: OptimizerKind,
    /// Initial learning rate (finite, > 0).
    pub lr: f64,
    pub grad_mode: GradMode,
    pub schedule: Schedule,
}

impl TrainConfig {
    /// Constant lr, true gradient.
    pub fn new(optimizer: OptimizerKind, lr: f64) -> Self {
        TrainConfig {
            optimizer,
            lr,
            grad_mode: GradMode::Autograd,
            schedule: Schedule::Constant,
        }
    }
    pub fn with_grad_mode(mut self, mode: GradMode) -> Self {
        self.grad_mode = mode;
        self
    }
    /// Cosine annealing to 0 over `epochs`.
    pub fn with_cosine(mut self, epochs: u64) -> Self {
        self.schedule = Schedule::Cosine {
            t_max: epochs,
            eta_min: 0.0,
        };
        self
    }
    /// Checks lr, optimiser hyper-parameters and schedule.
    pub fn validate(&self) -> Result<(), NnError> {
        check_lr(self.lr)?;
        self.optimizer.validate()?;
        if let GradMode::Compressed { tol } = self.grad_mode
            && !(tol >= 0.0 && tol.is_finite())
        {
            return Err(NnError::BadHyperparameter {
                name: "tol",
                value: tol,
                expected: "finite and ≥ 0",
            });
        }
        if let Schedule::Cosine { t_max, eta_min } = self.schedule {
            CosineAnnealing::with_min(self.lr, t_max, eta_min)?;
        }
        Ok(())
    }
    /// Learning rate in epoch `epoch`.
    pub fn lr_at(&self, epoch: u64) -> f64 {
        match self.schedule {
            Schedule::Constant => self.lr,
            Schedule::Cosine { t_max, eta_min } => CosineAnnealing {
                base_lr: self.lr,
                t_max,
                eta_min,
            }
            .lr(epoch),
        }
    }
}

/// A training run of one arm.
#[derive(Clone, Debug)]
pub struct Trainer<T> {
    net: TwoLayerNet<T>,
    config: TrainConfig,
    opt: Optimizer<T>,
    grads: Grads<T>,
    ws: Workspace<T>,
    steps: u64,
}

impl<T: Real> Trainer<T> {
    pub fn new(net: TwoLayerNet<T>, config: TrainConfig) -> Result<Self, NnError> {
        config.validate()?;
        let opt = Optimizer::new(config.optimizer, net.n_params())?;
        let grads = Grads::new(&net);
        let ws = Workspace::new(&net);
        Ok(Trainer {
            net,
            config,
            opt,
            grads,
            ws,
            steps: 0,
        })
    }

    pub fn net(&self) -> &TwoLayerNet<T> {
        &self.net
    }
    pub fn into_net(self) -> TwoLayerNet<T> {
        self.net
    }
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }
    /// The gradient of the last step (after the gradient mode's scaling).
    pub fn grads(&self) -> &Grads<T> {
        &self.grads
    }
    /// Optimiser steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// One step on `batch` (indices into `data`; `None` = full batch) with the schedule's lr for `epoch`.
    /// Returns the batch loss *before* the update.
    pub fn step(
        &mut self,
        data: &Samples<'_, T>,
        batch: Option<&[usize]>,
        epoch: u64,
    ) -> Result<T, NnError> {
        let lr = self.config.lr_at(epoch);
        self.step_lr(data, batch, lr)
    }

    /// One step with an explicit learning rate (≥ 0).
    pub fn step_lr(
        &mut self,
        data: &Samples<'_, T>,
        batch: Option<&[usize]>,
        lr: f64,
    ) -> Result<T, NnError> {
        let loss = self.net.loss_and_grad(
            data,
            batch,
            self.config.grad_mode,
            &mut self.grads,
            &mut self.ws,
        )?;
        if !loss.is_finite() {
            return Err(NnError::Diverged {
                step: self.steps,
                loss: loss.to_f64(),
            });
        }
        self.opt
            .step(self.net.params_mut(), self.grads.flat(), lr)?;
        self.steps += 1;
        if !self.net.is_finite() {
            return Err(NnError::Diverged {
                step: self.steps,
                loss: f64::NAN,
            });
        }
        Ok(loss)
    }

    /// One epoch of `stream` (epoch `epoch`'s batches, lr of `epoch`). `order` is a reusable buffer.
    /// Returns the mean of the batch losses.
    pub fn run_epoch(
        &mut self,
        data: &Samples<'_, T>,
        stream: &BatchStream,
        epoch: u64,
        order: &mut Vec<usize>,
    ) -> Result<f64, NnError> {
        if stream.n() != data.len() {
            return Err(NnError::DimMismatch {
                what: "batch stream size (samples in the data set)",
                expected: data.len(),
                got: stream.n(),
            });
        }
        stream.fill_epoch(epoch, order);
        let lr = self.config.lr_at(epoch);
        let mut sum = 0.0;
        let mut count = 0usize;
        for batch in stream.batches(order) {
            sum += self.step_lr(data, Some(batch), lr)?.to_f64();
            count += 1;
        }
        Ok(sum / count as f64)
    }

    /// Loss of the current net on all of `data` (weighted if `data` has weights).
    pub fn evaluate(&mut self, data: &Samples<'_, T>) -> Result<T, NnError> {
        self.net.loss(data, None, &mut self.ws)
    }

    /// Predictions of the current net (`x` row-major `n × input_dim`, `out` length `n`).
    pub fn predict(&mut self, x: &[T], out: &mut [T]) -> Result<(), NnError> {
        self.net.predict(x, out, &mut self.ws)
    }
}
