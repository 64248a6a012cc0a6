//! Loss landscapes (beyond the paper): each data set's training loss on a plane through parameter space,
//! along two random filter-normalised directions (Li et al. 2018).

use serde::Serialize;

use super::{DataArm, DatasetRun};
use crate::experiments::ExperimentError;
use crate::experiments::cost::{self, Cost, Hints};
use crate::nn::{TwoLayerNet, Workspace};
use crate::rng::{seeded, standard_normal, sub_seed};

impl DatasetRun {
    /// The loss landscape of every arm's training set on a `res × res` plane through the initial
    /// parameters (`around_trained = false`) or the full-data arm's current parameters, `span` = half
    /// width of the plane in units of the filter-normalised directions.
    /// `res` is clamped to 3..=201; a plane whose evaluation would exceed the cost cap of one call
    /// ([`cost::MAX_CALL_FLOPS`]: `res²` evaluations of every arm's set) is an error.
    pub fn landscape(
        &self,
        res: usize,
        span: f64,
        around_trained: bool,
        seed: u64,
    ) -> Result<Landscape, ExperimentError> {
        let res = res.clamp(3, 201);
        let sizes: usize = self.arms.iter().map(|a| a.set.len()).sum();
        let flops = (res * res) as f64
            * sizes as f64
            * cost::eval_flops_per_sample(self.config.hidden as f64, self.in_dim as f64);
        Cost {
            call_flops: flops,
            ..Cost::default()
        }
        .check(&Hints {
            call: "lower the landscape's resolution",
            run: "",
            bytes: "",
        })?;
        let centre = if around_trained {
            self.arms[0].state.trainer.net().clone()
        } else {
            self.init.clone()
        };
        let (d1, d2) = (
            filter_normalised_direction(&centre, sub_seed(seed, 1)),
            filter_normalised_direction(&centre, sub_seed(seed, 2)),
        );
        let mut net = centre.clone();
        let mut ws = Workspace::new(&net);
        let base: Vec<f32> = centre.params().to_vec();
        let coords: Vec<f64> = (0..res)
            .map(|i| -span + 2.0 * span * i as f64 / (res - 1) as f64)
            .collect();
        let mut losses = vec![vec![0.0f64; res * res]; self.arms.len()];
        for (r, &b) in coords.iter().enumerate() {
            for (c, &a) in coords.iter().enumerate() {
                for (p, ((&t, &u), &v)) in net
                    .params_mut()
                    .iter_mut()
                    .zip(base.iter().zip(&d1).zip(&d2))
                {
                    *p = t + (a * u + b * v) as f32;
                }
                for (k, arm) in self.arms.iter().enumerate() {
                    losses[k][r * res + c] = arm
                        .set
                        .weighted()
                        .and_then(|data| net.loss(&data, None, &mut ws))
                        .map(f64::from)
                        .unwrap_or(f64::NAN);
                }
            }
        }
        let full = &losses[0];
        let scale = full.iter().copied().fold(0.0, f64::max);
        let deviation = losses
            .iter()
            .map(|l| {
                l.iter()
                    .zip(full)
                    .map(|(u, v)| (u - v).abs())
                    .fold(0.0, f64::max)
                    / scale
            })
            .collect();
        Ok(Landscape {
            res,
            span,
            around_trained,
            arms: self.arms(),
            losses,
            deviation,
        })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Landscape {
    pub res: usize,
    pub span: f64,
    pub around_trained: bool,
    pub arms: Vec<DataArm>,
    /// Per arm, row-major `res × res` (row = second direction).
    pub losses: Vec<Vec<f64>>,
    /// Per arm: `max |L − L_full| / max L_full`.
    pub deviation: Vec<f64>,
}

/// A Gaussian direction in parameter space, filter-normalised per neuron: the `(w_j, b_j)` block is scaled
/// to the norm of the net's block, and the output block `(v, b_out)` likewise.
pub fn filter_normalised_direction(net: &TwoLayerNet<f32>, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    let (m, d) = (net.input_dim(), net.width());
    let p = net.params();
    let mut dir: Vec<f64> = (0..p.len()).map(|_| standard_normal(&mut rng)).collect();
    let block_norm = |idx: &[usize], v: &dyn Fn(usize) -> f64| {
        idx.iter().map(|&i| v(i).powi(2)).sum::<f64>().sqrt()
    };
    for j in 0..d {
        let mut idx: Vec<usize> = (j * m..(j + 1) * m).collect();
        idx.push(d * m + j);
        let target = block_norm(&idx, &|i| p[i] as f64);
        let have = block_norm(&idx, &|i| dir[i]);
        for &i in &idx {
            dir[i] *= if have > 0.0 { target / have } else { 0.0 };
        }
    }
    let out: Vec<usize> = (d * (m + 1)..p.len()).collect();
    let target = block_norm(&out, &|i| p[i] as f64);
    let have = block_norm(&out, &|i| dir[i]);
    for &i in &out {
        dir[i] *= if have > 0.0 { target / have } else { 0.0 };
    }
    dir
}
