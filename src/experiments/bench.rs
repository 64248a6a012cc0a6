//! The compressor benchmark case, shared by `cargo bench`, the CLI and the browser bench page (callers
//! time it; the core has no clock): a uniform cloud in `[-1,1]^m` compressed `d → d'`, with the moment
//! residual and the error on the Fig. 2 sigmoid function.

use serde::{Deserialize, Serialize};

use super::error_scaling::compression_error;
use crate::compress::{Cloud, CompressError, CompressParams, Strategy, compress};
use crate::data::symmetric::{probes, sigmoid};
use crate::rng::{seeded, uniform};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchCase {
    pub dim: usize,
    pub order: usize,
    pub d: usize,
    pub target: usize,
    #[serde(default)]
    pub strategy: Strategy,
    #[serde(default)]
    pub seed: u64,
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
    pub fn prepare(&self) -> PreparedCase {
        let mut rng = seeded(self.seed);
        let pts = (0..self.d * self.dim)
            .map(|_| uniform(&mut rng, -1.0, 1.0))
            .collect();
        let probes = probes(&mut rng, self.dim, 10);
        PreparedCase {
            case: self.clone(),
            cloud: Cloud::new(self.dim, pts),
            probes,
        }
    }
}

impl PreparedCase {
    pub fn run(&self) -> Result<BenchOutcome, CompressError> {
        let params = CompressParams {
            seed: self.case.seed,
            ..CompressParams::new(self.case.order, self.case.target)
        }
        .with_strategy(self.case.strategy);
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
