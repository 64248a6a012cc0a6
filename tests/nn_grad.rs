//! Analytic gradients vs central finite differences (f64), for every activation, input dimensions that
//! hit each kernel path (m = 1, 2, 3 unrolled; m = 5 generic), with and without neuron weights c_j, with
//! and without per-sample weights, full batch and an index batch with repeats; plus the compressed
//! (1/c_j) scaling and chunking across more than 256 samples.

use moment_lab::nn::{Activation, GradMode, Grads, Samples, TwoLayerNet, Workspace};
use moment_lab::rng::{seeded, uniform};

struct Case {
    x: Vec<f64>,
    y: Vec<f64>,
    a: Vec<f64>,
}

fn make_case(m: usize, n: usize, seed: u64) -> Case {
    let mut r = seeded(seed);
    let x: Vec<f64> = (0..n * m).map(|_| uniform(&mut r, -1.0, 1.0)).collect();
    let y: Vec<f64> = (0..n).map(|_| uniform(&mut r, -1.0, 1.0)).collect();
    let a: Vec<f64> = (0..n).map(|_| uniform(&mut r, 0.1, 3.0)).collect();
    Case { x, y, a }
}

/// Drop samples whose pre-activation is within `margin` of a ReLU kink for any neuron.
fn away_from_kinks(net: &TwoLayerNet<f64>, c: &Case, m: usize, margin: f64) -> Case {
    let (w, b) = (net.w(), net.b());
    let mut out = Case {
        x: vec![],
        y: vec![],
        a: vec![],
    };
    for s in 0..c.y.len() {
        let xs = &c.x[s * m..(s + 1) * m];
        let ok = (0..net.width()).all(|j| {
            let z: f64 = b[j] + (0..m).map(|k| w[j * m + k] * xs[k]).sum::<f64>();
            z.abs() > margin
        });
        if ok {
            out.x.extend_from_slice(xs);
            out.y.push(c.y[s]);
            out.a.push(c.a[s]);
        }
    }
    out
}

/// Max |analytic − central difference| / max(1, |analytic|) over all parameters.
fn fd_error(
    net: &TwoLayerNet<f64>,
    data: &Samples<'_, f64>,
    batch: Option<&[usize]>,
) -> (f64, f64) {
    let mut ws = Workspace::new(net);
    let mut g = Grads::new(net);
    let loss = net
        .loss_and_grad(data, batch, GradMode::Autograd, &mut g, &mut ws)
        .unwrap();
    let h = 1e-6;
    let mut worst: f64 = 0.0;
    let mut scale: f64 = 0.0;
    for i in 0..net.n_params() {
        let mut p = net.clone();
        p.params_mut()[i] += h;
        let lp = p.loss(data, batch, &mut ws).unwrap();
        let mut q = net.clone();
        q.params_mut()[i] -= h;
        let lq = q.loss(data, batch, &mut ws).unwrap();
        let fd = (lp - lq) / (2.0 * h);
        let an = g.flat()[i];
        worst = worst.max((an - fd).abs() / an.abs().max(1.0));
        scale = scale.max(an.abs());
    }
    assert!(loss.is_finite());
    (worst, scale)
}

fn check(act: Activation, m: usize, weighted_neurons: bool, weighted_samples: bool) -> f64 {
    let width = 7;
    let mut net = TwoLayerNet::<f64>::init(m, width, act, 11 + m as u64).unwrap();
    if weighted_neurons {
        let c = [0.5, 2.0, 1.0, 3.5, 0.0, 1.25, 7.0];
        net.set_neuron_weights(&c).unwrap();
    }
    let raw = make_case(m, 60, 5 + m as u64);
    let case = if act == Activation::Relu {
        away_from_kinks(&net, &raw, m, 1e-3)
    } else {
        raw
    };
    assert!(case.y.len() >= 20, "too few samples left: {}", case.y.len());
    let data = if weighted_samples {
        Samples::with_weights(&case.x, &case.y, m, &case.a).unwrap()
    } else {
        Samples::new(&case.x, &case.y, m).unwrap()
    };
    let (e_full, scale) = fd_error(&net, &data, None);
    // An index batch with repeats and out-of-order indices.
    let batch = [3usize, 0, 3, 7, 12, 1, 12, 12, 5];
    let (e_batch, _) = fd_error(&net, &data, Some(&batch));
    assert!(scale > 1e-3, "gradient suspiciously small: {scale}");
    let e = e_full.max(e_batch);
    assert!(
        e < 1e-7,
        "{act:?} m={m} c={weighted_neurons} a={weighted_samples}: FD error {e:e}"
    );
    e
}

#[test]
fn gradients_match_finite_differences() {
    let mut worst: f64 = 0.0;
    for act in [Activation::Relu, Activation::Tanh, Activation::Sigmoid] {
        for m in [1, 2, 3, 5] {
            for wn in [false, true] {
                for wsm in [false, true] {
                    worst = worst.max(check(act, m, wn, wsm));
                }
            }
        }
    }
    eprintln!("grad: worst relative FD error over 48 configurations: {worst:e}");
}

#[test]
fn compressed_mode_is_autograd_divided_by_c() {
    let m = 2;
    let mut net = TwoLayerNet::<f64>::init(m, 5, Activation::Tanh, 3).unwrap();
    let c = [0.5, 2.0, 0.0, 3.0, 1e-13];
    net.set_neuron_weights(&c).unwrap();
    let case = make_case(m, 40, 9);
    let data = Samples::with_weights(&case.x, &case.y, m, &case.a).unwrap();
    let mut ws = Workspace::new(&net);
    let mut ga = Grads::new(&net);
    let mut gc = Grads::new(&net);
    net.loss_and_grad(&data, None, GradMode::Autograd, &mut ga, &mut ws)
        .unwrap();
    net.loss_and_grad(&data, None, GradMode::compressed(), &mut gc, &mut ws)
        .unwrap();
    for (j, &cj) in c.iter().enumerate() {
        let expect = |x: f64| if cj <= 1e-12 { 0.0 } else { x / cj };
        for (a, b) in [(ga.v()[j], gc.v()[j]), (ga.b()[j], gc.b()[j])]
            .into_iter()
            .chain((0..m).map(|k| (ga.w()[j * m + k], gc.w()[j * m + k])))
        {
            let e = expect(a);
            assert!(
                (b - e).abs() <= 1e-14 * e.abs().max(1.0),
                "j={j}: {b} vs {e}"
            );
        }
    }
    // The shared output bias is not rescaled.
    assert_eq!(ga.b_out(), gc.b_out());
}

#[test]
fn chunking_and_precision_are_consistent() {
    // 700 samples = 3 chunks (256 + 256 + 188, the last not a multiple of 8): the gradient equals the sum
    // of per-sample gradients computed one at a time, and f32 agrees with f64 to f32 accuracy.
    let m = 2;
    let net = TwoLayerNet::<f64>::init(m, 33, Activation::Relu, 21).unwrap();
    let case = make_case(m, 700, 4);
    let data = Samples::with_weights(&case.x, &case.y, m, &case.a).unwrap();
    let mut ws = Workspace::new(&net);
    let mut g = Grads::new(&net);
    let loss = net
        .loss_and_grad(&data, None, GradMode::Autograd, &mut g, &mut ws)
        .unwrap();
    let total: f64 = case.a.iter().sum();
    let mut acc = vec![0.0; net.n_params()];
    let mut acc_loss = 0.0;
    let mut gi = Grads::new(&net);
    for s in 0..700 {
        let l = net
            .loss_and_grad(&data, Some(&[s]), GradMode::Autograd, &mut gi, &mut ws)
            .unwrap();
        let wgt = case.a[s] / total;
        acc_loss += wgt * l;
        for (a, x) in acc.iter_mut().zip(gi.flat()) {
            *a += wgt * x;
        }
    }
    assert!((loss - acc_loss).abs() < 1e-13 * loss);
    let worst = acc
        .iter()
        .zip(g.flat())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-13, "chunked vs per-sample: {worst:e}");

    let net32 = net.cast::<f32>();
    let x32: Vec<f32> = case.x.iter().map(|&v| v as f32).collect();
    let y32: Vec<f32> = case.y.iter().map(|&v| v as f32).collect();
    let a32: Vec<f32> = case.a.iter().map(|&v| v as f32).collect();
    let d32 = Samples::with_weights(&x32, &y32, m, &a32).unwrap();
    let mut ws32 = Workspace::new(&net32);
    let mut g32 = Grads::new(&net32);
    let l32 = net32
        .loss_and_grad(&d32, None, GradMode::Autograd, &mut g32, &mut ws32)
        .unwrap();
    assert!(((l32 as f64) - loss).abs() < 1e-5 * loss);
    let worst32 = g32
        .flat()
        .iter()
        .zip(g.flat())
        .map(|(a, b)| (*a as f64 - b).abs())
        .fold(0.0, f64::max);
    assert!(worst32 < 1e-5, "f32 vs f64 gradient: {worst32:e}");

    // predict() agrees with the loss's forward pass.
    let pred = net.predict_vec(&case.x).unwrap();
    let l2: f64 = pred
        .iter()
        .zip(&case.y)
        .zip(&case.a)
        .map(|((p, y), a)| a * (p - y) * (p - y))
        .sum::<f64>()
        / total;
    assert!((l2 - loss).abs() < 1e-13 * loss);
}
