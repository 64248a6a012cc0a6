//! Fig. 6 of the paper, the compressor's running time: uniform clouds in `[-1,1]^m` compressed
//! `d → max(0.1 d, N(m,k))` (the compressions of Fig. 2), each timed on the driver's clock, with the mean
//! and sd over trials per (m, d) and the fitted exponent of time against d per m.
//!
//! The core reads no clock: this experiment needs one from its host ([`Host::clock`]), which the CLI
//! gives and the page does not. Each step is one compression (timed), on the host's threads.

use serde::{Deserialize, Serialize};

use super::fig2::{Fig2Config, fig2_target};
use super::fit::{mean_sd, power_law};
use crate::compress::{Cloud, CompressParams, Strategy, compress};
use crate::experiments::ExperimentError;
use crate::experiments::params::{Params, Valid, by_name};
use crate::experiments::protocol::{Experiment, Host, Preset};
use crate::experiments::trials::Trials;
use crate::rng::{seeded, sub_seed, uniform};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    pub dims: Vec<usize>,
    pub sizes: Vec<usize>,
    pub order: usize,
    pub trials: usize,
    #[serde(default, deserialize_with = "by_name")]
    pub strategy: Strategy,
}

impl RuntimeConfig {
    pub fn quick() -> Self {
        RuntimeConfig {
            dims: vec![1, 2, 3],
            sizes: (0..5).map(|j| 1000 << j).collect(),
            order: 5,
            trials: 3,
            strategy: Strategy::Auto,
        }
    }
    /// The paper's Fig. 6: m = 1..5, d = 1000 … 128 000.
    pub fn paper() -> Self {
        RuntimeConfig {
            dims: (1..=5).collect(),
            sizes: (0..8).map(|j| 1000 << j).collect(),
            ..Self::quick()
        }
    }
}

impl Params for RuntimeConfig {
    /// The checks and cost caps of the same compressions in a Fig. 2 run.
    fn check_ref(&self) -> Result<(), ExperimentError> {
        crate::compress::check_order(self.order)?;
        Fig2Config {
            dims: self.dims.clone(),
            orders: vec![self.order],
            sizes: self.sizes.clone(),
            trials: self.trials,
            ratio: 0.1,
            strategy: self.strategy,
            seed: 0,
        }
        .check_ref()
    }
}

/// The mean and sd of the compression time of one (m, d), over the trials.
#[derive(Clone, Debug, Serialize)]
pub struct RuntimeRow {
    pub m: usize,
    pub d: usize,
    pub target: usize,
    pub mean_seconds: f64,
    pub sd_seconds: f64,
}

/// Time grows like `d^exponent` (least squares on log-log) for dimension `m`.
#[derive(Clone, Debug, Serialize)]
pub struct RuntimeFit {
    pub m: usize,
    pub exponent: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuntimeSummary {
    pub fits: Vec<RuntimeFit>,
}

pub struct RuntimeRun {
    config: RuntimeConfig,
    clock: fn() -> f64,
    threads: usize,
    /// `(m, d, trial)`, trials of one (m, d) together, and each one's seconds.
    times: Trials<(usize, usize, usize), f64>,
    /// One per (m, d), once its trials are timed.
    rows: Vec<RuntimeRow>,
}

impl Experiment for RuntimeRun {
    const KIND: &'static str = "runtime";
    const ABOUT: &'static str = "\
Fig. 6: wall-clock time of d -> max(0.1 d, N(m,k)) per m (uniform clouds, the compressions of Fig. 2),
and the fitted exponent of time against d. Each compression uses --threads T threads.";
    type Config = RuntimeConfig;
    type Item = RuntimeRow;
    type Summary = RuntimeSummary;

    fn presets() -> Vec<Preset<RuntimeConfig>> {
        vec![
            Preset::new(
                "quick",
                "m = 1..3, d to 16 000, k = 5, 3 trials",
                RuntimeConfig::quick(),
            ),
            Preset::new(
                "paper",
                "the paper's Fig. 6: m = 1..5, d to 128 000",
                RuntimeConfig::paper(),
            ),
        ]
    }

    fn build(config: Valid<RuntimeConfig>, host: &Host) -> Result<Self, ExperimentError> {
        let clock = host.clock.ok_or_else(|| ExperimentError::Unsupported {
            what: "the runtime experiment times the compressor and needs a clock (the CLI has one)"
                .into(),
        })?;
        let config = config.into_inner();
        let mut tasks = Vec::new();
        for &m in &config.dims {
            for &d in &config.sizes {
                if fig2_target(d, m, config.order, 0.1) >= d {
                    return Err(ExperimentError::invalid(
                        "sizes",
                        format!(
                            "d = {d} is not above N(m={m}, k={}): nothing to compress; use larger sizes or a lower order",
                            config.order
                        ),
                    ));
                }
                tasks.extend((0..config.trials).map(|t| (m, d, t)));
            }
        }
        Ok(RuntimeRun {
            config,
            clock,
            threads: crate::parallel::Workers::new(host.threads).threads(),
            times: Trials::new(tasks),
            rows: Vec::new(),
        })
    }

    fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// One timed compression (whatever the budget: timing is the point, not throughput).
    fn step(&mut self, _budget: usize) -> Result<(), ExperimentError> {
        let Some((m, d, t)) = self.times.next() else {
            return Ok(());
        };
        // d -> 0.1 d, raised to N(m, k) where that is more (as in Fig. 2 and the authors' code).
        let target = fig2_target(d, m, self.config.order, 0.1);
        let mut rng = seeded(sub_seed(d as u64 * 31 + m as u64, t as u64));
        let points: Vec<f64> = (0..d * m).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let cloud = Cloud::new(m, points);
        let params = CompressParams::new(self.config.order, target)
            .with_strategy(self.config.strategy)
            .with_threads(self.threads);
        let t0 = (self.clock)();
        compress(&cloud, &params)?;
        self.times.record((self.clock)() - t0);
        let timed = self.times.records();
        if timed.len().is_multiple_of(self.config.trials) {
            let (mean, sd) = mean_sd(&timed[timed.len() - self.config.trials..]);
            self.rows.push(RuntimeRow {
                m,
                d,
                target,
                mean_seconds: mean,
                sd_seconds: sd,
            });
        }
        Ok(())
    }

    fn progress(&self) -> f64 {
        self.times.progress()
    }

    fn is_done(&self) -> bool {
        self.times.is_done()
    }

    fn status(&self) -> String {
        let last = self.rows.last().map(|r| {
            format!(
                "; m = {} d = {} -> {}: {:.4} s ± {:.4}",
                r.m, r.d, r.target, r.mean_seconds, r.sd_seconds
            )
        });
        self.times
            .status("compressions", |_| last.unwrap_or_default())
    }

    fn items(&self) -> &[RuntimeRow] {
        &self.rows
    }

    fn summary(&self) -> RuntimeSummary {
        let fits = self
            .config
            .dims
            .iter()
            .map(|&m| {
                let (xs, ys): (Vec<f64>, Vec<f64>) = self
                    .rows
                    .iter()
                    .filter(|r| r.m == m)
                    .map(|r| (r.d as f64, r.mean_seconds))
                    .unzip();
                // Time grows with d: the fitted "decay" exponent is minus the growth exponent.
                RuntimeFit {
                    m,
                    exponent: power_law(&xs, &ys, 0.0).map(|f| -f.alpha),
                }
            })
            .collect();
        RuntimeSummary { fits }
    }

    fn seed(&self) -> Option<u64> {
        None
    }

    fn threads(&self) -> usize {
        self.threads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake clock that advances one second per reading: every compression "takes" one second, so
    /// every row's mean is 1 and its sd 0, and time does not grow with d (exponent 0).
    #[test]
    fn times_each_compression_on_the_hosts_clock() {
        use std::sync::atomic::{AtomicU64, Ordering};
        static TICKS: AtomicU64 = AtomicU64::new(0);
        fn tick() -> f64 {
            TICKS.fetch_add(1, Ordering::Relaxed) as f64
        }
        let config = RuntimeConfig {
            dims: vec![1, 2],
            sizes: vec![500, 1000],
            order: 2,
            trials: 2,
            strategy: Strategy::Auto,
        };
        let host = Host {
            clock: Some(tick),
            ..Host::default()
        };
        let mut run = RuntimeRun::build(config.clone().check().unwrap(), &host).unwrap();
        while !run.is_done() {
            run.step(1).unwrap();
        }
        assert_eq!(run.items().len(), 4);
        assert!(
            run.items()
                .iter()
                .all(|r| r.mean_seconds == 1.0 && r.sd_seconds == 0.0)
        );
        assert!(
            run.summary()
                .fits
                .iter()
                .all(|f| f.exponent == Some(-0.0) || f.exponent == Some(0.0))
        );
        assert!(matches!(
            RuntimeRun::build(config.check().unwrap(), &Host::default()),
            Err(ExperimentError::Unsupported { .. })
        ));
    }
}
