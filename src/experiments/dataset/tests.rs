//! Tests of dataset compression.

use super::*;
use crate::rng::{seeded, standard_normal, uniform};

/// A user's data set of any input dimension: held-out split, compression in R^(in+1), training, and
/// the same numbers from the same seed.
#[test]
fn trains_on_user_data_of_any_dimension() {
    for in_dim in [1usize, 3] {
        let mut rng = seeded(5);
        let n = 1500;
        let x: Vec<f64> = (0..n * in_dim)
            .map(|_| uniform(&mut rng, -1.0, 1.0))
            .collect();
        let y: Vec<f64> = x
            .chunks(in_dim)
            .map(|r| r.iter().map(|v| v.sin()).sum::<f64>() + 0.1 * standard_normal(&mut rng))
            .collect();
        let data = DataSet {
            in_dim,
            x,
            y,
            names: Vec::new(),
            y_column: in_dim,
        };
        let cfg = DatasetConfig {
            target: 200,
            order: 3,
            epochs: 5,
            ..DatasetConfig::quick()
        };
        let run = |cfg: DatasetConfig| {
            let mut r = DatasetRun::from_data(cfg, data.clone()).unwrap();
            while !r.is_done() {
                r.step(2);
            }
            r
        };
        let r = run(cfg.clone());
        assert_eq!(r.in_dim(), in_dim);
        assert_eq!((r.config().d, r.config().n_test), (n - n / 5, n / 5));
        let sets = r.sets();
        let mass: f64 = sets[1].c.iter().map(|&c| c as f64).sum();
        assert!(
            (mass - (n - n / 5) as f64).abs() < 1e-2 * mass,
            "total weight {mass}"
        );
        assert_eq!(sets[1].x.len(), in_dim * sets[1].y.len());
        assert!(r.summary().compression_residual < 1e-9);
        assert!(r.summary().arms.iter().all(|a| a.final_test.is_finite()));
        let again = run(cfg);
        assert_eq!(
            serde_json::to_string(&r.summary()).unwrap(),
            serde_json::to_string(&again.summary()).unwrap()
        );
    }
    let small = DataSet {
        in_dim: 1,
        x: vec![0.0; 5],
        y: vec![0.0; 5],
        names: Vec::new(),
        y_column: 1,
    };
    assert!(matches!(
        DatasetRun::from_data(DatasetConfig::quick(), small),
        Err(ExperimentError::Data(_))
    ));
    let ok = DataSet {
        in_dim: 1,
        x: (0..100).map(f64::from).collect(),
        y: vec![1.0; 100],
        names: Vec::new(),
        y_column: 1,
    };
    assert!(matches!(
        DatasetRun::from_data(DatasetConfig::quick(), ok),
        Err(ExperimentError::Invalid {
            param: "target",
            ..
        })
    ));
}

/// Own data trains on standardised columns: rescaling and shifting the user's columns (here inputs in
/// the thousands, an output around 10^5) changes nothing but the reported output variance, and the
/// exported coreset is made of the user's own rows, in the user's units.
#[test]
fn own_data_is_standardised_and_exported_in_user_units() {
    let mut rng = seeded(8);
    let n = 1200;
    let x: Vec<f64> = (0..n * 2).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
    let y: Vec<f64> = x
        .chunks(2)
        .map(|r| (3.0 * r[0]).sin() * r[1] + 0.1 * standard_normal(&mut rng))
        .collect();
    let (a, b) = ([2000.0, 0.5, 3e4], [5e3, -1.0, 1e5]);
    let big = DataSet {
        in_dim: 2,
        x: x.chunks(2)
            .flat_map(|r| [a[0] * r[0] + b[0], a[1] * r[1] + b[1]])
            .collect(),
        y: y.iter().map(|v| a[2] * v + b[2]).collect(),
        // The output is the file's middle column: the export keeps the file's column order.
        names: vec!["area".into(), "price".into(), "age, years".into()],
        y_column: 1,
    };
    let unit = DataSet {
        in_dim: 2,
        x,
        y,
        names: Vec::new(),
        y_column: 2,
    };
    let cfg = DatasetConfig {
        target: 150,
        order: 3,
        epochs: 30,
        ..DatasetConfig::quick()
    };
    let run = |data: &DataSet| {
        let mut r = DatasetRun::from_data(cfg.clone(), data.clone()).unwrap();
        while !r.is_done() {
            r.step(7);
        }
        r
    };
    let (rb, ru) = (run(&big), run(&unit));
    let (sb, su) = (rb.summary(), ru.summary());
    for (p, q) in sb.arms.iter().zip(&su.arms) {
        assert!(p.final_test.is_finite() && p.final_test < 1.0, "{p:?}");
        if p.arm != DataArm::Compressed {
            // Same rows after standardisation, up to f32 rounding of the inputs.
            let rel = (p.final_test - q.final_test).abs() / q.final_test;
            assert!(
                rel < 1e-3,
                "{}: {} vs {}",
                p.arm.name(),
                p.final_test,
                q.final_test
            );
        }
    }
    let var_ratio = sb.output_variance.unwrap() / su.output_variance.unwrap();
    assert!((var_ratio / (a[2] * a[2]) - 1.0).abs() < 1e-9);
    let csv = rb.set_csv(1).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("index,weight,area,price,\"age, years\""));
    let mut mass = 0.0;
    let mut count = 0;
    for line in lines {
        let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        let row = f[0] as usize;
        mass += f[1];
        count += 1;
        let want = [big.x[2 * row], big.y[row], big.x[2 * row + 1]];
        assert_eq!(f[2..], want, "row {row} is exported exactly as given");
    }
    assert_eq!(count, 150);
    assert!((mass - rb.config().d as f64).abs() < 1e-9 * mass);
    // A constant output has variance 0 (it is trained on as a constant, scale 1).
    let flat = DataSet {
        y: vec![7.5; n],
        ..big.clone()
    };
    let mut r = DatasetRun::from_data(
        DatasetConfig {
            epochs: 2,
            ..cfg.clone()
        },
        flat,
    )
    .unwrap();
    while !r.is_done() {
        r.step(1);
    }
    assert_eq!(r.summary().output_variance, Some(0.0));
}

/// Values whose squares overflow f64 (here up to ~1e200 and near f64::MAX) train normally: the
/// standardisation divides by a power of two first, which is exact, so a data set scaled by 2^600 (or
/// with one column scaled to near f64::MAX) trains bit for bit like the original.
#[test]
fn huge_values_train_exactly_like_their_scaled_down_copy() {
    let mut rng = seeded(21);
    let n = 60;
    let x: Vec<f64> = (0..2 * n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
    let y: Vec<f64> = x.chunks(2).map(|r| r[0] * r[1] + 0.3 * r[0]).collect();
    let data = DataSet {
        in_dim: 2,
        x,
        y,
        names: Vec::new(),
        y_column: 2,
    };
    let p600 = 2f64.powi(600);
    let p1023 = 2f64.powi(1023);
    let huge = DataSet {
        x: data.x.iter().map(|v| v * p600).collect(),
        y: data.y.iter().map(|v| v * p1023).collect(),
        ..data.clone()
    };
    assert!(huge.x.iter().any(|v| v.abs() > 1e180));
    assert!(huge.y.iter().any(|v| v.abs() > 1e307));
    let cfg = DatasetConfig {
        target: 20,
        order: 2,
        epochs: 3,
        ..DatasetConfig::quick()
    };
    let run = |d: &DataSet| {
        let mut r = DatasetRun::from_data(cfg.clone(), d.clone()).unwrap();
        while !r.is_done() {
            r.step(1);
        }
        r
    };
    let (a, b) = (run(&data), run(&huge));
    assert_eq!(
        serde_json::to_string(a.curve()).unwrap(),
        serde_json::to_string(b.curve()).unwrap()
    );
    let (sa, sb) = (a.summary(), b.summary());
    assert!(sb.arms.iter().all(|a| a.final_test.is_finite()));
    // The output's variance exceeds f64: it is None, not infinity; its sd is there, exactly scaled.
    assert_eq!(sb.output_variance, None);
    assert_eq!(sb.output_sd, sa.output_sd.map(|s| s * p1023));
    let units = b.standardisation().unwrap();
    assert!(units.mean.iter().chain(&units.scale).all(|v| v.is_finite()));
    // The issue's data: 12 rows, x = ±k·1e200.
    let issue = DataSet {
        in_dim: 1,
        x: (1..=12)
            .map(|k| {
                if k % 2 == 1 {
                    k as f64 * 1e200
                } else {
                    -(k as f64) * 1e200
                }
            })
            .collect(),
        y: (1..=12).map(|k| k as f64 * 0.5).collect(),
        names: Vec::new(),
        y_column: 1,
    };
    let mut r = DatasetRun::from_data(
        DatasetConfig {
            target: 5,
            order: 1,
            epochs: 2,
            ..DatasetConfig::quick()
        },
        issue,
    )
    .unwrap();
    while !r.is_done() {
        r.step(1);
    }
    assert!(r.summary().arms.iter().all(|a| a.final_test.is_finite()));
}

/// A held-out row so far from the training rows that it cannot be used in the trainer's f32 is a clear
/// error naming the row and the column, not a panic.
#[test]
fn an_unrepresentable_test_row_is_a_clear_error() {
    let n = 40;
    let data = DataSet {
        in_dim: 1,
        x: (0..n).map(|i| i as f64 / n as f64).collect(),
        y: (0..n).map(|i| (i % 7) as f64).collect(),
        names: vec!["dose".into(), "y".into()],
        y_column: 1,
    };
    let cfg = DatasetConfig {
        target: 10,
        order: 2,
        epochs: 1,
        ..DatasetConfig::quick()
    };
    // The training rows, read from the full arm's export; the rest are held out.
    let r = DatasetRun::from_data(cfg.clone(), data.clone()).unwrap();
    let csv = r.set_csv(0).unwrap();
    let train: Vec<usize> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let held_out = (0..n).find(|i| !train.contains(i)).unwrap();
    let mut bad = data.clone();
    bad.x[held_out] = 1e300;
    let err = DatasetRun::from_data(cfg.clone(), bad).err().unwrap();
    assert!(matches!(err, ExperimentError::Data(_)), "{err:?}");
    // The message says where, for the user to fix their file.
    let err = err.to_string();
    assert!(
        err.contains(&format!(
            "data row {} (held out for testing), column 'dose'",
            held_out + 1
        )) && err.contains("32-bit"),
        "{err}"
    );
    // In a training row the same value is just a far outlier: it trains.
    let mut outlier = data;
    outlier.x[train[0]] = 1e300;
    assert!(DatasetRun::from_data(cfg, outlier).is_ok());
}

#[test]
fn compressed_set_keeps_the_loss_of_quadratic_functions() {
    // The weighted MSE of any net is a symmetric function of the data; at init its landscape through
    // the compressed set must be far closer to the full set's than the naive subset's.
    let cfg = DatasetConfig {
        d: 3000,
        target: 300,
        order: 4,
        epochs: 1,
        ..DatasetConfig::quick()
    };
    let run = DatasetRun::new(cfg).unwrap();
    let l = run.landscape(9, 1.0, false, 7).unwrap();
    assert_eq!(
        l.arms,
        vec![DataArm::Full, DataArm::Compressed, DataArm::Naive]
    );
    assert!(
        l.deviation[1] * 10.0 < l.deviation[2],
        "compressed {} vs naive {}",
        l.deviation[1],
        l.deviation[2]
    );
    assert!(run.summary().compression_residual < 1e-12);
}

#[test]
fn full_batch_and_minibatch_runs_finish() {
    for bs in [None, Some(64)] {
        let cfg = DatasetConfig {
            d: 800,
            target: 100,
            order: 3,
            epochs: 4,
            batch_size: bs,
            samples_per_epoch: 800,
            n_test: 500,
            eval_every: 2,
            ..DatasetConfig::quick()
        };
        let mut run = DatasetRun::new(cfg).unwrap();
        while !run.is_done() {
            run.step(3);
        }
        let s = run.summary();
        assert_eq!(s.epochs_done, 4);
        assert!(s.arms.iter().all(|a| a.final_test.is_finite()));
    }
}

#[test]
fn bad_configs() {
    let e = |c: DatasetConfig| DatasetRun::new(c).err().unwrap();
    let invalid =
        |c, param: &str| matches!(e(c), ExperimentError::Invalid { param: p, .. } if p == param);
    assert!(invalid(
        DatasetConfig {
            target: 5000,
            ..DatasetConfig::quick()
        },
        "target"
    ));
    assert!(invalid(
        DatasetConfig {
            target: 20,
            ..DatasetConfig::quick()
        },
        "order"
    ));
    assert!(matches!(
        e(DatasetConfig {
            lr: 0.0,
            ..DatasetConfig::quick()
        }),
        ExperimentError::Nn(NnError::BadLearningRate(_))
    ));
    assert!(invalid(
        DatasetConfig {
            batch_size: Some(0),
            ..DatasetConfig::quick()
        },
        "batch_size"
    ));
}
