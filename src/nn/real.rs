//! The floating-point types the trainer runs in: `f32` (speed, the paper's PyTorch default) and `f64`
//! (exactness tests).
//!
//! Transcendental functions never go through the platform libm, so that a run is bit-identical natively
//! and in wasm32: `f32` uses the vectorisable [`super::fastmath`] (within 2 ulp), `f64` the pure-Rust
//! `libm` crate (`sqrt` is IEEE-exact everywhere and is the hardware
//! instruction). No fused multiply-add is used anywhere (`mul_add` is a slow libcall on wasm32 and would
//! change rounding between targets).

use std::fmt::{Debug, Display};
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real scalar: `f32` or `f64`.
pub trait Real:
    Copy
    + Debug
    + Display
    + Default
    + PartialOrd
    + PartialEq
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
{
    const ZERO: Self;
    const ONE: Self;
    /// The smallest positive normal number.
    const MIN_POSITIVE: Self;
    /// Short name, for reports (`"f32"` / `"f64"`).
    const NAME: &'static str;
    /// Round an `f64` to this type (round to nearest).
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn sqrt(self) -> Self;
    fn exp(self) -> Self;
    fn tanh(self) -> Self;
    fn abs(self) -> Self;
    fn is_finite(self) -> bool;
    fn is_nan(self) -> bool;
    /// Bit pattern widened to `u64` (for bit-identity checks and fingerprints).
    fn to_bits_u64(self) -> u64;
    /// `max(self, 0)`, written as a select so loops over it vectorise.
    #[inline(always)]
    fn relu(self) -> Self {
        if self > Self::ZERO { self } else { Self::ZERO }
    }
    /// `0` for a subnormal (|x| < MIN_POSITIVE), `self` otherwise (NaN stays NaN); a select, so it
    /// vectorises. Optimiser state that decays geometrically (Adam's moments under zero gradients, as a
    /// dead ReLU neuron gets) would otherwise sink into subnormals, which x86 and wasm (no flush-to-zero
    /// mode) handle on a slow path: Adam's step went from 31 µs to 108–228 µs for the 2→1024→1 net
    /// (`cargo run --release --example adam_subnormal`).
    #[inline(always)]
    fn flush_subnormal(self) -> Self {
        if self.abs() < Self::MIN_POSITIVE {
            Self::ZERO
        } else {
            self
        }
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const MIN_POSITIVE: Self = f32::MIN_POSITIVE;
    const NAME: &'static str = "f32";
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        super::fastmath::exp_f32(self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        super::fastmath::tanh_f32(self)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    #[inline(always)]
    fn to_bits_u64(self) -> u64 {
        self.to_bits() as u64
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const MIN_POSITIVE: Self = f64::MIN_POSITIVE;
    const NAME: &'static str = "f64";
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        libm::exp(self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        libm::tanh(self)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f64::abs(self)
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    #[inline(always)]
    fn to_bits_u64(self) -> u64 {
        self.to_bits()
    }
}
