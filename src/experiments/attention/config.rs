//! The configuration of the attention experiment: its arms, presets, checks and cost.

use serde::{Deserialize, Serialize};

use crate::compress::{self, Strategy, check_order};
use crate::data::icl::SEQ_LEN;
use crate::experiments::ExperimentError;
use crate::experiments::cost::{Cost, Hints};
use crate::experiments::params::{Params, by_name};
use crate::experiments::protocol::Preset;
use crate::nn::attention::HEAD_PARAMS;
use crate::nn::{OptimizerName, check_lr};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttnArm {
    Original,
    Compressed,
    Naive,
}

impl AttnArm {
    pub const ALL: [AttnArm; 3] = [AttnArm::Original, AttnArm::Compressed, AttnArm::Naive];
    pub fn name(self) -> &'static str {
        match self {
            AttnArm::Original => "original",
            AttnArm::Compressed => "compressed",
            AttnArm::Naive => "naive",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttentionConfig {
    /// Heads of the original layer, H.
    pub heads: usize,
    /// Heads after compression (and of the naive arm), H'.
    pub target: usize,
    /// Moment order k of the compression.
    pub order: usize,
    pub batch_size: usize,
    pub steps_per_epoch: usize,
    pub epochs: usize,
    #[serde(deserialize_with = "by_name")]
    pub optimizer: OptimizerName,
    pub lr: f64,
    /// Multiply the compressed heads' gradients by 1/c_h (Definition 5). Off: the authors' variant.
    pub rescale: bool,
    /// Test batches (of `batch_size` fresh episodes) per evaluation.
    pub test_batches: usize,
    #[serde(deserialize_with = "by_name")]
    pub strategy: Strategy,
    pub arms: Vec<AttnArm>,
    /// Points of the x* grid of the picture (0: no picture).
    pub picture_points: usize,
    pub seed: u64,
}

impl Default for AttentionConfig {
    fn default() -> Self {
        Self::quick()
    }
}

impl AttentionConfig {
    /// Fig. 7: 4000 → 800 heads, k = 3, Adam 1e-4, batch 256, 5 steps an epoch, 50 epochs.
    pub fn paper() -> Self {
        AttentionConfig {
            heads: 4000,
            target: 800,
            order: 3,
            batch_size: 256,
            steps_per_epoch: 5,
            epochs: 50,
            optimizer: OptimizerName::Adam,
            lr: 1e-4,
            rescale: true,
            test_batches: 10,
            strategy: Strategy::Auto,
            arms: AttnArm::ALL.to_vec(),
            picture_points: 101,
            seed: 42,
        }
    }
    /// A quarter of the heads, the same training.
    pub fn demo() -> Self {
        AttentionConfig {
            heads: 1000,
            target: 200,
            ..Self::paper()
        }
    }
    /// Seconds in a browser tab: 1000 → 200 heads, 20 epochs, 4 test batches.
    pub fn quick() -> Self {
        AttentionConfig {
            epochs: 20,
            test_batches: 4,
            ..Self::demo()
        }
    }
    pub fn preset(name: &str) -> Option<Self> {
        Preset::named(presets(), name)
    }

    fn arm_heads(&self, arm: AttnArm) -> f64 {
        if arm == AttnArm::Original {
            self.heads as f64
        } else {
            self.target as f64
        }
    }

    /// See [`crate::experiments::cost`]: about 30 flops per (sequence, token, head), forward + backward;
    /// 20 forward only.
    pub fn cost(&self) -> Cost {
        let heads: f64 = self.arms.iter().map(|&a| self.arm_heads(a)).sum();
        let per_seq = SEQ_LEN as f64 * heads;
        let b = self.batch_size as f64;
        let compress = if self.arms.contains(&AttnArm::Compressed) {
            compress::estimated_cost(
                self.heads,
                HEAD_PARAMS,
                self.order,
                self.target,
                self.strategy,
                1,
            )
        } else {
            Default::default()
        };
        let eval = self.test_batches as f64 * b * per_seq * 20.0
            + self.picture_points as f64 * per_seq * 20.0;
        let step = b * per_seq * 30.0;
        let epochs = self.epochs as f64;
        Cost {
            call_flops: (compress.flops + eval).max(step + eval),
            run_flops: compress.flops + eval + epochs * (self.steps_per_epoch as f64 * step + eval),
            bytes: compress.bytes
                + b * SEQ_LEN as f64 * 8.0
                + self.arms.len() as f64 * b * self.heads as f64 * 8.0
                + heads * HEAD_PARAMS as f64 * 4.0 * 5.0
                + (epochs + 1.0) * self.arms.len() as f64 * self.picture_points as f64 * 4.0,
        }
    }
}

/// The named configurations, the default first.
pub fn presets() -> Vec<Preset<AttentionConfig>> {
    vec![
        Preset::new(
            "quick",
            "seconds in a browser tab: 1000 → 200 heads, 20 epochs",
            AttentionConfig::quick(),
        ),
        Preset::new(
            "demo",
            "a quarter of the paper's heads (1000 → 200), its 50 epochs",
            AttentionConfig::demo(),
        ),
        Preset::new(
            "paper",
            "the paper's Fig. 7: 4000 → 800 heads, k = 3, 50 epochs of Adam 1e-4",
            AttentionConfig::paper(),
        ),
    ]
}

/// The most points of the picture's x* grid.
pub const MAX_PICTURE_POINTS: usize = 1001;

impl Params for AttentionConfig {
    fn check_ref(&self) -> Result<(), ExperimentError> {
        if self.heads == 0 || self.target == 0 {
            return Err(ExperimentError::invalid(
                "heads",
                "the layer needs at least one head",
            ));
        }
        if self.target > self.heads {
            return Err(ExperimentError::invalid(
                "target",
                format!(
                    "compressed heads H' = {} are more than the heads H = {}",
                    self.target, self.heads
                ),
            ));
        }
        check_order(self.order)?;
        let n = compress::n_moments(HEAD_PARAMS, self.order).unwrap_or(usize::MAX);
        if self.arms.contains(&AttnArm::Compressed) && n > self.target {
            return Err(ExperimentError::invalid(
                "order",
                format!(
                    "order k = {} needs N(8, k) = {n} heads, more than H' = {}; lower k or raise H'",
                    self.order, self.target
                ),
            ));
        }
        for (param, value) in [
            ("batch_size", self.batch_size),
            ("steps_per_epoch", self.steps_per_epoch),
            ("epochs", self.epochs),
            ("test_batches", self.test_batches),
        ] {
            if value == 0 {
                return Err(ExperimentError::invalid(
                    param,
                    format!("{} must be at least 1", param.replace('_', " ")),
                ));
            }
        }
        if !self.arms.contains(&AttnArm::Original) {
            return Err(ExperimentError::invalid(
                "arms",
                "the original arm must be among the arms",
            ));
        }
        let mut seen = self.arms.clone();
        seen.sort_by_key(|a| *a as u8);
        seen.dedup();
        if seen.len() != self.arms.len() {
            return Err(ExperimentError::invalid("arms", "an arm is listed twice"));
        }
        if self.picture_points == 1 || self.picture_points > MAX_PICTURE_POINTS {
            return Err(ExperimentError::invalid(
                "picture_points",
                format!("the picture needs 2 to {MAX_PICTURE_POINTS} points (or 0 for none)"),
            ));
        }
        self.optimizer.kind().validate()?;
        check_lr(self.lr)?;
        self.cost().check(&Hints {
            call: "lower the heads H or the batch size",
            run: "lower the epochs, the heads H or the batch size",
            bytes: "lower the heads H or the batch size",
        })
    }
}
