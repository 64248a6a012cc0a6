//! Native trainer-kernel benchmark: forward+backward throughput of a 2→1024→1 ReLU net, batch 128, f32
//! (the target is ≥ 15 GFLOP/s effective in wasm+simd128), plus f64 and a full Adam step.
//! Run: `cargo bench --bench nn` (add `-- quick` for the first case only).
//!
//! Flop count (the convention): forward = 2 flops per multiply-add = `2 d (m + 1)` per sample
//! (hidden pre-activations and output), forward + backward = 3 × forward.
use std::hint::black_box;
use std::time::Instant;

use moment_lab::nn::{
    Activation, GradMode, Grads, OptimizerKind, Real, Samples, TrainConfig, Trainer, TwoLayerNet,
    Workspace,
};
use moment_lab::rng::{seeded, uniform};

fn flops_per_step(m: usize, d: usize, batch: usize) -> f64 {
    3.0 * 2.0 * (d * (m + 1)) as f64 * batch as f64
}

/// Repeat `f` for at least `secs` after a warm-up; return the best per-call time over 5 rounds.
fn time(secs: f64, mut f: impl FnMut()) -> f64 {
    let warm = Instant::now();
    while warm.elapsed().as_secs_f64() < 0.3 {
        f();
    }
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        let mut n = 0u64;
        while t.elapsed().as_secs_f64() < secs / 5.0 {
            f();
            n += 1;
        }
        best = best.min(t.elapsed().as_secs_f64() / n as f64);
    }
    best
}

fn kernel<T: Real>(m: usize, d: usize, batch: usize, act: Activation) {
    let n = 4096;
    let mut r = seeded(1);
    let x: Vec<T> = (0..n * m)
        .map(|_| T::from_f64(uniform(&mut r, -1.0, 1.0)))
        .collect();
    let y: Vec<T> = (0..n)
        .map(|_| T::from_f64(uniform(&mut r, -1.0, 1.0)))
        .collect();
    let data = Samples::new(&x, &y, m).unwrap();
    let net = TwoLayerNet::<T>::init(m, d, act, 42).unwrap();
    let mut ws = Workspace::new(&net);
    let mut g = Grads::new(&net);
    let batches: Vec<Vec<usize>> = (0..32)
        .map(|b| (0..batch).map(|s| (b * batch + s * 7) % n).collect())
        .collect();
    let mut k = 0;
    let t = time(1.5, || {
        let l = net
            .loss_and_grad(
                &data,
                Some(&batches[k % 32]),
                GradMode::compressed(),
                &mut g,
                &mut ws,
            )
            .unwrap();
        black_box(l);
        k += 1;
    });
    let gf = flops_per_step(m, d, batch) / t / 1e9;
    println!(
        "{} {m}→{d}→1 {act:?} batch {batch}: fwd+bwd {:.1} µs/step, {gf:.1} GFLOP/s",
        T::NAME,
        t * 1e6
    );
    // Forward only.
    let xb: Vec<T> = x[..batch * m].to_vec();
    let mut out = vec![T::ZERO; batch];
    let tf = time(1.0, || {
        net.predict(&xb, &mut out, &mut ws).unwrap();
        black_box(&out);
    });
    println!(
        "{} {m}→{d}→1 {act:?} batch {batch}: forward {:.1} µs, {:.1} GFLOP/s",
        T::NAME,
        tf * 1e6,
        flops_per_step(m, d, batch) / 3.0 / tf / 1e9
    );
    // A full trainer step (gradient + AdamW update).
    let cfg = TrainConfig::new(OptimizerKind::adamw(), 1e-4);
    let mut tr = Trainer::new(net.clone(), cfg).unwrap();
    let mut k = 0;
    let ts = time(1.0, || {
        black_box(tr.step_lr(&data, Some(&batches[k % 32]), 1e-4).unwrap());
        k += 1;
    });
    println!(
        "{} {m}→{d}→1 {act:?} batch {batch}: AdamW train step {:.1} µs ({:.1} GFLOP/s effective)",
        T::NAME,
        ts * 1e6,
        flops_per_step(m, d, batch) / ts / 1e9
    );
}

fn main() {
    kernel::<f32>(2, 1024, 128, Activation::Relu);
    if std::env::args().any(|a| a == "quick") {
        return;
    }
    kernel::<f64>(2, 1024, 128, Activation::Relu);
    kernel::<f32>(2, 1024, 512, Activation::Relu);
    kernel::<f32>(2, 10_000, 512, Activation::Relu);
    kernel::<f32>(2, 1024, 128, Activation::Tanh);
    kernel::<f32>(5, 256, 128, Activation::Relu);
}
