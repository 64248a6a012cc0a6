//! A user's own data set: the held-out split, and the standardisation that lets one learning rate fit
//! any data (and keeps values near `f64::MAX` trainable).

use serde::Serialize;

use crate::compress::power_of_two_below;
use crate::data::tasks::Dataset as DataSet;
use crate::experiments::ExperimentError;
use crate::rng::{seeded, uniform};

/// The affine map from the user's units to the units a run trains in: `u = (v − mean) / scale` per
/// column, inputs then output, with mean and standard deviation taken over the training rows (scale 1
/// for a constant column). Training in these units makes one learning rate fit any data set; losses are
/// then in units of the output's variance (≈ 1 = predicting the mean), `scale[out]²` in the user's units.
///
/// **No overflow.** Each column is first divided by a power of two `p` near its largest magnitude (exact
/// in floating point), its mean and variance are taken there (every term is at most 4, so nothing
/// overflows even for values near `f64::MAX`), and `u = (v/p − mean/p) / (scale/p)`. With power-of-two
/// scalings every rounding is the scaled rounding of the direct formulas, so for ordinary data the numbers
/// are bit for bit those of `(v − mean) / scale` computed directly; for values beyond ~1e154, whose
/// squares overflow, the direct formulas would give infinities.
#[derive(Clone, Debug, Serialize)]
pub struct Standardisation {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    /// The output's variance over the training rows (0 for a constant output, whose scale is 1), or
    /// `None` if it exceeds the range of `f64` (an output beyond ~1e154; `scale` of the output is its
    /// standard deviation, which is always finite).
    pub output_variance: Option<f64>,
    /// Per column: the power of two `p` the column is divided by first.
    #[serde(skip)]
    unit: Vec<f64>,
    /// Per column: `mean / p` and `scale / p`, computed without overflow.
    #[serde(skip)]
    scaled: Vec<(f64, f64)>,
}

impl Standardisation {
    /// Mean and standard deviation of every column of `data` (inputs, then the output).
    pub(super) fn of(data: &DataSet) -> Standardisation {
        let n = data.len().max(1) as f64;
        let m = data.in_dim;
        let column = |c: usize| -> Vec<f64> {
            if c < m {
                data.x.iter().skip(c).step_by(m).copied().collect()
            } else {
                data.y.clone()
            }
        };
        let mut st = Standardisation {
            mean: Vec::new(),
            scale: Vec::new(),
            output_variance: None,
            unit: Vec::new(),
            scaled: Vec::new(),
        };
        for c in 0..=m {
            let v = column(c);
            let p = power_of_two_below(v.iter().fold(0.0, |a: f64, x| a.max(x.abs())));
            let mu = v.iter().map(|x| x / p).sum::<f64>() / n;
            let var = v.iter().map(|x| (x / p - mu) * (x / p - mu)).sum::<f64>() / n;
            // A constant column keeps scale 1 in the user's units, i.e. 1/p here.
            let sd = if var > 0.0 { var.sqrt() } else { 1.0 / p };
            st.mean.push(mu * p);
            st.scale.push(if var > 0.0 { sd * p } else { 1.0 });
            st.unit.push(p);
            st.scaled.push((mu, sd));
            if c == m {
                st.output_variance = Some(var * p * p).filter(|v| v.is_finite());
            }
        }
        st
    }

    /// Column `c` of a value in the user's units, standardised.
    fn to_units(&self, c: usize, v: f64) -> f64 {
        let (mu, sd) = self.scaled[c];
        (v / self.unit[c] - mu) / sd
    }

    pub(super) fn apply(&self, data: &mut DataSet) {
        let m = data.in_dim;
        for row in data.x.chunks_exact_mut(m) {
            for (c, v) in row.iter_mut().enumerate() {
                *v = self.to_units(c, *v);
            }
        }
        for v in &mut data.y {
            *v = self.to_units(m, *v);
        }
    }

    /// Column `c` of a standardised value back in the user's units.
    pub fn restore(&self, c: usize, u: f64) -> f64 {
        let (mu, sd) = self.scaled[c];
        (u * sd + mu) * self.unit[c]
    }
}

/// The largest magnitude the trainer's f32 arithmetic takes in standardised units: 2^64, far beyond any
/// training row (at most √n standard deviations from the mean) and far below `f32::MAX`, so that products
/// with weights and activations stay finite.
pub const MAX_STANDARDISED: f64 = 18_446_744_073_709_551_616.0;

/// Checks that every standardised value of `data` (rows `rows` of the user's file, in order) is finite and
/// within [`MAX_STANDARDISED`]; `what` names the set in the error.
fn check_representable(
    data: &DataSet,
    rows: &[usize],
    names: &[String],
    y_column: usize,
    what: &str,
) -> Result<(), ExperimentError> {
    let m = data.in_dim;
    let bad = |v: f64| v.is_nan() || v.abs() > MAX_STANDARDISED;
    let found = data
        .x
        .iter()
        .enumerate()
        .find(|(_, v)| bad(**v))
        .map(|(i, _)| (i / m, i % m))
        .or_else(|| data.y.iter().position(|v| bad(*v)).map(|r| (r, m)));
    let Some((r, c)) = found else {
        return Ok(());
    };
    // Column c among (inputs, output) -> the file's column.
    let file_col = if c == m {
        y_column
    } else if c < y_column {
        c
    } else {
        c + 1
    };
    let name = names
        .get(file_col)
        .map(|n| crate::data::csv::excerpt(n))
        .unwrap_or_else(|| format!("{}", file_col + 1));
    Err(ExperimentError::Data(format!(
        "data row {} ({what}), column '{name}': the value is more than 2^64 standard deviations from the \
         training rows' mean, beyond what the trainer's 32-bit floats can use; remove or fix that row",
        rows.get(r).map_or(r, |&i| i) + 1
    )))
}

/// A user's data set made ready to train on: a seeded fifth of the rows held out as the test set, both
/// sets standardised on the training rows (see [`Standardisation`]).
pub(super) struct OwnData {
    pub train: DataSet,
    pub test: DataSet,
    /// The training rows as given (exported as they are, not round-tripped through f32).
    pub raw_train: DataSet,
    /// Data row (0-based, in the user's file) of every training row.
    pub train_rows: Vec<usize>,
    pub units: Standardisation,
    /// The file's column names and the output's position among them, when known.
    pub names: Option<(Vec<String>, usize)>,
}

/// Splits and standardises the user's rows `(x_1..x_in, y)`: a shuffle from `seed` holds out
/// `max(1, n/5)` rows as the test set. Every value must be usable in the trainer's f32 arithmetic once
/// standardised (see [`MAX_STANDARDISED`]).
pub(super) fn prepare(data: DataSet, seed: u64) -> Result<OwnData, ExperimentError> {
    let n = data.len();
    if data.in_dim == 0 {
        return Err(ExperimentError::Data(
            "the data need at least one input column besides y".into(),
        ));
    }
    if n < 10 {
        return Err(ExperimentError::Data(format!(
            "the data have {n} rows; at least 10 are needed (a fifth is held out for testing)"
        )));
    }
    if data.x.len() != n * data.in_dim || data.x.iter().chain(&data.y).any(|v| !v.is_finite()) {
        return Err(ExperimentError::Data(
            "the data must be finite numbers, one row of inputs per output".into(),
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = seeded(seed);
    for i in (1..n).rev() {
        let j = (uniform(&mut rng, 0.0, 1.0) * (i + 1) as f64) as usize;
        order.swap(i, j.min(i));
    }
    let n_test = (n / 5).max(1);
    let pick = |rows: &[usize]| DataSet {
        in_dim: data.in_dim,
        names: Vec::new(),
        y_column: data.in_dim,
        x: rows
            .iter()
            .flat_map(|&r| data.input(r).iter().copied())
            .collect(),
        y: rows.iter().map(|&r| data.y[r]).collect(),
    };
    let mut test = pick(&order[..n_test]);
    let mut train = pick(&order[n_test..]);
    let raw_train = train.clone();
    let units = Standardisation::of(&train);
    units.apply(&mut train);
    units.apply(&mut test);
    let names = if data.names.len() == data.in_dim + 1 {
        &data.names[..]
    } else {
        &[]
    };
    check_representable(
        &train,
        &order[n_test..],
        names,
        data.y_column,
        "a training row",
    )?;
    check_representable(
        &test,
        &order[..n_test],
        names,
        data.y_column,
        "held out for testing",
    )?;
    let names = (data.names.len() == data.in_dim + 1 && data.y_column <= data.in_dim)
        .then(|| (data.names.clone(), data.y_column));
    Ok(OwnData {
        train,
        test,
        raw_train,
        train_rows: order[n_test..].to_vec(),
        units,
        names,
    })
}
