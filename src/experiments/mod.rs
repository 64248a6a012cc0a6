//! Experiments as step-able state machines: `new(config)` validates, `step(budget)` does a bounded amount
//! of work and reports progress, accessors read the results. The CLI, the browser worker and the tests
//! drive exactly the same code, so the same seed gives the same numbers everywhere.

pub mod bench;
pub mod cloud;
pub mod cost;
pub mod dataset;
pub mod error_scaling;
pub mod fit;
pub mod lth;
pub mod scaling;
