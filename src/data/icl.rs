//! The in-context regression task of Fig. 7: random continuous piecewise-linear functions.
//!
//! **An episode.** `f` on `[0, 1]` with [`SEGMENTS`] equal segments: `f(0) = f₀ ~ N(0, 0.5²)` and slope
//! `s_j ~ N(0, 1)` on segment `j`, so `f(x) = f₀ + Σ_j s_j · clamp(x − j/K, 0, 1/K)` (continuous by
//! construction). [`CONTEXT`] context points `x_i ~ U[0, 1]` with noisy labels `y_i = f(x_i) + N(0, 0.3²)`,
//! a query `x* ~ U[0, 1]` and its clean target `f(x*)`. The model reads the [`SEQ_LEN`] scalar tokens
//! `[x₁, y₁, …, x₈, y₈, x*]` and predicts `f(x*)` at the last position.
//!
//! **Cost.** `O(K)` to draw a function, `O(K)` per evaluation; a batch of `n` episodes is `O(n K)`.

use crate::rng::{LabRng, standard_normal, uniform};

/// Segments of a random function.
pub const SEGMENTS: usize = 16;
/// Context pairs per episode.
pub const CONTEXT: usize = 8;
/// Tokens per episode: the context pairs, then the query.
pub const SEQ_LEN: usize = 2 * CONTEXT + 1;
/// Standard deviation of `f(0)`.
pub const INTERCEPT_SD: f64 = 0.5;
/// Standard deviation of the context labels' noise.
pub const LABEL_NOISE: f64 = 0.3;

/// A continuous piecewise-linear function on `[0, 1]` with [`SEGMENTS`] equal segments.
#[derive(Clone, Debug, PartialEq)]
pub struct PiecewiseLinear {
    pub intercept: f64,
    pub slopes: [f64; SEGMENTS],
}

impl PiecewiseLinear {
    /// `f₀ ~ N(0, 0.5²)`, slopes `~ N(0, 1)`.
    pub fn draw(rng: &mut LabRng) -> Self {
        let intercept = INTERCEPT_SD * standard_normal(rng);
        let slopes = std::array::from_fn(|_| standard_normal(rng));
        PiecewiseLinear { intercept, slopes }
    }

    /// `f(x)`; `x` outside `[0, 1]` continues the first or last segment's line.
    pub fn eval(&self, x: f64) -> f64 {
        let width = 1.0 / SEGMENTS as f64;
        let mut y = self.intercept;
        for (j, s) in self.slopes.iter().enumerate() {
            let start = j as f64 * width;
            if j > 0 && x <= start {
                break;
            }
            let run = if j + 1 == SEGMENTS {
                x - start
            } else {
                (x - start).min(width)
            };
            y += s * run;
        }
        y
    }
}

/// One episode: the function, the token sequence and the clean target at the query.
#[derive(Clone, Debug, PartialEq)]
pub struct Episode {
    pub function: PiecewiseLinear,
    pub tokens: [f64; SEQ_LEN],
    pub target: f64,
}

impl Episode {
    pub fn draw(rng: &mut LabRng) -> Self {
        let function = PiecewiseLinear::draw(rng);
        let mut tokens = [0.0; SEQ_LEN];
        for i in 0..CONTEXT {
            let x = uniform(rng, 0.0, 1.0);
            tokens[2 * i] = x;
            tokens[2 * i + 1] = function.eval(x) + LABEL_NOISE * standard_normal(rng);
        }
        let query = uniform(rng, 0.0, 1.0);
        tokens[SEQ_LEN - 1] = query;
        let target = function.eval(query);
        Episode {
            function,
            tokens,
            target,
        }
    }

    /// The same context with another query `x*`: tokens and the clean target.
    pub fn with_query(&self, query: f64) -> ([f64; SEQ_LEN], f64) {
        let mut tokens = self.tokens;
        tokens[SEQ_LEN - 1] = query;
        (tokens, self.function.eval(query))
    }
}

/// `n` episodes as row-major `n × SEQ_LEN` tokens and `n` targets, in the trainer's precision.
pub fn batch(rng: &mut LabRng, n: usize) -> (Vec<f32>, Vec<f32>) {
    let mut tokens = Vec::with_capacity(n * SEQ_LEN);
    let mut targets = Vec::with_capacity(n);
    for _ in 0..n {
        let e = Episode::draw(rng);
        tokens.extend(e.tokens.iter().map(|&t| t as f32));
        targets.push(e.target as f32);
    }
    (tokens, targets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn functions_are_continuous_and_piecewise_linear() {
        let mut rng = seeded(3);
        let f = PiecewiseLinear::draw(&mut rng);
        assert_eq!(f.eval(0.0), f.intercept);
        let w = 1.0 / SEGMENTS as f64;
        for j in 0..SEGMENTS {
            // Inside segment j the slope is s_j.
            let (a, b) = (j as f64 * w + 0.25 * w, j as f64 * w + 0.75 * w);
            let slope = (f.eval(b) - f.eval(a)) / (b - a);
            assert!(
                (slope - f.slopes[j]).abs() < 1e-9,
                "segment {j}: {slope} vs {}",
                f.slopes[j]
            );
            // Continuous at the knots.
            let knot = (j + 1) as f64 * w;
            assert!((f.eval(knot - 1e-12) - f.eval(knot + 1e-12)).abs() < 1e-9);
        }
        let end = f.intercept + f.slopes.iter().sum::<f64>() * w;
        assert!((f.eval(1.0) - end).abs() < 1e-12);
    }

    #[test]
    fn episodes_have_the_layout_of_the_paper() {
        let mut rng = seeded(5);
        let e = Episode::draw(&mut rng);
        assert_eq!(e.tokens.len(), 17);
        for i in 0..CONTEXT {
            assert!((0.0..1.0).contains(&e.tokens[2 * i]));
        }
        assert_eq!(e.target, e.function.eval(e.tokens[SEQ_LEN - 1]));
        let (t, y) = e.with_query(0.5);
        assert_eq!((t[SEQ_LEN - 1], y), (0.5, e.function.eval(0.5)));
        assert_eq!(t[..SEQ_LEN - 1], e.tokens[..SEQ_LEN - 1]);
        // Label noise of sd 0.3 around the function, over many episodes.
        let mut rng = seeded(9);
        let mut s2 = 0.0;
        let n = 4000;
        for _ in 0..n {
            let e = Episode::draw(&mut rng);
            let r = e.tokens[1] - e.function.eval(e.tokens[0]);
            s2 += r * r;
        }
        let sd = (s2 / n as f64).sqrt();
        assert!((sd - LABEL_NOISE).abs() < 0.02, "label noise sd {sd}");
    }
}
