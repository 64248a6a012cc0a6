//! What the training experiments share: arms (networks trained side by side on the same batches), their
//! per-epoch bookkeeping, the curve of train and test losses, and what a summary reads from it. The
//! dynamical lottery ticket ([`super::lth`]) and dataset compression ([`super::dataset`]) differ in what
//! an arm is (a net, or a data set) and how it is fed, not in any of this.

use serde::Serialize;

use crate::nn::{NnError, Samples, Trainer};

/// One network under training: its trainer, the running mean of this epoch's batch losses, and why it
/// stopped, if it did (a diverged arm stays in the curves as NaN; the others go on).
pub struct ArmState {
    pub trainer: Trainer<f32>,
    epoch_loss: f64,
    epoch_batches: usize,
    pub diverged: Option<String>,
}

impl ArmState {
    pub fn new(trainer: Trainer<f32>) -> ArmState {
        ArmState {
            trainer,
            epoch_loss: 0.0,
            epoch_batches: 0,
            diverged: None,
        }
    }

    pub fn is_live(&self) -> bool {
        self.diverged.is_none()
    }

    /// Adds a training step's loss to the epoch's mean, or stops the arm with the step's error.
    pub fn record(&mut self, step: Result<f32, NnError>) {
        match step {
            Ok(loss) => {
                self.epoch_loss += f64::from(loss);
                self.epoch_batches += 1;
            }
            Err(e) => self.stop(e.to_string()),
        }
    }

    /// Stops the arm (its later losses are NaN).
    pub fn stop(&mut self, why: String) {
        self.diverged = Some(why);
    }

    /// The epoch's mean batch loss (NaN if the arm has stopped or trained on nothing), and a fresh epoch.
    pub fn close_epoch(&mut self) -> f64 {
        let mean = if self.epoch_batches > 0 && self.is_live() {
            self.epoch_loss / self.epoch_batches as f64
        } else {
            f64::NAN
        };
        self.epoch_loss = 0.0;
        self.epoch_batches = 0;
        mean
    }

    /// The arm's loss on `data` (NaN once it has stopped, or if the evaluation fails); a set that cannot
    /// be used stops the arm with the reason.
    pub fn evaluate(&mut self, data: &Result<Samples<'_, f32>, NnError>) -> f64 {
        if !self.is_live() {
            return f64::NAN;
        }
        match data {
            Ok(data) => self
                .trainer
                .evaluate(data)
                .map(f64::from)
                .unwrap_or(f64::NAN),
            Err(e) => {
                self.stop(format!("the test set cannot be evaluated: {e}"));
                f64::NAN
            }
        }
    }
}

/// One recorded point of the curves.
#[derive(Clone, Debug, Serialize)]
pub struct CurvePoint {
    pub epoch: usize,
    /// Mean training loss of the epoch, one per arm (NaN when there is none, e.g. at epoch 0 of the
    /// lottery ticket, before training).
    pub train: Vec<f64>,
    /// Test loss, one per arm (NaN when not evaluated this epoch).
    pub test: Vec<f64>,
}

/// Whether the test loss is evaluated at the end of `epoch`: every `every` epochs and at the last.
pub fn evaluates_at(epoch: usize, every: usize, last: usize) -> bool {
    epoch.is_multiple_of(every.max(1)) || epoch == last
}

/// Every arm's test loss on `data`.
pub fn test_losses<'a>(
    arms: impl Iterator<Item = &'a mut ArmState>,
    data: &Result<Samples<'_, f32>, NnError>,
) -> Vec<f64> {
    arms.map(|a| a.evaluate(data)).collect()
}

/// The point at the end of `epoch`: each arm's mean training loss, and the test losses if `test` is
/// given (else NaN).
pub fn close_epoch<'a>(
    epoch: usize,
    arms: impl Iterator<Item = &'a mut ArmState>,
    test: Option<Vec<f64>>,
) -> CurvePoint {
    let train: Vec<f64> = arms.map(ArmState::close_epoch).collect();
    let n = train.len();
    CurvePoint {
        epoch,
        train,
        test: test.unwrap_or_else(|| vec![f64::NAN; n]),
    }
}

/// What a summary reads from one arm's column of the curves.
pub struct Column<'a> {
    curve: &'a [CurvePoint],
    arm: usize,
}

impl<'a> Column<'a> {
    pub fn of(curve: &'a [CurvePoint], arm: usize) -> Self {
        Column { curve, arm }
    }
    fn evaluated(&self) -> impl DoubleEndedIterator<Item = f64> + '_ {
        self.curve
            .iter()
            .map(|p| p.test[self.arm])
            .filter(|v| !v.is_nan())
    }
    /// The first test loss (epoch 0), NaN if none.
    pub fn initial_test(&self) -> f64 {
        self.evaluated().next().unwrap_or(f64::NAN)
    }
    /// The last evaluated test loss, NaN if none.
    pub fn final_test(&self) -> f64 {
        self.evaluated().next_back().unwrap_or(f64::NAN)
    }
    /// The lowest evaluated test loss (infinity if none).
    pub fn min_test(&self) -> f64 {
        self.evaluated().fold(f64::INFINITY, f64::min)
    }
    /// The last epoch's mean training loss that is a number, NaN if none.
    pub fn final_train(&self) -> f64 {
        self.curve
            .iter()
            .rev()
            .map(|p| p.train[self.arm])
            .find(|v| !v.is_nan())
            .unwrap_or(f64::NAN)
    }
}

/// The training experiments' progress line: `epoch E of N`, and the arms' test losses at the last epoch
/// that evaluated them (`digits` decimals).
pub fn epoch_status(curve: &[CurvePoint], epoch: usize, epochs: usize, digits: usize) -> String {
    let last = curve
        .iter()
        .rev()
        .find(|p| p.test.iter().all(|v| !v.is_nan()))
        .map(|p| {
            let losses: Vec<String> = p.test.iter().map(|v| format!("{v:.digits$}")).collect();
            format!("; test loss at epoch {}: {}", p.epoch, losses.join(", "))
        })
        .unwrap_or_default();
    format!("epoch {epoch} of {epochs}{last}")
}

/// The label noise of the training experiments' teacher tasks: between 0 and [`crate::nn::MAX_NOISE`].
pub fn check_noise(noise: f64) -> Result<(), super::ExperimentError> {
    if !(0.0..=crate::nn::MAX_NOISE).contains(&noise) {
        return Err(super::ExperimentError::invalid(
            "noise",
            format!(
                "noise must be between 0 and {} (labels are trained on in 32-bit floats)",
                crate::nn::MAX_NOISE
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_skip_unevaluated_epochs() {
        let nan = f64::NAN;
        let curve = vec![
            CurvePoint {
                epoch: 0,
                train: vec![nan],
                test: vec![4.0],
            },
            CurvePoint {
                epoch: 1,
                train: vec![3.0],
                test: vec![nan],
            },
            CurvePoint {
                epoch: 2,
                train: vec![2.5],
                test: vec![2.0],
            },
            CurvePoint {
                epoch: 3,
                train: vec![nan],
                test: vec![3.0],
            },
        ];
        let c = Column::of(&curve, 0);
        assert_eq!(
            (
                c.initial_test(),
                c.final_test(),
                c.min_test(),
                c.final_train()
            ),
            (4.0, 3.0, 2.0, 2.5)
        );
        assert!(evaluates_at(4, 2, 7) && evaluates_at(7, 2, 7) && !evaluates_at(5, 2, 7));
    }
}
