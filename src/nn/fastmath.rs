//! `exp` and `tanh` for the `f32` trainer that vectorise and give the same bits on every target.
//!
//! `libm::expf` / `libm::tanhf` are portable but scalar and branchy: about 18 ns per call here, which made
//! a tanh or sigmoid network ~85× slower to train than a ReLU one (the quick LTH preset: 294 s against
//! 3.4 s natively). These are written with `+ − × ÷`, comparisons and integer bit operations only, all
//! IEEE-exact on every target and never fused, so native (baseline or AVX2) and wasm32 agree bit for bit,
//! and LLVM vectorises the loops that call them.
//!
//! **Method.** Both work in `f64` and round once to `f32` at the end.
//! - `exp(x)`: `x` is clamped to `[−104, 89]` (outside, the `f32` result is `0` or `∞` anyway; NaN passes
//!   through); `k = round(x / ln 2)` by the `1.5·2⁵²` shifter, `r = x − k ln 2` with a two-part `ln 2`
//!   (Cody–Waite; `|r| ≤ 0.35`), `e^r` by its Taylor polynomial of degree 8 (truncation `< 3e-10`
//!   relative, 200× below half an `f32` ulp), times `2^k` built from the shifter's bits.
//! - `tanh(x) = sign(x) · (1 − e)/(1 + e)` with `e = exp(−2|x|)`, `|x|` clamped to `9.5` (beyond, tanh
//!   rounds to `±1` in `f32`); for `|x| < 0.01`, where `1 − e` would cancel, the series
//!   `x − x³/3 + 2x⁵/15` (truncation `< 1e-13` relative).
//!
//! **Accuracy** (tested against `libm` in `f64` over `[−110, 110]`): at most 1 ulp of `f32` from the true
//! value, i.e. the correctly rounded result or its neighbour. **Cost**: about 30 flops, no branches.

/// `1.5 · 2⁵²`: adding it to `|y| < 2⁵¹` rounds `y` to an integer held in the low mantissa bits.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// `ln 2 = LN2_HI + LN2_LO` (to 1e-26): the high part has 21 trailing zero bits, so `k · LN2_HI` is exact
/// for `|k| < 2²⁰` (fdlibm's split).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `e^x` for `x ∈ [−708, 708]` (normal `2^k`), relative error below `3e-10`.
#[inline(always)]
fn exp_f64_core(x: f64) -> f64 {
    let t = x * std::f64::consts::LOG2_E + SHIFTER;
    let k = t - SHIFTER;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Taylor series of e^r to degree 8 (truncation ≤ 0.35⁹/9! < 3e-10 relative), Estrin's scheme:
    // four independent pairs, then r² and r⁴, so the dependency chain is short.
    let r2 = r * r;
    let r4 = r2 * r2;
    let p01 = 1.0 + r;
    let p23 = 0.5 + r * (1.0 / 6.0);
    let p45 = 1.0 / 24.0 + r * (1.0 / 120.0);
    let p67 = 1.0 / 720.0 + r * (1.0 / 5_040.0);
    let p8 = 1.0 / 40_320.0;
    let p = (p01 + r2 * p23) + r4 * ((p45 + r2 * p67) + r4 * p8);
    // 2^k: the shifter's low bits are k in two's complement.
    let k_bits = t.to_bits().wrapping_sub(SHIFTER.to_bits());
    let scale = f64::from_bits(k_bits.wrapping_add(1023) << 52);
    p * scale
}

/// `e^x` in `f32`; `±∞` and NaN behave as in IEEE (`e^∞ = ∞`, `e^−∞ = 0`).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    let x = x as f64;
    // Comparisons written so that NaN falls through unchanged.
    let x = if x < -104.0 { -104.0 } else { x };
    let x = if x > 89.0 { 89.0 } else { x };
    exp_f64_core(x) as f32
}

/// `tanh(x)` in `f32`; `tanh(±∞) = ±1`, NaN in, NaN out, `tanh(−0) = −0`.
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    let x = x as f64;
    let a = x.abs();
    let a = if a > 9.5 { 9.5 } else { a };
    let e = exp_f64_core(-2.0 * a);
    let large = (1.0 - e) / (1.0 + e);
    let a2 = a * a;
    let small = a - a * a2 * (1.0 / 3.0 - a2 * (2.0 / 15.0));
    let t = if a < 0.01 { small } else { large };
    t.copysign(x) as f32
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
    fn exp_is_within_one_ulp() {
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
                assert!(u <= 1.0, "exp({x}) = {got}, want {want} ({u} ulp)");
            }
        }
    }

    #[test]
    fn tanh_is_within_one_ulp() {
        for x in sample_points() {
            let want = libm::tanh(x as f64);
            let got = tanh_f32(x);
            let u = ulps(got, want);
            assert!(u <= 1.0, "tanh({x}) = {got}, want {want} ({u} ulp)");
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
