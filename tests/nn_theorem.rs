//! The dynamical lottery ticket "in miniature" (paper Sec. 4, Definition 5): a network in which neuron j
//! appears n_j times, trained for 100 steps, and the weighted network with c_j = n_j and the 1/c_j
//! gradient rescaling, give the same outputs to 1e-9 relative (f64) — for plain full-batch GD (the issue's
//! test), for every other optimiser, and for mini-batches shared between the two nets. Without the rescale
//! SGD visibly departs, while Adam hides the missing rescale (paper: "no visible difference" with AdamW).

use moment_lab::nn::{
    Activation, BatchStream, GradMode, OptimizerKind, Samples, TrainConfig, Trainer, TwoLayerNet,
};
use moment_lab::rng::{seeded, uniform};

const COUNTS: [usize; 7] = [1, 3, 2, 5, 1, 4, 2];

struct Task {
    x: Vec<f64>,
    y: Vec<f64>,
    x_test: Vec<f64>,
}

fn task() -> Task {
    let mut r = seeded(77);
    let n = 64;
    let x: Vec<f64> = (0..2 * n).map(|_| uniform(&mut r, -1.0, 1.0)).collect();
    let y: Vec<f64> = (0..n)
        .map(|s| (3.0 * x[2 * s]).sin() * (2.0 * x[2 * s + 1]).cos())
        .collect();
    let x_test: Vec<f64> = (0..2 * 300).map(|_| uniform(&mut r, -1.0, 1.0)).collect();
    Task { x, y, x_test }
}

/// (duplicated net with c = 1, weighted net with c_j = n_j), same function at init.
fn nets(act: Activation) -> (TwoLayerNet<f64>, TwoLayerNet<f64>) {
    let base = TwoLayerNet::<f64>::init(2, COUNTS.len(), act, 2024).unwrap();
    let mut idx = Vec::new();
    for (j, &n) in COUNTS.iter().enumerate() {
        idx.extend(std::iter::repeat_n(j, n));
    }
    let dup = base.subnetwork(&idx, None).unwrap();
    let all: Vec<usize> = (0..COUNTS.len()).collect();
    let c: Vec<f64> = COUNTS.iter().map(|&n| n as f64).collect();
    let weighted = base.subnetwork(&all, Some(&c)).unwrap();
    (dup, weighted)
}

/// Train both (the duplicated one with the true gradient, the weighted one with `mode`) for 100 steps
/// (full batch, or a shuffled stream of batch 5 = 13 steps per epoch, the last batch of 4, fed
/// identically to both) and return the max relative output difference on the test inputs.
fn run(kind: OptimizerKind, lr: f64, act: Activation, mode: GradMode, minibatch: bool) -> f64 {
    let t = task();
    let data = Samples::new(&t.x, &t.y, 2).unwrap();
    let (dup, weighted) = nets(act);
    let cfg = TrainConfig::new(kind, lr).with_cosine(8);
    let mut a = Trainer::new(dup, cfg).unwrap();
    let mut b = Trainer::new(weighted, cfg.with_grad_mode(mode)).unwrap();
    // Same function at initialisation.
    let mut pa = vec![0.0; 300];
    let mut pb = vec![0.0; 300];
    a.predict(&t.x_test, &mut pa).unwrap();
    b.predict(&t.x_test, &mut pb).unwrap();
    assert!(rel_diff(&pa, &pb) < 1e-14);
    let l0 = a.evaluate(&data).unwrap();
    if minibatch {
        let stream = BatchStream::shuffled(64, 5, 5).unwrap();
        let mut order = Vec::new();
        let mut steps = 0;
        'outer: for epoch in 0..8 {
            stream.fill_epoch(epoch, &mut order);
            for batch in stream.batches(&order) {
                a.step(&data, Some(batch), epoch).unwrap();
                b.step(&data, Some(batch), epoch).unwrap();
                steps += 1;
                if steps == 100 {
                    break 'outer;
                }
            }
        }
        assert_eq!(steps, 100);
    } else {
        for s in 0..100u64 {
            let epoch = s / 13; // exercise the schedule too
            a.step(&data, None, epoch).unwrap();
            b.step(&data, None, epoch).unwrap();
        }
    }
    a.predict(&t.x_test, &mut pa).unwrap();
    b.predict(&t.x_test, &mut pb).unwrap();
    // The nets must actually have learned something (not a trivially frozen comparison).
    let la = a.evaluate(&data).unwrap();
    assert!(la < 0.95 * l0, "{kind:?}: loss {l0} -> {la}");
    rel_diff(&pa, &pb)
}

fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    let scale = a.iter().map(|v| v.abs()).fold(0.0, f64::max);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
        / scale
}

#[test]
fn plain_gd_weighted_equals_repeated_neurons() {
    for act in [Activation::Relu, Activation::Tanh, Activation::Sigmoid] {
        let d = run(
            OptimizerKind::sgd(),
            0.1,
            act,
            GradMode::compressed(),
            false,
        );
        eprintln!("theorem: SGD full batch {act:?}: max rel diff {d:e}");
        assert!(d < 1e-9, "{act:?}: {d:e}");
    }
}

#[test]
fn every_optimiser_weighted_equals_repeated_neurons() {
    let cases = [
        (OptimizerKind::sgd_momentum(0.9), 0.05),
        (OptimizerKind::adam(), 0.01),
        (OptimizerKind::adamw(), 0.01),
        (OptimizerKind::rmsprop(), 0.003),
        (OptimizerKind::rprop(), 0.01),
    ];
    for (kind, lr) in cases {
        for minibatch in [false, true] {
            let d = run(
                kind,
                lr,
                Activation::Relu,
                GradMode::compressed(),
                minibatch,
            );
            eprintln!("theorem: {kind:?} minibatch={minibatch}: max rel diff {d:e}");
            assert!(d < 1e-9, "{kind:?} minibatch={minibatch}: {d:e}");
        }
    }
    let d = run(
        OptimizerKind::sgd(),
        0.1,
        Activation::Relu,
        GradMode::compressed(),
        true,
    );
    eprintln!("theorem: SGD minibatch: max rel diff {d:e}");
    assert!(d < 1e-9);
}

#[test]
fn without_rescale_sgd_departs_but_adam_hides_it() {
    let sgd = run(
        OptimizerKind::sgd(),
        0.1,
        Activation::Relu,
        GradMode::Autograd,
        false,
    );
    let adam = run(
        OptimizerKind::adam(),
        0.01,
        Activation::Relu,
        GradMode::Autograd,
        false,
    );
    eprintln!("theorem: no rescale: SGD rel diff {sgd:e}, Adam rel diff {adam:e}");
    assert!(sgd > 1e-2, "SGD should depart without 1/c_j: {sgd:e}");
    assert!(
        adam < 1e-4,
        "Adam should nearly hide the missing 1/c_j: {adam:e}"
    );
}
