//! Baselines that every experiment compares against the moment-matching compressor.
//!
//! - [`uniform_subset`]: `d'` points drawn uniformly without replacement, each weighted `Σc / d'`. Matches
//!   the total weight only; its moment error shrinks like `1/√d'`.
//! - [`kmeans_centroids`]: Lloyd's k-means with `d'` centres (k-means++ seeding, weighted), each centre
//!   weighted by its cluster's mass. Matches order 0 and 1 exactly at a fixed point, but the centres are
//!   *new* points, not a subset.
//!
//! The third baseline, moment matching without locality, is [`super::Strategy::Random`].
//!
//! Cost: uniform `O(d)`; k-means `O(iterations · d · d' · m)`.

use super::{Cloud, CompressError};
use crate::rng::{seeded, uniform};
use rand::seq::index::sample;

/// A weighted point set that need not be a subset (k-means centroids are new points).
#[derive(Clone, Debug)]
pub struct WeightedPoints {
    pub dim: usize,
    pub points: Vec<f64>,
    pub weights: Vec<f64>,
    /// Indices into the input when the points are a subset of it.
    pub indices: Option<Vec<usize>>,
}

pub fn uniform_subset(
    cloud: &Cloud,
    target: usize,
    seed: u64,
) -> Result<WeightedPoints, CompressError> {
    cloud.validate()?;
    let d = cloud.len();
    let target = target.clamp(1, d);
    let mut rng = seeded(seed);
    let mut idx: Vec<usize> = sample(&mut rng, d, target).into_iter().collect();
    idx.sort_unstable();
    let total: f64 = cloud.weights.iter().sum();
    let points = idx.iter().flat_map(|&i| cloud.point(i).to_vec()).collect();
    Ok(WeightedPoints {
        dim: cloud.dim,
        points,
        weights: vec![total / target as f64; target],
        indices: Some(idx),
    })
}

pub fn kmeans_centroids(
    cloud: &Cloud,
    target: usize,
    seed: u64,
    iterations: usize,
) -> Result<WeightedPoints, CompressError> {
    cloud.validate()?;
    let (d, dim) = (cloud.len(), cloud.dim);
    let target = target.clamp(1, d);
    let mut rng = seeded(seed);
    // k-means++ seeding with the input weights.
    let mut centres: Vec<f64> = Vec::with_capacity(target * dim);
    let mut nearest = vec![f64::INFINITY; d];
    let first = pick(&cloud.weights, uniform(&mut rng, 0.0, 1.0));
    centres.extend_from_slice(cloud.point(first));
    while centres.len() < target * dim {
        let c = &centres[centres.len() - dim..];
        for (i, n) in nearest.iter_mut().enumerate() {
            *n = n.min(dist2(cloud.point(i), c));
        }
        let scores: Vec<f64> = (0..d).map(|i| nearest[i] * cloud.weights[i]).collect();
        let next = if scores.iter().sum::<f64>() > 0.0 {
            pick(&scores, uniform(&mut rng, 0.0, 1.0))
        } else {
            pick(&cloud.weights, uniform(&mut rng, 0.0, 1.0))
        };
        centres.extend_from_slice(cloud.point(next));
    }
    let mut assign = vec![0usize; d];
    let mut mass = vec![0.0; target];
    for _ in 0..iterations.max(1) {
        for (i, slot) in assign.iter_mut().enumerate() {
            let p = cloud.point(i);
            let (mut best, mut bd) = (0, f64::INFINITY);
            for c in 0..target {
                let dd = dist2(p, &centres[c * dim..(c + 1) * dim]);
                if dd < bd {
                    bd = dd;
                    best = c;
                }
            }
            *slot = best;
        }
        let mut sums = vec![0.0; target * dim];
        mass.iter_mut().for_each(|m| *m = 0.0);
        for i in 0..d {
            let w = cloud.weights[i];
            mass[assign[i]] += w;
            for a in 0..dim {
                sums[assign[i] * dim + a] += w * cloud.point(i)[a];
            }
        }
        for c in 0..target {
            if mass[c] > 0.0 {
                for a in 0..dim {
                    centres[c * dim + a] = sums[c * dim + a] / mass[c];
                }
            }
        }
    }
    Ok(WeightedPoints {
        dim,
        points: centres,
        weights: mass,
        indices: None,
    })
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Index drawn with probability ∝ `w` given a uniform `u ∈ [0,1)`.
fn pick(w: &[f64], u: f64) -> usize {
    let total: f64 = w.iter().sum();
    let mut acc = 0.0;
    let goal = u * total;
    for (i, &x) in w.iter().enumerate() {
        acc += x;
        if acc > goal {
            return i;
        }
    }
    w.iter().rposition(|&x| x > 0.0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kmeans_preserves_mass_and_mean() {
        let mut rng = seeded(2);
        let pts: Vec<f64> = (0..600).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let cloud = Cloud::new(2, pts);
        let km = kmeans_centroids(&cloud, 20, 1, 30).unwrap();
        let total: f64 = km.weights.iter().sum();
        assert!((total - 300.0).abs() < 1e-9);
        for a in 0..2 {
            let m0: f64 = (0..300).map(|i| cloud.point(i)[a]).sum();
            let m1: f64 = (0..20).map(|c| km.weights[c] * km.points[c * 2 + a]).sum();
            assert!(
                (m0 - m1).abs() < 1e-9,
                "first moment preserved at a Lloyd fixed point step"
            );
        }
    }

    #[test]
    fn uniform_subset_has_total_weight() {
        let cloud = Cloud::new(1, (0..100).map(|i| i as f64).collect());
        let s = uniform_subset(&cloud, 10, 3).unwrap();
        assert_eq!(s.indices.as_ref().unwrap().len(), 10);
        assert!((s.weights.iter().sum::<f64>() - 100.0).abs() < 1e-12);
    }
}
