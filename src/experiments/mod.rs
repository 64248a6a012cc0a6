//! The experiments, and the one protocol every one of them follows.
//!
//! ```text
//!   registry::EXPERIMENTS ──(kind, config JSON)──▶ Box<dyn AnyExperiment> ◀── the CLI's loop, the wasm `Run`
//!          │ one line per experiment                   │ runner.rs: JSON in, Payloads and a
//!          ▼                                           │ ResultDocument out, parts on threads
//!   impl Experiment for XxxRun  (protocol.rs) ◀────────┘
//!      Config: Params ─check()─▶ Valid<Config> ─build()─▶ run ─step(budget)…─▶ items, summary
//! ```
//!
//! - [`Experiment`] (in `protocol.rs`) is what an experiment implements: built from [`Valid`]
//!   parameters, `step(budget)` does a bounded amount of work, `progress`/`is_done`/`status` say where it
//!   is, `items` are its records in order (curve points, trials, rows), `summary` what a reader looks at
//!   first. Optional abilities have defaults: typed arrays for the page, queries, the user's CSV,
//!   independent parts for threads, a clock.
//! - [`Params`] (the shape of linfa's `ParamGuard`) turns a configuration as written into [`Valid`]
//!   parameters; names are enums, read once.
//! - [`ExperimentError`] is the one error type, with `From` for the core's errors.
//! - [`ResultDocument`] is the one result shape: configuration, provenance, summary, curves, extras.
//! - [`registry`] lists every experiment once; the CLI, the page and the README's preset list read it.
//!
//! The CLI, the browser worker and the tests drive exactly the same code, so the same seed gives the same
//! numbers everywhere. A new experiment is one module here, one line in [`registry::EXPERIMENTS`], and
//! one view in `www/lab/` (docs/ARCHITECTURE.md).

pub mod arms;
pub mod attention;
pub mod bench;
pub mod cloud;
pub mod cost;
pub mod dataset;
pub mod document;
mod error;
pub mod fig2;
pub mod fig8;
pub mod fit;
pub mod lth;
pub mod params;
mod protocol;
pub mod registry;
mod runner;
pub mod runtime;
pub mod scaling;
pub mod trials;

pub use document::{Provenance, ResultDocument};
pub use error::ExperimentError;
pub use params::{Params, Valid};
pub use protocol::{Experiment, Flag, FlagAction, Host, Payload, Preset, costliest_first, to_json};
pub use runner::AnyExperiment;
