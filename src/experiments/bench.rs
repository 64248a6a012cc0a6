//! The compressor benchmark case, shared by `cargo bench`, the CLI and the browser bench page (callers
//! time it; the core has no clock): a uniform cloud in `[-1,1]^m` compressed `d → d'`, with the moment
//! residual and the error on the Fig. 2 sigmoid function.

use serde::{Deserialize, Serialize};

use super::fig2::compression_error;
use crate::compress::{Cloud, CompressError, CompressParams, Strategy, compress};
use crate::data::symmetric::{probes, sigmoid};
use crate::experiments::ExperimentError;
use crate::experiments::cost::{self, Cost, Hints};
use crate::experiments::params::by_name;
use crate::nn::{
    Activation, GradMode, Grads, NnError, OptimizerName, Samples, TrainConfig, Trainer,
    TwoLayerNet, Workspace,
};
use crate::rng::{seeded, uniform};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchCase {
    pub dim: usize,
    pub order: usize,
    pub d: usize,
    pub target: usize,
    #[serde(default, deserialize_with = "by_name")]
    pub strategy: Strategy,
    #[serde(default)]
    pub seed: u64,
    /// Compressor threads ([`CompressParams::threads`]; native only, the wasm build always uses one).
    #[serde(default = "one")]
    pub threads: usize,
}

fn one() -> usize {
    1
}

#[derive(Clone, Debug, Serialize)]
pub struct BenchOutcome {
    pub kept: usize,
    pub residual: f64,
    pub fig2_error: f64,
    pub factorisations: usize,
}

/// The case's input (not timed) and a closure-free run (timed by the caller).
pub struct PreparedCase {
    pub case: BenchCase,
    pub cloud: Cloud,
    pub probes: Vec<f64>,
}

impl BenchCase {
    /// Checks the sizes (as a cloud run does: d ≥ 2 points, target below d, order within
    /// [`crate::compress::MAX_ORDER`]) and the cost: `run` compresses in one call, so the whole
    /// compression counts against the cap of one call.
    pub fn validate(&self) -> Result<(), ExperimentError> {
        crate::compress::check_order(self.order)?;
        if self.dim == 0 || self.d < 2 || self.target >= self.d {
            return Err(ExperimentError::invalid(
                "target",
                format!(
                    "need m ≥ 1 and 0 ≤ d' < d (got m = {}, d = {}, d' = {})",
                    self.dim, self.d, self.target
                ),
            ));
        }
        let c = super::cloud::cloud_cost(
            self.d,
            self.dim,
            self.order,
            self.target,
            self.strategy,
            self.threads,
        );
        Cost {
            call_flops: c.run_flops,
            ..c
        }
        .check(&Hints {
            call: "lower d, d' or the order",
            run: "lower d, d' or the order",
            bytes: "lower d or the order",
        })
    }

    /// The case's input (not timed), after [`Self::validate`].
    pub fn prepare(&self) -> Result<PreparedCase, ExperimentError> {
        self.validate()?;
        let mut rng = seeded(self.seed);
        let pts = (0..self.d * self.dim)
            .map(|_| uniform(&mut rng, -1.0, 1.0))
            .collect();
        let probes = probes(&mut rng, self.dim, 10);
        Ok(PreparedCase {
            case: self.clone(),
            cloud: Cloud::new(self.dim, pts),
            probes,
        })
    }
}

impl PreparedCase {
    pub fn run(&self) -> Result<BenchOutcome, CompressError> {
        let params = CompressParams {
            seed: self.case.seed,
            ..CompressParams::new(self.case.order, self.case.target)
        }
        .with_strategy(self.case.strategy)
        .with_threads(self.case.threads);
        let r = compress(&self.cloud, &params)?;
        Ok(BenchOutcome {
            kept: r.indices.len(),
            residual: r.diagnostics.residual,
            fig2_error: compression_error(
                &self.cloud,
                &r.indices,
                &r.weights,
                &self.probes,
                sigmoid,
            ),
            factorisations: r.diagnostics.factorisations,
        })
    }
}

/// The nn-kernel benchmark (issue 4): a `m → d → 1` ReLU net in f32 on a fixed uniform data set, stepped
/// by the caller, who times it (the core has no clock). Shared by the CLI's `bench` command and the
/// browser's `NnBench`, so both sides do exactly the same work.
///
/// Flop count (the convention of `benches/nn.rs` and the issue): a forward pass is `2 d (m + 1)` flops per
/// sample (one multiply-add per hidden weight and per output weight), forward + backward is counted as
/// 3 × forward, so one gradient step on a batch of `B` samples is `6 d (m + 1) B` flops — 2 359 296 for
/// 2→1024→1, batch 128. Bias adds, the activation and the optimiser update are not counted.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NnBenchConfig {
    pub input_dim: usize,
    pub width: usize,
    pub batch: usize,
    /// Data-set size; batches are 32 fixed index lists into it.
    pub samples: usize,
    /// Optimiser for `train_steps` (`sgd`, `adam`, …).
    #[serde(deserialize_with = "by_name")]
    pub optimizer: OptimizerName,
    pub lr: f64,
    pub seed: u64,
}

impl Default for NnBenchConfig {
    fn default() -> Self {
        NnBenchConfig {
            input_dim: 2,
            width: 1024,
            batch: 128,
            samples: 4096,
            optimizer: OptimizerName::Adam,
            lr: 1e-3,
            seed: 1,
        }
    }
}

pub struct NnBench {
    config: NnBenchConfig,
    x: Vec<f32>,
    y: Vec<f32>,
    batches: Vec<Vec<usize>>,
    trainer: Trainer<f32>,
    grads: Grads<f32>,
    ws: Workspace<f32>,
    next: usize,
}

impl NnBench {
    pub fn new(config: NnBenchConfig) -> Result<NnBench, ExperimentError> {
        let (m, n, bs) = (config.input_dim, config.samples, config.batch);
        if bs == 0 || bs > n {
            return Err(NnError::EmptyData.into());
        }
        // The data set, the net and 32 batches are made here, in one call.
        let (w, mf, nf) = (config.width as f64, m as f64, n as f64);
        let cost = Cost {
            call_flops: nf * mf * 40.0 + w * mf * 20.0,
            run_flops: 0.0,
            bytes: nf * (mf + 1.0) * 4.0
                + 32.0 * bs as f64 * 8.0
                + 2.0 * cost::trainer_bytes(w, mf),
        };
        cost.check(&Hints {
            call: "lower the samples or the width",
            run: "",
            bytes: "lower the samples, the batch or the width",
        })?;
        let mut r = seeded(config.seed);
        let x: Vec<f32> = (0..n * m)
            .map(|_| uniform(&mut r, -1.0, 1.0) as f32)
            .collect();
        let y: Vec<f32> = (0..n).map(|_| uniform(&mut r, -1.0, 1.0) as f32).collect();
        Samples::new(&x, &y, m)?;
        let net = TwoLayerNet::<f32>::init(m, config.width, Activation::Relu, config.seed)?;
        let batches = (0..32)
            .map(|b| (0..bs).map(|s| (b * bs + s * 7) % n).collect())
            .collect();
        let kind = config.optimizer.kind();
        let grads = Grads::new(&net);
        let ws = Workspace::new(&net);
        let trainer = Trainer::new(net, TrainConfig::new(kind, config.lr))?;
        Ok(NnBench {
            config,
            x,
            y,
            batches,
            trainer,
            grads,
            ws,
            next: 0,
        })
    }

    pub fn config(&self) -> &NnBenchConfig {
        &self.config
    }

    /// Flops of one forward + backward pass on one batch: `6 d (m + 1) B`.
    pub fn flops_per_grad_step(&self) -> f64 {
        let c = &self.config;
        6.0 * (c.width * (c.input_dim + 1)) as f64 * c.batch as f64
    }

    /// `n` forward + backward passes (gradient only, parameters unchanged); returns the last batch loss.
    pub fn grad_steps(&mut self, n: usize) -> Result<f32, NnError> {
        let data = Samples::new(&self.x, &self.y, self.config.input_dim)?;
        let mut loss = 0.0;
        for _ in 0..n {
            let b = &self.batches[self.next % self.batches.len()];
            self.next += 1;
            loss = self.trainer.net().loss_and_grad(
                &data,
                Some(b),
                GradMode::compressed(),
                &mut self.grads,
                &mut self.ws,
            )?;
        }
        Ok(loss)
    }

    /// `n` training steps (forward + backward + optimiser update); returns the last batch loss.
    pub fn train_steps(&mut self, n: usize) -> Result<f32, NnError> {
        let data = Samples::new(&self.x, &self.y, self.config.input_dim)?;
        let mut loss = 0.0;
        for _ in 0..n {
            let b = &self.batches[self.next % self.batches.len()];
            self.next += 1;
            loss = self.trainer.step_lr(&data, Some(b), self.config.lr)?;
        }
        Ok(loss)
    }

    /// The data set (row-major `samples × input_dim`) and targets, for a reference implementation.
    pub fn data(&self) -> (&[f32], &[f32]) {
        (&self.x, &self.y)
    }

    /// The 32 batches (index lists into the data set), used in turn.
    pub fn batches(&self) -> &[Vec<usize>] {
        &self.batches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nn_bench_counts_flops_and_steps_deterministically() {
        let cfg = NnBenchConfig {
            width: 64,
            samples: 512,
            ..NnBenchConfig::default()
        };
        let mut a = NnBench::new(cfg.clone()).unwrap();
        let mut b = NnBench::new(cfg).unwrap();
        assert_eq!(a.flops_per_grad_step(), 6.0 * 64.0 * 3.0 * 128.0);
        let g = a.grad_steps(3).unwrap();
        assert_eq!(g.to_bits(), b.grad_steps(3).unwrap().to_bits());
        let l = a.train_steps(5).unwrap();
        assert!(l.is_finite());
        assert_eq!(l.to_bits(), b.train_steps(5).unwrap().to_bits());
        assert_eq!(a.batches().len(), 32);
        assert!(
            NnBench::new(NnBenchConfig {
                batch: 0,
                ..NnBenchConfig::default()
            })
            .is_err()
        );
    }
}
