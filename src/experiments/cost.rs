//! Cost caps: every experiment config estimates, from its numbers alone, the work of the largest single
//! call it makes (its set-up in the constructor, or the smallest unit of `step`: Stop cannot interrupt a
//! call), the work of the whole run and its memory, and refuses above the caps below with an error that
//! names the parameter to lower. One rule for the CLI and the page; only the memory cap is lower in the
//! wasm build (a browser tab, perhaps on a phone, has far less memory than a workstation).
//!
//! The estimates are rough upper bounds in floating-point operations (see
//! [`crate::compress::estimated_cost`] for the compressor; training counts `6 w (m + 1)` flops per sample
//! and step for a width-`w` net on `m` inputs, forward + backward, and `2 w (m + 1) + w` per evaluated
//! sample). They are there to refuse runs far too large (a k-means of 10^6 points into 5·10^5 centres
//! is ~10^14 flops in one call), not to predict run times. Every paper preset passes (tested).

use serde::Serialize;

use super::ExperimentError;

/// The largest estimated work of one call: the largest unit of work a run does without returning, which
/// is what Stop may have to wait for. The largest paper preset's unit, one Fig. 2 compression of
/// 128 000 points at m = 5, k = 6, is about 2·10^12.
pub const MAX_CALL_FLOPS: f64 = 1e13;

/// The largest estimated work of a whole run (the paper's longest runs are ~10^14).
pub const MAX_RUN_FLOPS: f64 = 1e16;

/// The largest estimated memory of a run: 1 GiB in the wasm build, 16 GiB natively.
pub const MAX_BYTES: f64 = if cfg!(target_arch = "wasm32") {
    (1u64 << 30) as f64
} else {
    (16u64 << 30) as f64
};

/// What a run costs: see the module docs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Cost {
    /// The largest piece of work done in one call (constructor or step).
    pub call_flops: f64,
    /// The whole run.
    pub run_flops: f64,
    /// Peak memory.
    pub bytes: f64,
}

/// What to lower when a cap is exceeded, one hint per cap (e.g. "lower d' or d").
pub struct Hints {
    pub call: &'static str,
    pub run: &'static str,
    pub bytes: &'static str,
}

/// The three caps of this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    /// [`MAX_BYTES`].
    Memory,
    /// [`MAX_CALL_FLOPS`].
    Call,
    /// [`MAX_RUN_FLOPS`].
    Run,
}

impl Cost {
    /// Two things done one after the other by the same run: the larger call, the sum of the work, the
    /// larger memory.
    pub fn then(self, next: Cost) -> Cost {
        Cost {
            call_flops: self.call_flops.max(next.call_flops),
            run_flops: self.run_flops + next.run_flops,
            bytes: self.bytes.max(next.bytes),
        }
    }

    /// Refuses a cost above any cap (NaN counts as above), saying which parameter to lower.
    pub fn check(&self, hints: &Hints) -> Result<(), ExperimentError> {
        let above = |v: f64, cap: f64| v.is_nan() || v > cap;
        let refuse = |cap, estimate, lower| {
            Err(ExperimentError::TooCostly {
                cap,
                estimate,
                lower,
            })
        };
        if above(self.bytes, MAX_BYTES) {
            return refuse(Cap::Memory, self.bytes, hints.bytes);
        }
        if above(self.call_flops, MAX_CALL_FLOPS) {
            return refuse(Cap::Call, self.call_flops, hints.call);
        }
        if above(self.run_flops, MAX_RUN_FLOPS) {
            return refuse(Cap::Run, self.run_flops, hints.run);
        }
        Ok(())
    }
}

/// The message of [`ExperimentError::TooCostly`].
pub(crate) fn describe(cap: Cap, estimate: f64, lower: &str) -> String {
    match cap {
        Cap::Memory => format!(
            "this run would need about {} of memory, above the limit of {}{}; {lower}",
            crate::compress::human_bytes(estimate),
            crate::compress::human_bytes(MAX_BYTES),
            if cfg!(target_arch = "wasm32") {
                " in the browser (the command-line tool allows more)"
            } else {
                ""
            },
        ),
        Cap::Call => format!(
            "this run would do about {} floating-point operations in one uninterruptible piece (its \
             set-up or one step), above the limit of {} (Stop could not stop it); {lower}",
            flops(estimate),
            flops(MAX_CALL_FLOPS),
        ),
        Cap::Run => format!(
            "this run would do about {} floating-point operations in all, above the limit of {}; {lower}",
            flops(estimate),
            flops(MAX_RUN_FLOPS),
        ),
    }
}

/// `2.0e13`, or `inf`.
fn flops(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1e}")
    } else {
        "infinitely many".into()
    }
}

/// Flops of training a width-`width` net on `in_dim` inputs on one sample (forward + backward).
pub fn train_flops_per_sample(width: f64, in_dim: f64) -> f64 {
    6.0 * width * (in_dim + 1.0)
}

/// Flops of one optimiser step of a width-`width` net on `in_dim` inputs (about 12 per parameter).
pub fn optimiser_flops(width: f64, in_dim: f64) -> f64 {
    12.0 * (width * (in_dim + 2.0) + 1.0)
}

/// Flops of evaluating a width-`width` net on `in_dim` inputs on one sample.
pub fn eval_flops_per_sample(width: f64, in_dim: f64) -> f64 {
    2.0 * width * (in_dim + 1.0) + width
}

/// Bytes of a trainer for a width-`width` net on `in_dim` inputs: parameters, gradients, optimiser state
/// (f32) and its 256-sample chunk workspace.
pub fn trainer_bytes(width: f64, in_dim: f64) -> f64 {
    let params = width * (in_dim + 3.0) + 1.0;
    4.0 * (6.0 * params + 256.0 * 4.0 * width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::Params;

    #[test]
    fn caps_and_messages() {
        let hints = Hints {
            call: "lower d'",
            run: "lower the epochs",
            bytes: "lower d",
        };
        let ok = Cost {
            call_flops: 1e9,
            run_flops: 1e12,
            bytes: 1e6,
        };
        assert_eq!(ok.check(&hints), Ok(()));
        let call = Cost {
            call_flops: 6e13,
            ..ok
        };
        let e = call.check(&hints).unwrap_err();
        assert_eq!(
            e,
            ExperimentError::TooCostly {
                cap: Cap::Call,
                estimate: 6e13,
                lower: "lower d'"
            }
        );
        let message = e.to_string();
        assert!(
            message.contains("6.0e13") && message.ends_with("Stop could not stop it); lower d'"),
            "{message}"
        );
        let run = Cost {
            run_flops: f64::INFINITY,
            ..ok
        };
        assert!(matches!(
            run.check(&hints),
            Err(ExperimentError::TooCostly {
                cap: Cap::Run,
                lower: "lower the epochs",
                ..
            })
        ));
        let nan = Cost {
            run_flops: f64::NAN,
            ..ok
        };
        assert!(matches!(
            nan.check(&hints),
            Err(ExperimentError::TooCostly { cap: Cap::Run, .. })
        ));
        let bytes = Cost { bytes: 1e12, ..ok };
        assert!(matches!(
            bytes.check(&hints),
            Err(ExperimentError::TooCostly {
                cap: Cap::Memory,
                lower: "lower d",
                ..
            })
        ));
        assert_eq!(
            ok.then(call),
            Cost {
                call_flops: 6e13,
                run_flops: 2e12,
                bytes: 1e6
            }
        );
    }

    /// Every preset of every experiment passes (the registry's test checks them); their margins are
    /// printed here (`cargo test --lib cost -- --nocapture`), with the page's largest cloud and the
    /// compressor cases of bench/run.mjs.
    #[test]
    fn every_preset_passes() {
        use crate::experiments::bench::BenchCase;
        use crate::experiments::cloud::CloudConfig;
        use crate::experiments::dataset::DatasetConfig;
        use crate::experiments::fig2::Fig2Config;
        use crate::experiments::fig8::Fig8Config;
        use crate::experiments::lth::LthConfig;
        let show = |name: &str, c: Cost| {
            println!(
                "{name:>28}: call {:.1e} ({:.0}% of cap), run {:.1e} ({:.1}%), {} ({:.1}%)",
                c.call_flops,
                100.0 * c.call_flops / MAX_CALL_FLOPS,
                c.run_flops,
                100.0 * c.run_flops / MAX_RUN_FLOPS,
                crate::compress::human_bytes(c.bytes),
                100.0 * c.bytes / MAX_BYTES
            )
        };
        for name in ["quick", "demo", "paper"] {
            show(
                &format!("lth {name}"),
                LthConfig::preset(name).unwrap().cost(),
            );
            show(
                &format!("fig2 {name}"),
                Fig2Config::preset(name).unwrap().cost(),
            );
        }
        for p in crate::experiments::registry::entry("dataset")
            .unwrap()
            .presets()
            .unwrap()
        {
            let c: DatasetConfig = serde_json::from_value(p.config).unwrap();
            show(&format!("dataset {}", p.name), c.cost_for(2));
        }
        for c in [Fig8Config::quick(), Fig8Config::paper()] {
            show("fig8", c.cost());
        }
        show("cloud default", CloudConfig::default().cost());
        // The largest cloud the page offers: 10^6 points in 16 dimensions.
        let big = CloudConfig {
            d: 1_000_000,
            dim: 16,
            k: 1,
            target: 1000,
            ..CloudConfig::default()
        };
        big.check_ref().unwrap();
        show("cloud 10^6 x 16", big.cost());
        // The compressor cases of bench/run.mjs.
        for (dim, order, d, target, strategy) in [
            (3, 5, 10_000, 1000, "auto"),
            (3, 5, 10_000, 1000, "greedy"),
            (4, 5, 10_000, 1000, "auto"),
            (3, 6, 100_000, 5059, "auto"),
        ] {
            let case: BenchCase = serde_json::from_value(serde_json::json!({
                "dim": dim, "order": order, "d": d, "target": target, "strategy": strategy, "threads": 2
            }))
            .unwrap();
            case.validate().unwrap();
        }
    }

    /// The example: k-means of 10^6 points into 5·10^5 centres in the constructor is refused, with
    /// the parameter to lower; so is a greedy compression of 10^6 points in 16 dimensions (its first pass
    /// of neighbour queries is one call) and an absurd number of epochs.
    #[test]
    fn runaway_set_ups_are_refused() {
        use crate::experiments::cloud::CloudConfig;
        use crate::experiments::dataset::{DataArm, DatasetConfig};
        use crate::experiments::lth::LthConfig;
        let kmeans = DatasetConfig {
            d: 1_000_000,
            target: 500_000,
            arms: vec![DataArm::Full, DataArm::Kmeans],
            ..DatasetConfig::quick()
        };
        assert!(matches!(
            kmeans.check_ref(),
            Err(ExperimentError::TooCostly { cap: Cap::Call, lower, .. }) if lower.contains("k-means")
        ));
        let greedy = CloudConfig {
            d: 1_000_000,
            dim: 16,
            k: 1,
            target: 1000,
            strategy: crate::compress::Strategy::Greedy,
            ..CloudConfig::default()
        };
        assert!(matches!(
            greedy.check_ref(),
            Err(ExperimentError::TooCostly { cap: Cap::Call, .. })
        ));
        let forever = LthConfig {
            epochs: 100_000_000,
            ..LthConfig::quick()
        };
        assert!(matches!(
            forever.check_ref(),
            Err(ExperimentError::TooCostly { cap: Cap::Run, lower, .. }) if lower.contains("lower the epochs")
        ));
    }
}
