//! Power-law fits `y ≈ C x^(-α)` by ordinary least squares of `ln y` on `ln x`, with the slope's standard
//! error — the fit the paper uses for Fig. 2(e), Fig. 5 and Fig. 6.

use serde::Serialize;

#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct PowerFit {
    /// Decay exponent α (`y ∝ x^-α`; negative for growth).
    pub alpha: f64,
    /// Standard error of α (NaN with fewer than 3 points).
    pub stderr: f64,
    /// `ln C`.
    pub intercept: f64,
    pub points: usize,
}

/// Fits over the pairs with `x > 0`, `y > floor`. `None` with fewer than two usable points.
pub fn power_law(xs: &[f64], ys: &[f64], floor: f64) -> Option<PowerFit> {
    let pts: Vec<(f64, f64)> = xs
        .iter()
        .zip(ys)
        .filter(|&(&x, &y)| x > 0.0 && y > floor && y.is_finite())
        .map(|(&x, &y)| (x.ln(), y.ln()))
        .collect();
    let n = pts.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / nf;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let stderr = if n > 2 {
        let ssr: f64 = pts
            .iter()
            .map(|p| (p.1 - intercept - slope * p.0).powi(2))
            .sum();
        (ssr / (nf - 2.0) / sxx).sqrt()
    } else {
        f64::NAN
    };
    Some(PowerFit {
        alpha: -slope,
        stderr,
        intercept,
        points: n,
    })
}

/// Mean and sample standard deviation (ddof = 1; 0 for a single value).
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (m, sd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_exact_power_law() {
        let xs = [1e3, 2e3, 4e3, 8e3];
        let ys: Vec<f64> = xs.iter().map(|x: &f64| 5.0 * x.powf(-1.7)).collect();
        let f = power_law(&xs, &ys, 0.0).unwrap();
        assert!((f.alpha - 1.7).abs() < 1e-12);
        assert!(f.stderr < 1e-10);
    }

    #[test]
    fn floor_drops_points() {
        let f = power_law(&[1.0, 2.0, 4.0], &[1.0, 0.5, 1e-20], 1e-15).unwrap();
        assert_eq!(f.points, 2);
        assert!((f.alpha - 1.0).abs() < 1e-12);
    }
}
