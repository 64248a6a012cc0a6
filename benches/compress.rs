//! Native compressor benchmark: time (best of N on the first seed), moment residual (worst over seeds) and
//! Fig. 2 error (per seed and geometric mean over seeds) per strategy.
//!
//! Run: `cargo bench --bench compress` (all cases) or with arguments after `--`:
//! - `quick`: only the m=3, k=5, 10⁴ → 10³ case;
//! - `seeds=1,2,3`: seeds to compare on (default 1..=5);
//! - `strategies=auto,greedy`: strategies (default all four);
//! - `case=4,5,10000,1000`: one custom case `m,k,d,d'` (repeatable);
//! - `reps=3`: timing repetitions;
//! - `threads=2`: compressor threads (default 1; the result is the same for every count).
//!
//! The Fig. 2 error fluctuates between clouds by ~2×, so compare strategies on the same seeds and read
//! the geometric mean.
use std::time::Instant;

use moment_lab::compress::{Cloud, CompressParams, Strategy, compress};
use moment_lab::data::symmetric::{probes, sigmoid, symmetric_mean};
use moment_lab::rng::{seeded, uniform};

struct Run {
    secs: f64,
    kept: usize,
    residual: f64,
    error: f64,
    qrs: usize,
}

/// End-phase tuning and thread overrides from the command line (`from=3`, `frac=0.1`, `q=8`, `threads=2`).
fn tune(mut p: CompressParams) -> CompressParams {
    for a in std::env::args() {
        if let Some(v) = a.strip_prefix("from=") {
            p.end_from = v.parse().unwrap();
        } else if let Some(v) = a.strip_prefix("frac=") {
            p.round_fraction = v.parse().unwrap();
        } else if let Some(v) = a.strip_prefix("q=") {
            p.end_q = v.parse().unwrap();
        } else if let Some(v) = a.strip_prefix("threads=") {
            p.threads = v.parse().unwrap();
        }
    }
    p
}

fn run(
    dim: usize,
    order: usize,
    d: usize,
    target: usize,
    s: Strategy,
    seed: u64,
    reps: usize,
) -> Run {
    let mut rng = seeded(seed);
    let pts: Vec<f64> = (0..d * dim).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
    let xs = probes(&mut rng, dim, 10);
    let cloud = Cloud::new(dim, pts);
    let params = tune(CompressParams::new(order, target).with_strategy(s));
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..reps.max(1) {
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
    Run {
        secs: best,
        kept: r.indices.len(),
        residual: r.diagnostics.residual,
        error: (f0 - f1).abs(),
        qrs: r.diagnostics.factorisations,
    }
}

fn case(c: (usize, usize, usize, usize), s: Strategy, seeds: &[u64], reps: usize) {
    let (dim, order, d, target) = c;
    let mut errs = Vec::new();
    let mut worst_res = 0.0f64;
    let mut first = None;
    for (n, &seed) in seeds.iter().enumerate() {
        let r = run(
            dim,
            order,
            d,
            target,
            s,
            seed,
            if n == 0 { reps } else { 1 },
        );
        worst_res = worst_res.max(r.residual);
        errs.push(r.error);
        if first.is_none() {
            first = Some(r);
        }
    }
    let f = first.unwrap();
    let gm = (errs.iter().map(|e| e.max(1e-300).ln()).sum::<f64>() / errs.len() as f64).exp();
    let per: Vec<String> = errs.iter().map(|e| format!("{e:.1e}")).collect();
    println!(
        "m={dim} k={order} d={d} -> {target} {s:?}: {:.4} s, kept {}, QRs {}, max residual {:.1e}, fig2 error gmean {:.2e} [{}]",
        f.secs,
        f.kept,
        f.qrs,
        worst_res,
        gm,
        per.join(" ")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let mut seeds: Vec<u64> = (1..=5).collect();
    let mut strategies = vec![
        Strategy::Auto,
        Strategy::Bulk,
        Strategy::Greedy,
        Strategy::Random,
    ];
    let mut cases = Vec::new();
    let mut reps = 3;
    for a in &args {
        if let Some(v) = a.strip_prefix("seeds=") {
            seeds = v.split(',').map(|x| x.parse().unwrap()).collect();
        } else if let Some(v) = a.strip_prefix("strategies=") {
            strategies = v.split(',').map(|x| x.parse().unwrap()).collect();
        } else if let Some(v) = a.strip_prefix("reps=") {
            reps = v.parse().unwrap();
        } else if let Some(v) = a.strip_prefix("case=") {
            let p: Vec<usize> = v.split(',').map(|x| x.parse().unwrap()).collect();
            cases.push((p[0], p[1], p[2], p[3]));
        }
    }
    if !cases.is_empty() {
        for &c in &cases {
            for &s in &strategies {
                case(c, s, &seeds, reps);
            }
        }
        return;
    }
    for &s in &strategies {
        case((3, 5, 10_000, 1_000), s, &seeds, reps);
    }
    if quick {
        return;
    }
    case((4, 5, 10_000, 1_000), Strategy::Auto, &seeds[..1], reps);
    case((3, 6, 100_000, 5_059), Strategy::Auto, &seeds[..1], reps);
    case((3, 5, 1_000_000, 10_000), Strategy::Auto, &seeds[..1], 1);
}
