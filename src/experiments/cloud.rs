//! "Compress a cloud": the authors' smallest demo. `d` points from a standard normal in R^m (or a user's
//! CSV), compressed to a weighted subset of `d'` of them that keeps every moment up to order `k`.
//!
//! Defaults mirror the paper's demo: d = 1000, m = 2, k = 2 (N(2,2) = 6 moments), d' = 40.

use serde::{Deserialize, Serialize};

use crate::compress::{
    self, Cloud, CompressError, CompressParams, Compressor, MomentFrame, MomentRow, Progress,
    Strategy,
};
use crate::data::csv::{self, CsvError};
use crate::experiments::cost::{Cost, Hints};
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
///
/// - `moments`: one row per `|α| ≤ k` (see [`MomentRow`]), in the coordinates of `moment_frame`.
/// - `moment_frame`: `{centre, scale}`, the table's coordinates `u = (x − centre) / scale`: the identity
///   (centre 0, scale 1, raw moments of the input) whenever those are finite, else the cloud's bounding
///   box mapped to `[-1, 1]^m` (coordinates whose powers overflow `f64`, e.g. 1e200 at k = 2). The moment
///   space is the same in every frame, so the table says the same thing.
/// - `max_rel_moment_diff`: the largest `rel_diff`; NaN (JSON `null`) if any is NaN, never dropped.
/// - `moments_finite`: every number of the table is finite (false only if the compression itself broke
///   down, e.g. a non-finite weight).
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
    pub moments_finite: bool,
    pub rounds: usize,
    pub max_cluster_diameter: f64,
    pub factorisations: usize,
    pub moment_frame: MomentFrame,
    pub moments: Vec<MomentRow>,
}

/// The largest of `values`, NaN if any is NaN (`f64::max` would drop it); 0 for none.
pub fn max_or_nan(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(0.0, |a: f64, b| {
        if a.is_nan() || b.is_nan() {
            f64::NAN
        } else {
            a.max(b)
        }
    })
}

pub struct CloudRun {
    config: CloudConfig,
    compressor: Compressor,
}

impl CloudConfig {
    /// Checks a config for a generated cloud: sizes, order, target, cost.
    pub fn validate(&self) -> Result<(), CloudError> {
        compress::check_order(self.k)?;
        if self.d == 0 {
            return Err(CloudError::Config("d must be at least 1".into()));
        }
        if self.dim == 0 || self.dim > 16 {
            return Err(CloudError::Config(
                "dimension m must be between 1 and 16".into(),
            ));
        }
        if self.d > MAX_POINTS {
            return Err(CloudError::Config(format!(
                "d = {} is above the limit of {MAX_POINTS} points",
                self.d
            )));
        }
        check_target(self.target, self.d)?;
        check_moments(self.target, self.dim, self.k)?;
        self.check_cost()
    }

    /// The cost of the run (see [`crate::experiments::cost`]) with this config's `d` and `dim`: making the
    /// cloud, compressing it, and the summary's moment table.
    pub fn cost(&self) -> Cost {
        cloud_cost(self.d, self.dim, self.k, self.target, self.strategy, 1)
    }

    fn check_cost(&self) -> Result<(), CloudError> {
        self.cost()
            .check(&Hints {
                call: "lower the number of points d, the target d′ or the order k (or use the auto strategy)",
                run: "lower the number of points d, the target d′ or the order k",
                bytes: "lower the number of points d or the order k",
            })
            .map_err(CloudError::Config)
    }
}

/// The cost of a cloud run of `d` points in `dim` dimensions compressed to `target` at order `k` with
/// `strategy` on `threads` threads: making (or reading) the cloud, compressing it, and the summary's
/// moment table (`N(m,k)` sums over every point, twice if the raw moments overflow).
pub fn cloud_cost(
    d: usize,
    dim: usize,
    k: usize,
    target: usize,
    strategy: Strategy,
    threads: usize,
) -> Cost {
    let c = compress::estimated_cost(d, dim, k, target, strategy, threads);
    let n_mom = compress::n_moments(dim, k).map_or(f64::INFINITY, |n| n as f64);
    let (df, m) = (d as f64, dim as f64);
    let make = 20.0 * df * m;
    let table = 2.0 * n_mom * (df + target as f64) * (2.0 * m + k as f64);
    Cost {
        call_flops: (c.largest_call_flops + make).max(table),
        run_flops: make + c.flops + table,
        bytes: df * (8.0 * m + 8.0) + c.bytes + n_mom * (4.0 * m + 64.0),
    }
}

impl CloudRun {
    /// A standard-normal cloud from the config's seed.
    pub fn new(config: CloudConfig) -> Result<CloudRun, CloudError> {
        config.validate()?;
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
        config.check_cost()?;
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
        let (moment_frame, moments) =
            compress::moment_table(cloud, &r.indices, &r.weights, self.config.k);
        CloudSummary {
            d: cloud.len(),
            dim: cloud.dim,
            k: self.config.k,
            n_moments: moments.len(),
            target: self.config.target,
            kept: r.indices.len(),
            residual: r.diagnostics.residual,
            max_rel_moment_diff: max_or_nan(moments.iter().map(|m| m.rel_diff)),
            moments_finite: compress::table_is_finite(&moments),
            rounds: r.diagnostics.rounds,
            max_cluster_diameter: max_or_nan(r.diagnostics.max_diameter_per_round.iter().cloned()),
            factorisations: r.diagnostics.factorisations,
            moment_frame,
            moments,
        }
    }

    /// `index,weight,x1..xm` CSV of the kept points.
    pub fn kept_csv(&self) -> String {
        let r = self.result();
        csv::write_kept(self.cloud(), &r.indices, &r.weights)
    }
}

/// The target must hold the `N(m,k)` moments (the compressor checks it too; here it comes before the cloud
/// is made).
fn check_moments(target: usize, dim: usize, k: usize) -> Result<(), CloudError> {
    let n_moments = compress::n_moments(dim, k).unwrap_or(usize::MAX);
    if target < n_moments {
        return Err(CloudError::Compress(CompressError::TargetBelowMoments {
            target,
            n_moments,
            dim,
            order: k,
        }));
    }
    Ok(())
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
    use crate::rng::{seeded, standard_normal};

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

    /// Coordinates whose powers overflow (1e200 at k = 2: 1e400) give a finite table in the cloud's
    /// bounding-box frame, said so in `moment_frame`; the JSON has no `null`. Ordinary clouds keep raw
    /// moments (the identity frame).
    #[test]
    fn moment_table_is_finite_for_huge_coordinates() {
        let mut rng = seeded(4);
        let mut csv = String::from("a,b,weight\n");
        for i in 0..300 {
            let (a, b) = (standard_normal(&mut rng), standard_normal(&mut rng));
            csv.push_str(&format!(
                "{:?},{:?},{}\n",
                1e200 * a,
                3e199 * b + 5e200,
                1 + i % 3
            ));
        }
        let mut run = CloudRun::from_csv(
            &csv,
            CloudConfig {
                k: 3,
                target: 30,
                ..Default::default()
            },
        )
        .unwrap();
        while !run.step(50).done {}
        let s = run.summary();
        assert!(!s.moment_frame.is_identity());
        assert!(s.moment_frame.scale > 1e199 && s.moment_frame.centre[1] > 1e200);
        assert!(s.moments_finite);
        assert!(s.max_rel_moment_diff < 1e-12, "{}", s.max_rel_moment_diff);
        assert_eq!(
            s.moments[0].original, 600.0,
            "order 0 is the total weight in any frame"
        );
        assert!(s.max_cluster_diameter.is_finite() && s.max_cluster_diameter > 1e199);
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains("null"), "{json}");

        let mut plain = CloudRun::new(CloudConfig::default()).unwrap();
        while !plain.step(50).done {}
        let p = plain.summary();
        assert!(p.moment_frame.is_identity() && p.moments_finite);
        assert_eq!(p.moments[3].exponents, vec![2, 0]);
        let sum_x2: f64 = (0..plain.cloud().len())
            .map(|i| plain.cloud().point(i)[0].powi(2))
            .sum();
        assert!(
            (p.moments[3].original - sum_x2).abs() < 1e-9 * sum_x2,
            "raw moments"
        );
    }

    /// A NaN among the relative differences is not dropped by the maximum (f64::max would drop it).
    #[test]
    fn max_rel_moment_diff_keeps_nan() {
        assert!(max_or_nan([0.1, f64::NAN, 0.3]).is_nan());
        assert!(max_or_nan([f64::NAN, 0.1]).is_nan());
        assert!(max_or_nan([0.1, 0.3, f64::NAN]).is_nan());
        assert_eq!(max_or_nan([0.1, 0.3, 0.2]), 0.3);
        assert_eq!(max_or_nan([]), 0.0);
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
