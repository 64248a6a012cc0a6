//! Tests of the dynamical lottery ticket.

use super::*;
use crate::nn::{Activation, NeuronChart, NnError, OptimizerName};

#[test]
fn harmonic_values() {
    // J_6(0) = 0; on the x-axis θ = 0 so f = J_6(20 x).
    assert_eq!(cylindrical_harmonic(0.0, 0.0), 0.0);
    assert!((cylindrical_harmonic(0.5, 0.0) - bessel_jn(6, 10.0)).abs() < 1e-15);
}

#[test]
fn tiny_run_compressed_starts_where_original_starts() {
    let cfg = LthConfig {
        width: 600,
        target: 150,
        order: 5,
        n_train: 512,
        n_test: 512,
        epochs: 3,
        eval_every: 1,
        ..LthConfig::quick()
    };
    let mut run = LthRun::new(cfg).unwrap();
    while !run.is_done() {
        run.step(3);
    }
    let s = run.summary();
    let r0 = s.initial_ratio_compressed.unwrap();
    assert!((r0 - 1.0).abs() < 0.02, "initial test loss ratio {r0}");
    assert_eq!(s.epochs_done, 3);
    assert!(
        s.arms
            .iter()
            .all(|a| a.final_test.is_finite() && a.diverged.is_none())
    );
    assert_eq!(run.curve().len(), 4);
}

/// The scale-and-direction chart keeps every ReLU neuron's output (a·relu(u·(x,1)) = v·relu(w·x + b)),
/// the raw chart is the identity, and a zero neuron maps to zeros. For ReLU it reproduces the initial
/// function better: 3000 → 300 neurons (k = 5) start on average 7.3 % off the original's test loss in
/// raw coordinates and 0.98 % off in scale and direction (means over seeds 1-30 with the issue 19
/// compressor; 6.3 % and 1.1 % before it). For tanh it is refused.
#[test]
fn neuron_charts() {
    let net = TwoLayerNet::<f64>::init(2, 500, Activation::Relu, 3).unwrap();
    let raw = net.neuron_objects_in(NeuronChart::Raw);
    assert_eq!(raw, net.neuron_objects());
    let hom = net.neuron_objects_in(NeuronChart::Homogeneous);
    for (r, h) in raw.chunks(4).zip(hom.chunks(4)) {
        assert!(((h[1] * h[1] + h[2] * h[2] + h[3] * h[3]) - 1.0).abs() < 1e-14);
        for x in [[0.3, -0.7], [-1.0, 1.0], [0.05, 0.0]] {
            let before = r[0] * (r[1] * x[0] + r[2] * x[1] + r[3]).max(0.0);
            let after = h[0] * (h[1] * x[0] + h[2] * x[1] + h[3]).max(0.0);
            assert!((before - after).abs() <= 1e-14 * (1.0 + before.abs()));
        }
    }
    let mut zero = [0.7, 0.0, 0.0, 0.0];
    NeuronChart::Homogeneous.apply(&mut zero);
    assert_eq!(zero, [0.0; 4]);
    let gap = |chart, seed| {
        let cfg = LthConfig {
            width: 3000,
            target: 300,
            n_train: 2000,
            n_test: 4000,
            epochs: 1,
            chart,
            arms: vec![Arm::Original, Arm::Compressed],
            seed,
            ..LthConfig::quick()
        };
        (LthRun::new(cfg)
            .unwrap()
            .summary()
            .initial_ratio_compressed
            .unwrap()
            - 1.0)
            .abs()
    };
    // One draw's gap moves 10x with the seed or with any change of the compressor (seed 42,
    // homogeneous: 0.005 before issue 19, 0.035 after), so the property is on the mean over seeds:
    // over seeds 1-30 the homogeneous mean is 0.010-0.011 and the raw one 5.7-7.5x larger, with
    // either compressor; means over 8 or 6 seeds stayed below 0.018, the ratio above 3.3.
    let seeds = 1..=8u64;
    let mean = |chart| seeds.clone().map(|s| gap(chart, s)).sum::<f64>() / 8.0;
    let (g_raw, g_hom) = (mean(NeuronChart::Raw), mean(NeuronChart::Homogeneous));
    assert!(g_hom < 0.02, "homogeneous chart: mean initial gap {g_hom}");
    assert!(2.5 * g_hom < g_raw, "raw {g_raw} vs homogeneous {g_hom}");
    let tanh = LthConfig {
        activation: Activation::Tanh,
        chart: NeuronChart::Homogeneous,
        ..LthConfig::quick()
    };
    assert!(matches!(
        LthRun::new(tanh),
        Err(ExperimentError::Invalid { param: "chart", .. })
    ));
}

/// Maps are recorded at epoch 0, every `maps_every` epochs and at the last epoch; each is exactly the
/// nets' prediction at that moment (the same bits as `heatmaps` then); recording leaves the training
/// untouched; and at epoch 0 the compressed net computes a function much closer to the original's than
/// the naive sub-network does.
#[test]
fn function_maps_at_recorded_epochs() {
    let cfg = LthConfig {
        width: 400,
        target: 150,
        n_train: 500,
        n_test: 200,
        epochs: 7,
        maps_every: 3,
        maps_res: 9,
        ..LthConfig::quick()
    };
    assert_eq!(cfg.map_epochs_count(), 4);
    let mut run = LthRun::new(cfg.clone()).unwrap();
    let initial = run.heatmaps(9);
    assert_eq!(run.function_maps().len(), 1);
    assert_eq!(run.function_maps()[0].arms[..], initial[..4]);
    let mut after_three = None;
    while !run.is_done() {
        run.step(1);
        if run.epoch() == 3 && after_three.is_none() {
            after_three = Some(run.heatmaps(9));
        }
    }
    let epochs: Vec<usize> = run.function_maps().iter().map(|m| m.epoch).collect();
    assert_eq!(epochs, [0, 3, 6, 7]);
    assert_eq!(run.function_maps()[1].arms[..], after_three.unwrap()[..4]);
    let now = run.heatmaps(9);
    assert_eq!(run.function_maps()[3].arms[..], now[..4]);
    let plain = LthRun::new(LthConfig {
        maps_every: 0,
        ..cfg
    })
    .map(|mut r| {
        while !r.is_done() {
            r.step(5);
        }
        r
    })
    .unwrap();
    assert!(plain.function_maps().is_empty());
    let curves = |r: &LthRun| serde_json::to_string(r.curve()).unwrap();
    assert_eq!(curves(&plain), curves(&run));
    // Epoch 0: distance of each baseline's map to the original's.
    let rms = |a: &[f32], b: &[f32]| {
        (a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).powi(2) as f64)
            .sum::<f64>()
            / a.len() as f64)
            .sqrt()
    };
    let m0 = &run.function_maps()[0].arms;
    let (compressed, naive) = (rms(&m0[1], &m0[0]), rms(&m0[2], &m0[0]));
    assert!(
        compressed < naive / 2.0,
        "compressed {compressed}, naive {naive}"
    );
    // The grid's corners and the target on it.
    let g = grid_points(9);
    assert_eq!((g[0], g[1]), (-1.0, 1.0));
    assert_eq!((g[g.len() - 2], g[g.len() - 1]), (1.0, -1.0));
    assert_eq!(
        target_map(9)[4 * 9 + 4],
        cylindrical_harmonic(0.0, 0.0) as f32
    );
}

#[test]
fn bad_map_configs() {
    let base = LthConfig {
        maps_every: 1,
        ..LthConfig::quick()
    };
    assert!(matches!(
        LthRun::new(LthConfig {
            maps_res: 1,
            ..base.clone()
        }),
        Err(ExperimentError::Invalid {
            param: "maps_res",
            ..
        })
    ));
    assert!(matches!(
        LthRun::new(LthConfig {
            maps_res: 256,
            epochs: 100,
            ..base
        }),
        Err(ExperimentError::Invalid {
            param: "maps_every",
            ..
        })
    ));
}

#[test]
fn bad_configs() {
    let e = |c: LthConfig| LthRun::new(c).err().unwrap();
    let invalid =
        |c, param: &str| matches!(e(c), ExperimentError::Invalid { param: p, .. } if p == param);
    assert!(invalid(
        LthConfig {
            target: LthConfig::quick().width + 1,
            ..LthConfig::quick()
        },
        "target"
    ));
    assert!(invalid(
        LthConfig {
            target: 100,
            order: 5,
            ..LthConfig::quick()
        },
        "order"
    ));
    for lr in [-1.0, f64::NAN] {
        assert!(matches!(
            e(LthConfig {
                lr,
                ..LthConfig::quick()
            }),
            ExperimentError::Nn(NnError::BadLearningRate(_))
        ));
    }
    assert!(invalid(
        LthConfig {
            width: 0,
            ..LthConfig::quick()
        },
        "width"
    ));
    // A misspelt name is refused where it is read, with the names to use.
    let e =
        serde_json::from_value::<LthConfig>(serde_json::json!({"optimizer": "lbfgs"})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown optimiser 'lbfgs' (use sgd, adam, adamw, rprop or rmsprop)"
    );
}

#[test]
fn divergence_is_reported_not_panicked() {
    let cfg = LthConfig {
        width: 300,
        target: 100,
        order: 3,
        n_train: 256,
        n_test: 256,
        epochs: 20,
        optimizer: OptimizerName::Sgd,
        lr: 1e6,
        ..LthConfig::quick()
    };
    let mut run = LthRun::new(cfg).unwrap();
    while !run.is_done() {
        run.step(10);
    }
    assert!(run.summary().arms.iter().any(|a| a.diverged.is_some()));
}
