//! `exp` and `tanh` for the `f32` trainer that vectorise and give the same bits on every target.
//!
//! `libm::expf` / `libm::tanhf` are portable but scalar and branchy, which made a tanh or sigmoid network
//! train far slower than a ReLU one (BENCHMARKS.md has the figures). These are written with `+ − × ÷`, comparisons and integer bit operations only, all
//! IEEE-exact on every target and never fused, so native (baseline or AVX2) and wasm32 agree bit for bit,
//! and LLVM vectorises the loops that call them.
//!
//! **Method.** Both work in `f32` throughout (eight lanes per AVX2 vector, four per wasm simd128 one).
//! `x = k ln 2 + r` with `k = round(x / ln 2)` by the `1.5·2²³` shifter and a two-part `ln 2`
//! (Cody–Waite), so `|r| ≤ 0.35`; `e^r − 1` by its Taylor polynomial of degree 7 (truncation `< 2e-8`
//! relative); `2^k` is built from the shifter's bits.
//! - `exp(x) = 2^k (1 + (e^r − 1))`, `x` clamped to `[−104, 89]` (outside, the `f32` result is `0` or
//!   `∞` anyway; NaN passes through).
//! - `tanh(|x|) = −m / (2 + m)` with `m = e^(−2|x|) − 1 = (2^k − 1) + 2^k (e^r − 1)` for `|x| < 0.55`, where
//!   `1 − e^(−2|x|)` would cancel; above, `(1 − e) / (1 + e)` with `e = e^(−2|x|) = 2^k + 2^k (e^r − 1)`,
//!   which rounds better near 1. `|x|` is clamped to `9.5` (beyond, tanh rounds to 1).
//!
//! **Accuracy** (tested against `libm` in `f64` on a grid and 200 000 random points of `[−110, 110]`):
//! within 2 ulp of `f32` for both. **Cost**: about 20 flops and one division, no branches.

/// `1.5 · 2²³`: adding it to `|y| < 2²²` rounds `y` to an integer held in the low mantissa bits.
const SHIFTER: f32 = 12_582_912.0;
/// `ln 2 = LN2_HI + LN2_LO` (to 1e-14): the high part has 15 significant bits, so `k · LN2_HI` is exact
/// for `|k| < 2⁹`, more than the `[−150, 128]` used here (Cephes' split).
const LN2_HI: f32 = f32::from_bits(0x3f31_7200);
const LN2_LO: f32 = f32::from_bits(0x35bf_be8e);

/// `x = k ln 2 + r` with `k = round(x / ln 2)` and `|r| ≤ 0.35`; returns `(k, r)` for `|x| < 2²¹`.
#[inline(always)]
fn reduce(x: f32) -> (i32, f32) {
    let t = x * std::f32::consts::LOG2_E + SHIFTER;
    let k = t - SHIFTER;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // The shifter's low bits are k in two's complement.
    (t.to_bits().wrapping_sub(SHIFTER.to_bits()) as i32, r)
}

/// `e^r − 1` for `|r| ≤ 0.35`: Taylor to degree 7 (truncation `< 2e-8` relative), no cancellation.
#[inline(always)]
fn expm1_reduced(r: f32) -> f32 {
    let mut p = 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    r + (r * r) * p
}

/// `2^k` for `−126 ≤ k ≤ 127`.
#[inline(always)]
fn pow2(k: i32) -> f32 {
    f32::from_bits((k.wrapping_add(127) as u32) << 23)
}

/// `e^x`; `e^∞ = ∞`, `e^−∞ = 0`, NaN in, NaN out; subnormal results are rounded once, correctly from
/// the computed value.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    // Outside [−104, 89] the result is 0 or ∞ anyway; comparisons written so that NaN falls through.
    let x = if x < -104.0 { -104.0 } else { x };
    let x = if x > 89.0 { 89.0 } else { x };
    let (k, r) = reduce(x);
    let p = 1.0 + expm1_reduced(r);
    // 2^k in two exact halves, so k ∈ [−150, 128] neither overflows the scale nor flushes it to 0.
    let k1 = k >> 1;
    p * pow2(k1) * pow2(k - k1)
}

/// Below this `|x|` tanh uses `e^(−2|x|) − 1`, above it `e^(−2|x|)`.
const SMALL_TANH: f32 = 0.55;

/// `tanh(x)` from `e^(−2|x|)` (see the module docs), sign restored; `tanh(±∞) = ±1`, NaN in, NaN out,
/// `tanh(−0) = −0`.
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    // Beyond 9.5 tanh rounds to 1 in f32.
    let a = if a > 9.5 { 9.5 } else { a };
    let (k, r) = reduce(-2.0 * a);
    // e^(k ln2 + r) − 1 = (2^k − 1) + 2^k (e^r − 1); k ∈ [−28, 0], so 2^k − 1 is exact.
    let s = pow2(k);
    let q = expm1_reduced(r);
    // Small |x|: m = e^(−2|x|) − 1 = (2^k − 1) + 2^k q has no cancellation, tanh = −m / (2 + m).
    // Larger |x|: e = e^(−2|x|) = 2^k + 2^k q directly, tanh = (1 − e) / (1 + e), which rounds better
    // near 1. One division either way.
    let m = (s - 1.0) + s * q;
    let e = s + s * q;
    let small = a < SMALL_TANH;
    let num = if small { -m } else { 1.0 - e };
    let den = if small { 2.0 + m } else { 1.0 + e };
    (num / den).copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{seeded, uniform};

    /// Distance in units in the last place of `f32` between `got` and the exact value `want` (f64).
    fn ulps(got: f32, want: f64) -> f64 {
        let w = want as f32;
        if got == w {
            return 0.0;
        }
        let ulp = (f32::from_bits(w.abs().to_bits() + 1) - w.abs()) as f64;
        (got as f64 - want).abs() / ulp
    }

    fn sample_points() -> Vec<f32> {
        let mut xs: Vec<f32> = (-22_000..=22_000).map(|i| i as f32 * 0.005).collect();
        let mut rng = seeded(5);
        xs.extend((0..200_000).map(|_| uniform(&mut rng, -110.0, 110.0) as f32));
        // Tiny, subnormal-producing and boundary arguments.
        for e in -40..=2 {
            let v = 10f32.powi(e);
            xs.extend([v, -v, 1.7 * v, -1.7 * v]);
        }
        xs.extend([
            0.01,
            -0.01,
            0.009_999_999,
            9.5,
            -9.5,
            89.0,
            88.7,
            -103.9,
            -87.3,
        ]);
        xs
    }

    #[test]
    fn exp_is_within_two_ulp() {
        for x in sample_points() {
            let want = libm::exp(x as f64);
            let got = exp_f32(x);
            if want > f32::MAX as f64 {
                assert_eq!(got, f32::INFINITY, "exp({x})");
            } else if want < f32::MIN_POSITIVE as f64 {
                // Subnormal range: within one subnormal step of the exact value.
                assert!(
                    (got as f64 - want).abs() <= f32::from_bits(1) as f64,
                    "exp({x}) = {got}, want {want}"
                );
            } else {
                let u = ulps(got, want);
                assert!(u <= 2.0, "exp({x}) = {got}, want {want} ({u} ulp)");
            }
        }
    }

    #[test]
    fn tanh_is_within_two_ulp() {
        for x in sample_points() {
            let want = libm::tanh(x as f64);
            let got = tanh_f32(x);
            let u = ulps(got, want);
            assert!(u <= 2.0, "tanh({x}) = {got}, want {want} ({u} ulp)");
            assert_eq!(
                got.is_sign_negative(),
                x.is_sign_negative(),
                "sign of tanh({x})"
            );
        }
    }

    #[test]
    fn special_values() {
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(tanh_f32(f32::INFINITY), 1.0);
        assert_eq!(tanh_f32(f32::NEG_INFINITY), -1.0);
        assert!(tanh_f32(f32::NAN).is_nan());
        assert_eq!(tanh_f32(0.0).to_bits(), 0.0f32.to_bits());
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(tanh_f32(1e-30), 1e-30);
        assert_eq!(tanh_f32(20.0), 1.0);
    }
}
