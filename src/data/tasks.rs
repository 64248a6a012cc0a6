//! The paper's synthetic regression tasks. Inputs `x ~ U[-1,1]²`; labels with Gaussian noise.
//!
//! - **Teacher–student (Fig. 3, Fig. 5a):** a random 2-50-1 ReLU teacher whose every weight and bias is
//!   `U(-1, 1)` (fixed seed), label noise std 3.
//! - **Cylindrical harmonic (Fig. 4, Fig. 5b):** `J_6(20 r) cos 6θ`, label noise std 0.2 (in [`crate::nn`]'s
//!   special functions once wired).
//!
//! Cost: `O(n · hidden)` per data set.

use crate::rng::{LabRng, seeded, standard_normal, uniform};

/// A regression data set: `x` row-major `n × in_dim`, `y` length n.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub in_dim: usize,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Column names in the file's order (empty: `x1..xn, y`).
    pub names: Vec<String>,
    /// Position of the output among the columns (`in_dim` when it is the last).
    pub y_column: usize,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.y.len()
    }
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    pub fn input(&self, i: usize) -> &[f64] {
        &self.x[i * self.in_dim..(i + 1) * self.in_dim]
    }
    /// Rows `(x_1, …, x_in, y)`: the objects that dataset compression compresses (m = in_dim + 1).
    pub fn objects(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.len() * (self.in_dim + 1));
        for i in 0..self.len() {
            out.extend_from_slice(self.input(i));
            out.push(self.y[i]);
        }
        out
    }
}

/// Inputs uniform on `[-1,1]^dim`.
pub fn uniform_inputs(rng: &mut LabRng, n: usize, dim: usize) -> Vec<f64> {
    (0..n * dim).map(|_| uniform(rng, -1.0, 1.0)).collect()
}

/// A two-layer ReLU teacher `f(x) = Σ_j v_j relu(w_j·x + b_j) + b_out` with all parameters `U(-1,1)`.
#[derive(Clone, Debug)]
pub struct Teacher {
    pub in_dim: usize,
    pub w: Vec<f64>,
    pub b: Vec<f64>,
    pub v: Vec<f64>,
    pub b_out: f64,
}

impl Teacher {
    pub fn random(seed: u64, in_dim: usize, hidden: usize) -> Teacher {
        let mut rng = seeded(seed);
        let w = (0..hidden * in_dim)
            .map(|_| uniform(&mut rng, -1.0, 1.0))
            .collect();
        let b = (0..hidden).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let v = (0..hidden).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let b_out = uniform(&mut rng, -1.0, 1.0);
        Teacher {
            in_dim,
            w,
            b,
            v,
            b_out,
        }
    }

    pub fn eval(&self, x: &[f64]) -> f64 {
        let mut s = self.b_out;
        for j in 0..self.v.len() {
            let pre: f64 = self.w[j * self.in_dim..(j + 1) * self.in_dim]
                .iter()
                .zip(x)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                + self.b[j];
            s += self.v[j] * pre.max(0.0);
        }
        s
    }

    /// `n` samples `x ~ U[-1,1]^in`, `y = f(x) + noise·ε`.
    pub fn sample(&self, rng: &mut LabRng, n: usize, noise: f64) -> Dataset {
        let x = uniform_inputs(rng, n, self.in_dim);
        let y = (0..n)
            .map(|i| {
                self.eval(&x[i * self.in_dim..(i + 1) * self.in_dim]) + noise * standard_normal(rng)
            })
            .collect();
        Dataset {
            in_dim: self.in_dim,
            x,
            y,
            names: Vec::new(),
            y_column: self.in_dim,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teacher_is_reproducible_and_noisy_labels_have_the_right_spread() {
        let t = Teacher::random(420, 2, 50);
        let t2 = Teacher::random(420, 2, 50);
        assert_eq!(t.w, t2.w);
        let mut rng = seeded(1);
        let clean = t.sample(&mut seeded(1), 20_000, 0.0);
        let noisy = t.sample(&mut rng, 20_000, 3.0);
        assert_eq!(clean.x, noisy.x);
        let var: f64 = clean
            .y
            .iter()
            .zip(&noisy.y)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            / 20_000.0;
        assert!((var - 9.0).abs() < 0.3, "noise variance {var}");
        assert_eq!(noisy.objects().len(), 60_000);
    }
}
