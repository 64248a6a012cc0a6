//! "Compress a cloud": the authors' smallest demo. `d` points from a standard normal in R^m (or a user's
//! CSV), compressed to a weighted subset of `d'` of them that keeps every moment up to order `k`.
//!
//! Defaults mirror the paper's demo: d = 1000, m = 2, k = 2 (N(2,2) = 6 moments), d' = 40.
//!
//! **Cost.** Making the cloud `O(d m)`; the compression as [`crate::compress`] says; the summary's moment
//! table `N(m,k)` sums over every point. `step` hands the compressor its own budget (eliminations).

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::compress::{
    self, Cloud, CompressError, CompressParams, Compressor, MomentFrame, MomentRow, Strategy,
};
use crate::data::csv;
use crate::experiments::ExperimentError;
use crate::experiments::cost::{Cost, Hints};
use crate::experiments::params::{Params, Valid, by_name};
use crate::experiments::protocol::{Experiment, Flag, Host, Payload, Preset, to_json};
use crate::rng::{seeded, standard_normal};

/// The largest cloud the page accepts (generated or uploaded).
pub const MAX_POINTS: usize = 1_000_000;

/// The largest cloud the page animates (every frame copies every point's weight).
pub const MAX_ANIMATED: usize = 50_000;

/// Frames of the slow-motion view, about (each shows the clusters just reduced).
pub const ANIMATION_FRAMES: usize = 120;

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
    #[serde(default, deserialize_with = "by_name")]
    pub strategy: Strategy,
    /// Slow motion for the page: record the clusters each step reduces, and hand the page every
    /// point's current weight after each step ([`MAX_ANIMATED`] points at most; larger clouds run at full
    /// speed).
    #[serde(default, skip_serializing_if = "is_false")]
    pub animate: bool,
}

fn is_false(b: &bool) -> bool {
    !b
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
            animate: false,
        }
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
    /// The compressor's threads, resolved.
    threads: usize,
}

impl Params for CloudConfig {
    /// Checks a config for a generated cloud: sizes, order, target, cost.
    fn check_ref(&self) -> Result<(), ExperimentError> {
        compress::check_order(self.k)?;
        if self.d == 0 {
            return Err(ExperimentError::invalid("d", "d must be at least 1"));
        }
        if self.dim == 0 || self.dim > 16 {
            return Err(ExperimentError::invalid(
                "dim",
                "dimension m must be between 1 and 16",
            ));
        }
        if self.d > MAX_POINTS {
            return Err(ExperimentError::invalid(
                "d",
                format!("d = {} is above the limit of {MAX_POINTS} points", self.d),
            ));
        }
        check_target(self.target, self.d)?;
        check_moments(self.target, self.dim, self.k)?;
        self.check_cost()
    }
}

impl CloudConfig {
    /// The cost of the run (see [`crate::experiments::cost`]) with this config's `d` and `dim`: making the
    /// cloud, compressing it, and the summary's moment table.
    pub fn cost(&self) -> Cost {
        cloud_cost(self.d, self.dim, self.k, self.target, self.strategy, 1)
    }

    fn check_cost(&self) -> Result<(), ExperimentError> {
        self.cost().check(&Hints {
            call: "lower the number of points d, the target d′ or the order k (or use the auto strategy)",
            run: "lower the number of points d, the target d′ or the order k",
            bytes: "lower the number of points d or the order k",
        })
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
    pub fn new(config: CloudConfig) -> Result<CloudRun, ExperimentError> {
        Self::build(config.check()?, &Host::default())
    }

    /// A user's cloud from CSV text; `config.d` and `config.dim` are taken from the file.
    pub fn from_csv(text: &str, config: CloudConfig) -> Result<CloudRun, ExperimentError> {
        <Self as Experiment>::from_csv(config, text, &Host::default())
    }

    /// Points given as the rows of an array (`d × m`, unit weights); `config.d` and `config.dim` are
    /// taken from it.
    pub fn from_array(
        points: ArrayView2<f64>,
        config: CloudConfig,
    ) -> Result<CloudRun, ExperimentError> {
        Self::with_user_cloud(config, Cloud::from_array(points), &Host::default())
    }

    fn with_user_cloud(
        mut config: CloudConfig,
        cloud: Cloud,
        host: &Host,
    ) -> Result<CloudRun, ExperimentError> {
        compress::check_order(config.k)?;
        config.d = cloud.len();
        config.dim = cloud.dim;
        check_target(config.target, config.d)?;
        config.check_cost()?;
        Self::with_cloud(config, cloud, host)
    }

    fn with_cloud(
        config: CloudConfig,
        cloud: Cloud,
        host: &Host,
    ) -> Result<CloudRun, ExperimentError> {
        let params = CompressParams {
            seed: config.seed,
            ..CompressParams::new(config.k, config.target)
        }
        .with_strategy(config.strategy)
        .with_threads(host.threads);
        let mut compressor = Compressor::new(cloud, params)?;
        if config.animate {
            compressor.record_clusters();
        }
        Ok(CloudRun {
            config,
            compressor,
            threads: crate::parallel::Workers::new(host.threads).threads(),
        })
    }

    /// Whether the page shows this run in slow motion.
    fn animated(&self) -> bool {
        self.config.animate && self.cloud().len() <= MAX_ANIMATED
    }

    /// The compressor, e.g. to read the clusters it reduced in the last step.
    pub fn compressor(&self) -> &Compressor {
        &self.compressor
    }

    pub fn cloud(&self) -> &Cloud {
        self.compressor.cloud()
    }

    pub fn result(&self) -> compress::Compressed {
        self.compressor.result()
    }

    /// `index,weight,x1..xm` CSV of the kept points.
    pub fn kept_csv(&self) -> String {
        let r = self.result();
        csv::write_kept(self.cloud(), &r.indices, &r.weights)
    }
}

impl Experiment for CloudRun {
    const KIND: &'static str = "cloud";
    const ABOUT: &'static str = "\
The page's \"compress a cloud\" demo: d points from a standard normal in R^m (from the seed), or the rows
of your CSV (--data: a header row, numeric columns, an optional `weight` column), compressed to a
weighted subset of d' of them that keeps every moment up to order k (--k, or --order). Writes the
summary with its moment table, and the kept indices and weights (kept_indices, kept_weights).";
    type Config = CloudConfig;
    type Item = ();
    type Summary = CloudSummary;

    fn presets() -> Vec<Preset<CloudConfig>> {
        vec![Preset::new(
            "demo",
            "the authors' smallest demo: 1000 normal points in R², k = 2, 40 kept",
            CloudConfig::default(),
        )]
    }

    fn build(config: Valid<CloudConfig>, host: &Host) -> Result<CloudRun, ExperimentError> {
        let config = config.into_inner();
        let mut rng = seeded(config.seed);
        let points = (0..config.d * config.dim)
            .map(|_| standard_normal(&mut rng))
            .collect();
        let cloud = Cloud::new(config.dim, points);
        Self::with_cloud(config, cloud, host)
    }

    fn config(&self) -> &CloudConfig {
        &self.config
    }

    fn step(&mut self, budget: usize) -> Result<(), ExperimentError> {
        self.compressor.step(budget);
        Ok(())
    }

    fn progress(&self) -> f64 {
        self.compressor.progress().fraction
    }

    fn is_done(&self) -> bool {
        self.compressor.is_done()
    }

    fn status(&self) -> String {
        let p = self.compressor.progress();
        format!(
            "{} of {} points left (target {})",
            p.alive,
            self.cloud().len(),
            p.target
        )
    }

    fn items(&self) -> &[()] {
        &[]
    }

    fn summary(&self) -> CloudSummary {
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

    fn seed(&self) -> Option<u64> {
        Some(self.config.seed)
    }

    fn extras(&self) -> Result<Vec<(&'static str, Value)>, ExperimentError> {
        let r = self.result();
        Ok(vec![
            ("kept_indices", to_json(&r.indices)?),
            ("kept_weights", to_json(&r.weights)?),
        ])
    }

    /// `d`, `dim`, the points (row-major) and their input weights; `pace: {budget}` in slow motion (about
    /// [`ANIMATION_FRAMES`] steps of that many eliminations).
    fn info(&self) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        let cloud = self.cloud();
        let mut info = vec![
            ("d", Payload::json(&cloud.len())?),
            ("dim", Payload::json(&cloud.dim)?),
            ("points", Payload::F64(cloud.points.clone())),
            ("weights", Payload::F64(cloud.weights.clone())),
        ];
        if self.animated() {
            let left = cloud.len().saturating_sub(self.config.target);
            let budget = left.div_ceil(ANIMATION_FRAMES).max(1);
            info.push((
                "pace",
                Payload::json(&serde_json::json!({ "budget": budget }))?,
            ));
        }
        Ok(info)
    }

    /// In slow motion, one frame: every point's current weight (0 once eliminated) and the clusters the
    /// last step reduced, flattened as `[n, id_1..id_n, n, …]`.
    fn live(&self, _cursor: &mut usize) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        if !self.animated() {
            return Ok(Vec::new());
        }
        let mut clusters = Vec::new();
        for c in self.compressor.recent_clusters() {
            clusters.push(c.len() as u32);
            clusters.extend(c.iter().map(|&i| i as u32));
        }
        let frame = Payload::Object(vec![
            ("weights", Payload::F64(self.compressor.weights().to_vec())),
            ("clusters", Payload::U32(clusters)),
        ]);
        Ok(vec![("frames", Payload::List(vec![frame]))])
    }

    /// The kept points' indices and weights, and the kept points as CSV.
    fn outputs(&self) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        let r = self.result();
        Ok(vec![
            (
                "indices",
                Payload::U32(r.indices.iter().map(|&i| i as u32).collect()),
            ),
            ("weights", Payload::F64(r.weights.clone())),
            ("csv", Payload::json(&self.kept_csv())?),
        ])
    }

    const OWN_DATA: bool = true;

    fn check_options(config: &CloudConfig) -> Result<(), ExperimentError> {
        Ok(compress::check_order(config.k)?)
    }

    fn from_csv(config: CloudConfig, text: &str, host: &Host) -> Result<CloudRun, ExperimentError> {
        compress::check_order(config.k)?;
        let cloud = csv::parse_cloud(text, host.max_rows)?;
        Self::with_user_cloud(config, cloud, host)
    }

    fn flags() -> &'static [Flag] {
        const FLAGS: &[Flag] = &[Flag::value("order", "k", "the moment order k")];
        FLAGS
    }

    fn threads(&self) -> usize {
        self.threads
    }
}

/// The target must hold the `N(m,k)` moments (the compressor checks it too; here it comes before the cloud
/// is made).
fn check_moments(target: usize, dim: usize, k: usize) -> Result<(), ExperimentError> {
    let n_moments = compress::n_moments(dim, k).unwrap_or(usize::MAX);
    if target < n_moments {
        return Err(ExperimentError::Compress(
            CompressError::TargetBelowMoments {
                target,
                n_moments,
                dim,
                order: k,
            },
        ));
    }
    Ok(())
}

fn check_target(target: usize, d: usize) -> Result<(), ExperimentError> {
    if target >= d {
        return Err(ExperimentError::invalid(
            "target",
            format!("target size {target} must be smaller than the number of points d = {d}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{seeded, standard_normal};

    fn run_to_end(run: &mut CloudRun) {
        while !run.is_done() {
            run.step(50).unwrap();
        }
    }

    #[test]
    fn default_demo_keeps_40_with_exact_moments() {
        let mut run = CloudRun::new(CloudConfig::default()).unwrap();
        run_to_end(&mut run);
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
        run_to_end(&mut run);
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
        run_to_end(&mut plain);
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
        let bad = |c: CloudConfig| CloudRun::new(c).err().expect("must fail");
        assert!(matches!(
            bad(CloudConfig {
                target: 3,
                ..Default::default()
            }),
            ExperimentError::Compress(CompressError::TargetBelowMoments { n_moments: 6, .. })
        ));
        for (config, param) in [
            (
                CloudConfig {
                    target: 1000,
                    ..Default::default()
                },
                "target",
            ),
            (
                CloudConfig {
                    d: 0,
                    ..Default::default()
                },
                "d",
            ),
            (
                CloudConfig {
                    dim: 0,
                    ..Default::default()
                },
                "dim",
            ),
        ] {
            assert!(
                matches!(bad(config), ExperimentError::Invalid { param: p, .. } if p == param),
                "{param}"
            );
        }
    }

    /// An ndarray of points is a cloud like any other: the same kept points as the same rows in CSV.
    #[test]
    fn an_array_of_points_compresses_like_its_csv() {
        let mut rng = seeded(5);
        let points = ndarray::Array2::from_shape_fn((300, 2), |_| standard_normal(&mut rng));
        let mut csv = String::from("a,b\n");
        for row in points.rows() {
            csv.push_str(&format!("{:?},{:?}\n", row[0], row[1]));
        }
        let config = CloudConfig {
            k: 3,
            target: 30,
            ..Default::default()
        };
        let mut a = CloudRun::from_array(points.view(), config.clone()).unwrap();
        let mut b = CloudRun::from_csv(&csv, config).unwrap();
        run_to_end(&mut a);
        run_to_end(&mut b);
        assert_eq!(a.result().indices, b.result().indices);
        assert_eq!(a.result().weights, b.result().weights);
        assert_eq!(a.config().d, 300);
    }
}
