//! Moment Lab: the universal compression theorem of arXiv 2510.00504, runnable.
//!
//! Layers (dependencies point down only):
//! - [`experiments`]: step-able state machines, identical in the CLI, the web worker and the tests.
//! - [`compress`], [`nn`], [`data`]: the pure core. No clocks, no I/O, no JS.
//! - `wasm` (wasm32 only): the one thin binding layer for the browser.

pub mod compress;
pub mod data;
pub mod experiments;
pub mod nn;
pub mod parallel;
pub mod rng;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
