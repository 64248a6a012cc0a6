//! Deterministic mini-batch streams, so that several arms (original, compressed, naive) can be fed the
//! identical sequence of batches.
//!
//! A [`BatchStream`] is a pure function of `(seed, epoch)`: epoch `e` draws from
//! `seeded(sub_seed(seed, e))`, so any epoch can be regenerated on its own (random access, resumable) and
//! the same seed gives the same indices natively and in wasm32. Integers below `n` come from
//! Lemire's multiply-shift with rejection on raw `next_u64` output (no sampler whose algorithm could change
//! between `rand` versions). Batches are consecutive slices of the epoch's index list of length
//! `batch_size`; the last one may be shorter (PyTorch's `drop_last = False`).
//!
//! | [`Sampling`] | PyTorch equivalent | per epoch |
//! |---|---|---|
//! | `Sequential` | `DataLoader(shuffle=False)` | `0, 1, …, n−1` |
//! | `Shuffled` | `RandomSampler` / `SubsetRandomSampler` | a fresh uniform permutation (Fisher–Yates) |
//! | `Replacement` | `RandomSampler(replacement=True, num_samples)` | `num_samples` i.i.d. uniform indices |
//! | `Weighted` | `WeightedRandomSampler(c, num_samples, replacement=True)` | `num_samples` i.i.d. indices with `P(j) ∝ c_j` |
//!
//! Cost: `O(n)` per epoch (`O(num_samples · log n)` for `Weighted`: binary searches in the cumulative
//! weights, sixteen at a time in lock step so their memory loads overlap); memory `O(n)`.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::NnError;
use crate::rng::{LabRng, seeded, sub_seed};

/// How an epoch's indices are drawn. See the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "sampling", rename_all = "lowercase")]
pub enum Sampling {
    Sequential,
    Shuffled,
    Replacement { num_samples: usize },
    Weighted { num_samples: usize },
}

/// A seeded, reproducible stream of mini-batches over `n` samples.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchStream {
    n: usize,
    batch_size: usize,
    sampling: Sampling,
    seed: u64,
    /// Cumulative weights (Weighted only).
    cdf: Vec<f64>,
    /// Largest index with positive weight (Weighted only).
    last_positive: usize,
}

impl BatchStream {
    fn base(n: usize, batch_size: usize, sampling: Sampling, seed: u64) -> Result<Self, NnError> {
        if n == 0 {
            return Err(NnError::EmptyData);
        }
        if batch_size == 0 {
            return Err(NnError::ZeroBatchSize);
        }
        Ok(BatchStream {
            n,
            batch_size,
            sampling,
            seed,
            cdf: Vec::new(),
            last_positive: 0,
        })
    }
    /// Every epoch in the order `0..n`.
    pub fn sequential(n: usize, batch_size: usize) -> Result<Self, NnError> {
        Self::base(n, batch_size, Sampling::Sequential, 0)
    }
    /// A fresh permutation of `0..n` every epoch.
    pub fn shuffled(n: usize, batch_size: usize, seed: u64) -> Result<Self, NnError> {
        Self::base(n, batch_size, Sampling::Shuffled, seed)
    }
    /// `num_samples` uniform draws with replacement per epoch.
    pub fn with_replacement(
        n: usize,
        num_samples: usize,
        batch_size: usize,
        seed: u64,
    ) -> Result<Self, NnError> {
        if num_samples == 0 {
            return Err(NnError::EmptyData);
        }
        Self::base(n, batch_size, Sampling::Replacement { num_samples }, seed)
    }
    /// `num_samples` draws with replacement per epoch, `P(j) ∝ weights[j]` (finite, ≥ 0, not all 0).
    pub fn weighted(
        weights: &[f64],
        num_samples: usize,
        batch_size: usize,
        seed: u64,
    ) -> Result<Self, NnError> {
        if num_samples == 0 {
            return Err(NnError::EmptyData);
        }
        let mut s = Self::base(
            weights.len(),
            batch_size,
            Sampling::Weighted { num_samples },
            seed,
        )?;
        if let Some(i) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(NnError::BadSampleWeight {
                index: i,
                value: weights[i],
            });
        }
        let mut acc = 0.0;
        s.cdf = weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        if acc <= 0.0 {
            return Err(NnError::ZeroTotalWeight);
        }
        if !acc.is_finite() {
            return Err(NnError::BadHyperparameter {
                name: "sum of sampling weights",
                value: acc,
                expected: "finite",
            });
        }
        s.last_positive = weights.iter().rposition(|w| *w > 0.0).unwrap_or(0);
        Ok(s)
    }

    /// Number of samples the stream draws from.
    pub fn n(&self) -> usize {
        self.n
    }
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
    pub fn sampling(&self) -> Sampling {
        self.sampling
    }
    /// Indices per epoch (`n`, or `num_samples`).
    pub fn samples_per_epoch(&self) -> usize {
        match self.sampling {
            Sampling::Sequential | Sampling::Shuffled => self.n,
            Sampling::Replacement { num_samples } | Sampling::Weighted { num_samples } => {
                num_samples
            }
        }
    }
    /// `⌈samples_per_epoch / batch_size⌉`.
    pub fn batches_per_epoch(&self) -> usize {
        self.samples_per_epoch().div_ceil(self.batch_size)
    }

    /// Write epoch `epoch`'s indices into `out` (cleared first; reuses its allocation).
    pub fn fill_epoch(&self, epoch: u64, out: &mut Vec<usize>) {
        out.clear();
        let mut rng = seeded(sub_seed(self.seed, epoch));
        match self.sampling {
            Sampling::Sequential => out.extend(0..self.n),
            Sampling::Shuffled => {
                out.extend(0..self.n);
                for i in (1..self.n).rev() {
                    let j = below(&mut rng, i + 1);
                    out.swap(i, j);
                }
            }
            Sampling::Replacement { num_samples } => {
                out.extend((0..num_samples).map(|_| below(&mut rng, self.n)));
            }
            Sampling::Weighted { num_samples } => {
                let total = self.cdf[self.n - 1];
                let mut left = num_samples;
                while left > 0 {
                    // Up to LANES draws, in stream order, searched together; spare lanes search +∞
                    // and are dropped.
                    let lanes = left.min(LANES);
                    let mut u = [f64::INFINITY; LANES];
                    for x in &mut u[..lanes] {
                        *x = unit(&mut rng) * total;
                    }
                    let found = partition_points(&self.cdf, &u);
                    out.extend(found[..lanes].iter().map(|&i| i.min(self.last_positive)));
                    left -= lanes;
                }
            }
        }
    }

    /// Epoch `epoch`'s indices (allocating).
    pub fn epoch(&self, epoch: u64) -> Vec<usize> {
        let mut v = Vec::with_capacity(self.samples_per_epoch());
        self.fill_epoch(epoch, &mut v);
        v
    }

    /// The batches of an epoch's index list, in order.
    pub fn batches<'a>(&self, epoch_indices: &'a [usize]) -> std::slice::Chunks<'a, usize> {
        epoch_indices.chunks(self.batch_size)
    }
}

/// Weighted draws searched together by [`partition_points`].
const LANES: usize = 16;

/// For every `u[l]`, the first index `i` with `cdf[i] > u[l]` — exactly `cdf.partition_point(|&c| c <= u[l])`
/// for a non-decreasing `cdf` — by `L` branchless binary searches in lock step. One search is a chain of
/// dependent loads (and its branches are coin flips); `L` independent chains let the loads overlap:
/// 7 ns instead of 12 ns a draw on 4096 weights here.
fn partition_points<const L: usize>(cdf: &[f64], u: &[f64; L]) -> [usize; L] {
    // Invariant: the answer for lane l lies in base[l] ..= base[l] + size.
    let mut base = [0usize; L];
    let mut size = cdf.len();
    while size > 1 {
        let half = size / 2;
        for (b, &ul) in base.iter_mut().zip(u) {
            let mid = *b + half;
            *b = std::hint::select_unpredictable(cdf[mid] <= ul, mid, *b);
        }
        size -= half;
    }
    for (b, &ul) in base.iter_mut().zip(u) {
        *b += usize::from(cdf[*b] <= ul);
    }
    base
}

/// Uniform integer in `0..n` (`n ≥ 1`), Lemire's method with rejection: unbiased and portable.
fn below(rng: &mut LabRng, n: usize) -> usize {
    let n = n as u64;
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = (rng.next_u64() as u128) * (n as u128);
        if (m as u64) >= threshold {
            return (m >> 64) as usize;
        }
    }
}

/// Uniform in `[0, 1)` with 53 random bits.
fn unit(rng: &mut LabRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::uniform;

    /// Running sums, as `BatchStream::weighted` builds them.
    fn cumulative(w: &[f64]) -> Vec<f64> {
        w.iter()
            .scan(0.0, |acc, x| {
                *acc += x;
                Some(*acc)
            })
            .collect()
    }

    #[test]
    fn lock_step_search_is_partition_point() {
        let mut rng = seeded(3);
        for n in [1usize, 2, 3, 7, 16, 17, 100, 1000, 4097] {
            // Weights with zeros and repeats, so the cdf has flat runs.
            let w: Vec<f64> = (0..n)
                .map(|i| {
                    if i % 5 == 2 {
                        0.0
                    } else {
                        (i % 3) as f64 + 0.5
                    }
                })
                .collect();
            let cdf = cumulative(&w);
            let acc = cdf[n - 1];
            let mut queries: Vec<f64> = (0..200)
                .map(|_| uniform(&mut rng, -1.0, acc + 1.0))
                .collect();
            // Exactly on cdf values (ties), the ends, and outside.
            queries.extend(cdf.iter().take(50).copied());
            queries.extend([0.0, acc, -0.0, f64::INFINITY, f64::NEG_INFINITY]);
            for chunk in queries.chunks(LANES) {
                let mut u = [f64::INFINITY; LANES];
                u[..chunk.len()].copy_from_slice(chunk);
                let got = partition_points(&cdf, &u);
                for (l, &q) in chunk.iter().enumerate() {
                    assert_eq!(got[l], cdf.partition_point(|&c| c <= q), "n {n}, u {q}");
                }
            }
        }
    }

    #[test]
    fn weighted_epochs_are_the_one_at_a_time_draws() {
        // The lock-step search must not change a single index: compare with drawing and searching one
        // at a time, for a sample count that is not a multiple of the lane count.
        let w: Vec<f64> = (0..300).map(|i| ((i * 7919) % 13) as f64).collect();
        let stream = BatchStream::weighted(&w, 1003, 64, 11).unwrap();
        let cdf = cumulative(&w);
        let acc = cdf[w.len() - 1];
        let last_positive = w.iter().rposition(|x| *x > 0.0).unwrap();
        for epoch in [0, 1, 5] {
            let mut rng = seeded(sub_seed(11, epoch));
            let want: Vec<usize> = (0..1003)
                .map(|_| {
                    let u = unit(&mut rng) * acc;
                    cdf.partition_point(|&c| c <= u).min(last_positive)
                })
                .collect();
            assert_eq!(stream.epoch(epoch), want, "epoch {epoch}");
        }
    }
}
