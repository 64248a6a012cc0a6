//! Optimiser steps against hand-computed values, and the cosine schedule.
//!
//! Expected values follow PyTorch's documented single-tensor algorithms (torch.optim.{SGD, Adam, AdamW,
//! Rprop, RMSprop}); the multi-step numbers were evaluated with plain Python floats from those formulas
//! (shown in the comments), independently of this crate.

use moment_lab::nn::{CosineAnnealing, NnError, Optimizer, OptimizerKind};

fn run(kind: OptimizerKind, p0: f64, grads: &[f64], lr: f64) -> Vec<f64> {
    let mut opt = Optimizer::<f64>::new(kind, 1).unwrap();
    let mut p = [p0];
    grads
        .iter()
        .map(|&g| {
            opt.step(&mut p, &[g], lr).unwrap();
            p[0]
        })
        .collect()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-15, "{a:.17e} vs {b:.17e}");
}

#[test]
fn sgd_and_momentum() {
    // p ← p − lr g
    let p = run(OptimizerKind::sgd(), 1.0, &[0.5, -0.25], 0.1);
    close(p[0], 0.95);
    close(p[1], 0.975);
    // momentum 0.9: buf = g (first), then buf = 0.9 buf + g = 0.45 + 0.5 = 0.95
    let p = run(OptimizerKind::sgd_momentum(0.9), 1.0, &[0.5, 0.5], 0.1);
    close(p[0], 0.95);
    close(p[1], 0.95 - 0.095);
    // nesterov: d = g + μ buf: step 1 = 0.5 + 0.45 = 0.95
    let nest = OptimizerKind::Sgd {
        momentum: 0.9,
        dampening: 0.0,
        nesterov: true,
        weight_decay: 0.0,
    };
    close(run(nest, 1.0, &[0.5], 0.1)[0], 1.0 - 0.095);
}

#[test]
fn adam_two_steps() {
    // Step 1: m = 0.05, v = 0.00025, m̂ = 0.5, √v̂ = 0.5 → p = 1 − 0.1·0.05/(0.5·... ) = 1 − 0.05/(0.5 + 1e-8)
    //   (step_size = lr/(1−β₁) = 1, denom = √v/√(1−β₂) + ε = 0.5 + 1e-8) = 0.900000002.
    // Step 2 (g = −0.25): python → 0.8733662987078463.
    let p = run(OptimizerKind::adam(), 1.0, &[0.5, -0.25], 0.1);
    close(p[0], 1.0 - 0.05 / (0.5 + 1e-8));
    close(p[0], 0.900000002);
    close(p[1], 0.8733662987078463);
}

#[test]
fn adamw_decays_decoupled_and_adam_l2_couples() {
    // AdamW: p ← p(1 − lr·0.01) = 0.999 first, then the Adam step: 0.899000002; step 2: 0.8714672987058463.
    let p = run(OptimizerKind::adamw(), 1.0, &[0.5, -0.25], 0.1);
    close(p[0], 0.899000002);
    close(p[1], 0.8714672987058463);
    // Adam with weight_decay 0.01 (L2 added to the gradient): 0.9000000019607843, 0.8712293476231743.
    let l2 = OptimizerKind::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
    };
    let p = run(l2, 1.0, &[0.5, -0.25], 0.1);
    close(p[0], 0.9000000019607843);
    close(p[1], 0.8712293476231743);
}

#[test]
fn rprop_sign_logic_and_clamp() {
    // lr 0.01, g = 0.3, 0.2, −0.1, −0.4, 0:
    // 1: prev·g = 0 → Δ = 0.01, p = 0.99     2: same sign → Δ = 0.012, p = 0.978
    // 3: sign flip → Δ = 0.006, gradient zeroed, no move, prev = 0
    // 4: prev·g = 0 → Δ stays 0.006, p = 0.978 + 0.006 = 0.984     5: g = 0 → no move
    let p = run(
        OptimizerKind::rprop(),
        1.0,
        &[0.3, 0.2, -0.1, -0.4, 0.0],
        0.01,
    );
    close(p[0], 0.99);
    close(p[1], 0.99 - 0.01 * 1.2);
    close(p[2], p[1]);
    close(p[3], p[1] + 0.01 * 1.2 * 0.5);
    close(p[4], p[3]);
    // Δ is clamped to step_max = 50: 40, 48, 50, 50.
    let p = run(OptimizerKind::rprop(), 0.0, &[1.0; 4], 40.0);
    close(p[0], -40.0);
    close(p[1], -88.0);
    close(p[2], -138.0);
    close(p[3], -188.0);
    // The learning rate passed after the first step is ignored (as PyTorch: step sizes start at lr).
    let mut opt = Optimizer::<f64>::new(OptimizerKind::rprop(), 1).unwrap();
    let mut q = [0.0];
    opt.step(&mut q, &[1.0], 0.01).unwrap();
    opt.step(&mut q, &[1.0], 5.0).unwrap();
    close(q[0], -0.01 - 0.012);
}

#[test]
fn rmsprop_two_steps() {
    // a = 0.01·0.25 = 0.0025, p = 1 − 0.01·0.5/(0.05 + 1e-8) = 0.900000019999996; step 2: 0.9449013374421751.
    let p = run(OptimizerKind::rmsprop(), 1.0, &[0.5, -0.25], 0.01);
    close(p[0], 0.900000019999996);
    close(p[1], 0.9449013374421751);
}

#[test]
fn f32_state_matches_f64_to_f32_precision() {
    for kind in [
        OptimizerKind::sgd_momentum(0.9),
        OptimizerKind::adam(),
        OptimizerKind::adamw(),
        OptimizerKind::rprop(),
        OptimizerKind::rmsprop(),
    ] {
        let g = [0.5, -0.25, 0.125, 0.3, -0.7];
        let mut o64 = Optimizer::<f64>::new(kind, 1).unwrap();
        let mut o32 = Optimizer::<f32>::new(kind, 1).unwrap();
        let (mut p64, mut p32) = ([1.0f64], [1.0f32]);
        for &x in &g {
            o64.step(&mut p64, &[x], 0.01).unwrap();
            o32.step(&mut p32, &[x as f32], 0.01).unwrap();
        }
        assert!((p64[0] - p32[0] as f64).abs() < 1e-6, "{kind:?}");
        assert_eq!(o64.steps(), 5);
    }
}

#[test]
fn cosine_annealing_is_pytorch_closed_form() {
    let s = CosineAnnealing::new(0.1, 100).unwrap();
    close(s.lr(0), 0.1);
    close(s.lr(50), 0.05);
    assert!(s.lr(100).abs() < 1e-17);
    let s3 = CosineAnnealing::new(1.0, 3).unwrap();
    close(s3.lr(1), 0.75); // (1 + cos(π/3))/2
    close(s3.lr(2), 0.25);
    let m = CosineAnnealing::with_min(1.0, 4, 0.2).unwrap();
    close(m.lr(2), 0.6);
    // monotone decreasing over the run
    assert!((1..100).all(|e| s.lr(e) < s.lr(e - 1)));
}

#[test]
fn bad_hyperparameters_are_typed_errors() {
    assert!(matches!(
        CosineAnnealing::new(0.0, 10),
        Err(NnError::BadLearningRate(_))
    ));
    assert!(matches!(
        CosineAnnealing::new(0.1, 0),
        Err(NnError::BadHyperparameter { name: "t_max", .. })
    ));
    let bad = OptimizerKind::Adam {
        beta1: 1.0,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
    };
    assert!(matches!(
        Optimizer::<f32>::new(bad, 3),
        Err(NnError::BadHyperparameter { name: "beta1", .. })
    ));
    let mut o = Optimizer::<f32>::new(OptimizerKind::adam(), 2).unwrap();
    let mut p = [0.0f32; 2];
    for lr in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            o.step(&mut p, &[0.0; 2], lr),
            Err(NnError::BadLearningRate(_))
        ));
    }
    assert!(matches!(
        o.step(&mut p, &[0.0; 3], 0.1),
        Err(NnError::DimMismatch { .. })
    ));
    assert!(matches!(
        OptimizerKind::by_name("lion"),
        Err(NnError::Unknown { .. })
    ));
    assert_eq!(
        OptimizerKind::by_name("AdamW").unwrap(),
        OptimizerKind::adamw()
    );
}
