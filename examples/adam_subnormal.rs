//! Diagnosis for BENCHMARKS.md: Adam's per-step cost once its state turns subnormal. One step with a
//! gradient of 1e-4 everywhere, then zero gradients (as a dead ReLU neuron gets): m decays by 0.9 a step,
//! goes subnormal after ~800 steps and sticks at the smallest subnormal (`m += 0.1·(0 − m)` subtracts
//! 0.1·2^-149, which rounds to 0); v decays by 0.999 and goes subnormal after ~65k steps. x86 and wasm
//! (which has no flush-to-zero) pay a slow path for every subnormal operand.
//! Run: `cargo run --release --example adam_subnormal` (4097 parameters = the 2→1024→1 net).
use moment_lab::nn::{Optimizer, OptimizerKind};
use std::time::Instant;

fn main() {
    let n = 4097;
    let mut opt = Optimizer::<f32>::new(OptimizerKind::adam(), n).unwrap();
    let mut p = vec![0.1f32; n];
    opt.step(&mut p, &vec![1e-4f32; n], 1e-3).unwrap();
    let zero = vec![0f32; n];
    for block in 0..100 {
        let t = Instant::now();
        for _ in 0..1000 {
            opt.step(&mut p, &zero, 1e-3).unwrap();
        }
        if block < 3 || block % 10 == 9 {
            println!(
                "steps {}k-{}k: {:.1} µs/step",
                block,
                block + 1,
                t.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}
