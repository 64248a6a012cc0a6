//! "Compress a cloud": the authors' smallest demo. `d` points from a standard normal in R^m (or a user's
//! CSV), compressed to a weighted subset of `d'` of them that keeps every moment up to order `k`.
//!
//! Defaults mirror the paper's demo: d = 1000, m = 2, k = 2 (N(2,2) = 6 moments), d' = 40.

use serde::{Deserialize, Serialize};

use crate::compress::{
    self, Cloud, CompressError, CompressParams, Compressor, MomentRow, Progress, Strategy,
};
use crate::data::csv::{self, CsvError};
use crate::rng::{seeded, standard_normal};

/// The largest cloud the page accepts (generated or uploaded).
pub const MAX_POINTS: usize = 1_000_000;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudConfig {
    #[serde(default = "d_seed")]
    pub seed: u64,
    #[serde(default = "d_d")]
    pub d: usize,
    #[serde(default = "d_dim")]
    pub dim: usize,
    #[serde(default = "d_k")]
    pub k: usize,
    #[serde(default = "d_target")]
    pub target: usize,
    #[serde(default)]
    pub strategy: Strategy,
}

fn d_seed() -> u64 {
    1
}
fn d_d() -> usize {
    1000
}
fn d_dim() -> usize {
    2
}
fn d_k() -> usize {
    2
}
fn d_target() -> usize {
    40
}

impl Default for CloudConfig {
    fn default() -> Self {
        CloudConfig {
            seed: d_seed(),
            d: d_d(),
            dim: d_dim(),
            k: d_k(),
            target: d_target(),
            strategy: Strategy::Auto,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum CloudError {
    Config(String),
    Csv(CsvError),
    Compress(CompressError),
}

impl std::fmt::Display for CloudError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloudError::Config(m) => write!(f, "{m}"),
            CloudError::Csv(e) => write!(f, "{e}"),
            CloudError::Compress(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CloudError {}

impl From<CompressError> for CloudError {
    fn from(e: CompressError) -> Self {
        CloudError::Compress(e)
    }
}

/// Summary of a finished (or current) run, as the page and the CLI show it.
#[derive(Clone, Debug, Serialize)]
pub struct CloudSummary {
    pub d: usize,
    pub dim: usize,
    pub k: usize,
    pub n_moments: usize,
    pub target: usize,
    pub kept: usize,
    pub residual: f64,
    pub max_rel_moment_diff: f64,
    pub rounds: usize,
    pub max_cluster_diameter: f64,
    pub factorisations: usize,
    pub moments: Vec<MomentRow>,
}

pub struct CloudRun {
    config: CloudConfig,
    compressor: Compressor,
}

impl CloudRun {
    /// A standard-normal cloud from the config's seed.
    pub fn new(config: CloudConfig) -> Result<CloudRun, CloudError> {
        compress::check_order(config.k)?;
        if config.d == 0 {
            return Err(CloudError::Config("d must be at least 1".into()));
        }
        if config.dim == 0 || config.dim > 16 {
            return Err(CloudError::Config(
                "dimension m must be between 1 and 16".into(),
            ));
        }
        if config.d > MAX_POINTS {
            return Err(CloudError::Config(format!(
                "d = {} is above the limit of {MAX_POINTS} points",
                config.d
            )));
        }
        check_target(config.target, config.d)?;
        let mut rng = seeded(config.seed);
        let points = (0..config.d * config.dim)
            .map(|_| standard_normal(&mut rng))
            .collect();
        Self::with_cloud(config.clone(), Cloud::new(config.dim, points))
    }

    /// A user's cloud from CSV text; `config.d` and `config.dim` are taken from the file.
    pub fn from_csv(text: &str, mut config: CloudConfig) -> Result<CloudRun, CloudError> {
        compress::check_order(config.k)?;
        let cloud = csv::parse_cloud(text, MAX_POINTS).map_err(CloudError::Csv)?;
        config.d = cloud.len();
        config.dim = cloud.dim;
        check_target(config.target, config.d)?;
        Self::with_cloud(config, cloud)
    }

    fn with_cloud(config: CloudConfig, cloud: Cloud) -> Result<CloudRun, CloudError> {
        let params = CompressParams {
            seed: config.seed,
            ..CompressParams::new(config.k, config.target)
        }
        .with_strategy(config.strategy);
        let compressor = Compressor::new(cloud, params)?;
        Ok(CloudRun { config, compressor })
    }

    pub fn config(&self) -> &CloudConfig {
        &self.config
    }

    pub fn step(&mut self, budget: usize) -> Progress {
        self.compressor.step(budget)
    }

    pub fn is_done(&self) -> bool {
        self.compressor.is_done()
    }

    /// The compressor, e.g. to record and read the clusters it reduces while stepping.
    pub fn compressor(&self) -> &Compressor {
        &self.compressor
    }

    pub fn record_clusters(&mut self) {
        self.compressor.record_clusters();
    }

    pub fn cloud(&self) -> &Cloud {
        self.compressor.cloud()
    }

    pub fn result(&self) -> compress::Compressed {
        self.compressor.result()
    }

    pub fn summary(&self) -> CloudSummary {
        let r = self.result();
        let cloud = self.cloud();
        let moments = compress::moment_table(cloud, &r.indices, &r.weights, self.config.k);
        CloudSummary {
            d: cloud.len(),
            dim: cloud.dim,
            k: self.config.k,
            n_moments: moments.len(),
            target: self.config.target,
            kept: r.indices.len(),
            residual: r.diagnostics.residual,
            max_rel_moment_diff: moments.iter().map(|m| m.rel_diff).fold(0.0, f64::max),
            rounds: r.diagnostics.rounds,
            max_cluster_diameter: r
                .diagnostics
                .max_diameter_per_round
                .iter()
                .cloned()
                .fold(0.0, f64::max),
            factorisations: r.diagnostics.factorisations,
            moments,
        }
    }

    /// `index,weight,x1..xm` CSV of the kept points.
    pub fn kept_csv(&self) -> String {
        let r = self.result();
        csv::write_kept(self.cloud(), &r.indices, &r.weights)
    }
}

fn check_target(target: usize, d: usize) -> Result<(), CloudError> {
    if target >= d {
        return Err(CloudError::Config(format!(
            "target size {target} must be smaller than the number of points d = {d}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_demo_keeps_40_with_exact_moments() {
        let mut run = CloudRun::new(CloudConfig::default()).unwrap();
        while !run.step(50).done {}
        let s = run.summary();
        assert_eq!(s.kept, 40);
        assert_eq!(s.n_moments, 6);
        assert!(s.residual < 1e-12, "{}", s.residual);
        assert!(s.max_rel_moment_diff < 1e-12, "{}", s.max_rel_moment_diff);
    }

    #[test]
    fn bad_configs_are_errors() {
        let bad = |c: CloudConfig| CloudRun::new(c).err().expect("must fail").to_string();
        assert!(
            bad(CloudConfig {
                target: 3,
                ..Default::default()
            })
            .contains("below N(m=2, k=2) = 6")
        );
        assert!(
            bad(CloudConfig {
                target: 1000,
                ..Default::default()
            })
            .contains("smaller than")
        );
        assert!(
            bad(CloudConfig {
                d: 0,
                ..Default::default()
            })
            .contains("at least 1")
        );
        assert!(
            bad(CloudConfig {
                dim: 0,
                ..Default::default()
            })
            .contains("dimension")
        );
    }
}
