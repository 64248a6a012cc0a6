//! The fused kernels for a fixed small input dimension `M`: forward (vectorised over samples) and backward
//! (vectorised over neurons), each blocked so that the accumulators stay in registers without changing the
//! order of the floating-point operations (see the module docs of [`super`] for the maths and the cost).

#[cfg(target_arch = "x86_64")]
use multiversion::multiversion;

use super::CHUNK;
use super::activation::Act;
use crate::nn::real::Real;

/// Backward for a fixed small input dimension: samples outer (in blocks of [`SAMPLE_BLOCK`]), one fused
/// pass over the neurons per block, vectorised over neurons. Every reduction over samples is an
/// elementwise update of the per-neuron accumulators, so no horizontal sums are needed; within a block
/// the accumulators stay in registers and receive the samples' terms one after the other, so the order
/// (sample by sample) is the same for any blocking, target and vector width. `wt` and `raw_w` are
/// input-major (`M × d`).
///
/// Compiled for baseline x86-64 and for AVX2 and picked at run time (as is [`fwd_fixed`]): the
/// floating-point operations and their order are the same in both (Rust never fuses a multiply-add), so
/// the result is bit for bit the same, and the same as in wasm (`tests/reproducible.rs` checks both
/// against one fixture). How much faster AVX2 trains is measured in BENCHMARKS.md (run E).
#[cfg_attr(target_arch = "x86_64", multiversion(targets("x86_64+avx2")))]
#[cfg_attr(not(target_arch = "x86_64"), inline(always))]
pub(super) fn bwd_fixed<T: Real, A: Act, const M: usize>(
    wt: &[T],
    b: &[T],
    xt: &[T],
    g: &[T],
    raw_w: &mut [T],
    raw_b: &mut [T],
    raw_v: &mut [T],
) {
    let d = b.len();
    let wk: [&[T]; M] = std::array::from_fn(|k| &wt[k * d..(k + 1) * d]);
    let raw_b = &mut raw_b[..d];
    let raw_v = &mut raw_v[..d];
    let mut chunks = raw_w[..M * d].chunks_exact_mut(d);
    let mut rw: [&mut [T]; M] = std::array::from_fn(|_| chunks.next().unwrap());
    let n = g.len();
    let mut s = 0;
    while s + SAMPLE_BLOCK <= n {
        bwd_block::<T, A, M, SAMPLE_BLOCK>(&wk, b, xt, g, s, &mut rw, raw_b, raw_v);
        s += SAMPLE_BLOCK;
    }
    while s < n {
        bwd_block::<T, A, M, 1>(&wk, b, xt, g, s, &mut rw, raw_b, raw_v);
        s += 1;
    }
}

/// Samples per backward sweep over the neurons.
const SAMPLE_BLOCK: usize = 4;

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn bwd_block<T: Real, A: Act, const M: usize, const SB: usize>(
    wk: &[&[T]; M],
    b: &[T],
    xt: &[T],
    g: &[T],
    s: usize,
    rw: &mut [&mut [T]; M],
    raw_b: &mut [T],
    raw_v: &mut [T],
) {
    let d = b.len();
    let gs: [T; SB] = std::array::from_fn(|i| g[s + i]);
    let xs: [[T; M]; SB] = std::array::from_fn(|i| std::array::from_fn(|k| xt[k * CHUNK + s + i]));
    for j in 0..d {
        let bj = b[j];
        let wj: [T; M] = std::array::from_fn(|k| wk[k][j]);
        let mut rv = raw_v[j];
        let mut rb = raw_b[j];
        let mut rwj: [T; M] = std::array::from_fn(|k| rw[k][j]);
        for i in 0..SB {
            let mut z = bj;
            for k in 0..M {
                z += wj[k] * xs[i][k];
            }
            let (h, hd) = A::fd(z);
            rv += gs[i] * h;
            let dd = gs[i] * hd;
            rb += dd;
            for k in 0..M {
                rwj[k] += dd * xs[i][k];
            }
        }
        raw_v[j] = rv;
        raw_b[j] = rb;
        for k in 0..M {
            rw[k][j] = rwj[k];
        }
    }
}

/// Forward for a fixed small input dimension: fully unrolled over k, vectorised over samples.
#[cfg_attr(target_arch = "x86_64", multiversion(targets("x86_64+avx2")))]
#[cfg_attr(not(target_arch = "x86_64"), inline(always))]
pub(super) fn fwd_fixed<T: Real, A: Act, const M: usize>(
    w: &[T],
    b: &[T],
    v: &[T],
    c: &[T],
    xt: &[T],
    f: &mut [T],
) {
    let d = b.len();
    let mut j = 0;
    while j + NEURON_BLOCK <= d {
        fwd_block::<T, A, M, NEURON_BLOCK>(w, b, v, c, xt, f, j);
        j += NEURON_BLOCK;
    }
    while j < d {
        fwd_block::<T, A, M, 1>(w, b, v, c, xt, f, j);
        j += 1;
    }
}

/// Neurons per forward sweep over the samples.
const NEURON_BLOCK: usize = 4;

/// Neurons `j0..j0+NB` added to `f` in one sweep; `f_s` stays in a register and receives the neurons'
/// terms one after the other, so the order equals the unblocked loop.
#[inline(always)]
fn fwd_block<T: Real, A: Act, const M: usize, const NB: usize>(
    w: &[T],
    b: &[T],
    v: &[T],
    c: &[T],
    xt: &[T],
    f: &mut [T],
    j0: usize,
) {
    let cnt = f.len();
    let xs: [&[T]; M] = std::array::from_fn(|k| &xt[k * CHUNK..k * CHUNK + cnt]);
    let wj: [[T; M]; NB] = std::array::from_fn(|i| std::array::from_fn(|k| w[(j0 + i) * M + k]));
    let bj: [T; NB] = std::array::from_fn(|i| b[j0 + i]);
    let cv: [T; NB] = std::array::from_fn(|i| c[j0 + i] * v[j0 + i]);
    for s in 0..cnt {
        let x: [T; M] = std::array::from_fn(|k| xs[k][s]);
        let mut fs = f[s];
        for i in 0..NB {
            let mut z = bj[i];
            for k in 0..M {
                z += wj[i][k] * x[k];
            }
            fs += cv[i] * A::f(z);
        }
        f[s] = fs;
    }
}
