//! Native compressor benchmark: time, moment residual and Fig. 2 error per strategy.
//! Run: `cargo bench --bench compress` (add `-- quick` for the small cases only).
use std::time::Instant;

use moment_lab::compress::{Cloud, CompressParams, Strategy, compress};
use moment_lab::data::symmetric::{probes, sigmoid, symmetric_mean};
use moment_lab::rng::{seeded, uniform};

fn case(dim: usize, order: usize, d: usize, target: usize, strategy: Strategy, seed: u64) {
    let mut rng = seeded(seed);
    let pts: Vec<f64> = (0..d * dim).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
    let xs = probes(&mut rng, dim, 10);
    let cloud = Cloud::new(dim, pts);
    let params = CompressParams::new(order, target).with_strategy(strategy);
    // Best of 3 runs.
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..3 {
        let t = Instant::now();
        let r = compress(&cloud, &params).expect("valid case");
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    let r = out.unwrap();
    let mut w = vec![0.0; d];
    for (&i, &c) in r.indices.iter().zip(&r.weights) {
        w[i] = c;
    }
    let f0 = symmetric_mean(&cloud.points, dim, &cloud.weights, &xs, sigmoid);
    let f1 = symmetric_mean(&cloud.points, dim, &w, &xs, sigmoid);
    println!(
        "m={dim} k={order} d={d} -> {target} {strategy:?}: {:.4} s, kept {}, residual {:.1e}, fig2 error {:.2e}, QRs {}",
        best,
        r.indices.len(),
        r.diagnostics.residual,
        (f0 - f1).abs(),
        r.diagnostics.factorisations
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    for s in [
        Strategy::Auto,
        Strategy::Bulk,
        Strategy::Greedy,
        Strategy::Random,
    ] {
        case(3, 5, 10_000, 1_000, s, 1);
    }
    if quick {
        return;
    }
    case(4, 5, 10_000, 1_000, Strategy::Auto, 1);
    case(3, 6, 100_000, 5_059, Strategy::Auto, 1);
}
