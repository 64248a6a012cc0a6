//! The one error type of every experiment: a refused configuration, a run above the cost caps, bad user
//! data, or a failure of the core (the compressor, the networks, the CSV reader), typed all the way to the
//! CLI's exit codes and the page's messages.

use crate::compress::CompressError;
use crate::data::csv::CsvError;
use crate::nn::NnError;

use super::cost::Cap;

/// Everything that can go wrong in building or running an experiment.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ExperimentError {
    /// A parameter outside its range, or parameters that do not fit together; `param` names the field
    /// (or the first of the fields) to change.
    #[error("{reason}")]
    Invalid { param: &'static str, reason: String },
    /// The run's estimated cost is above one of the caps of [`super::cost`]; `lower` says what to lower.
    #[error("{}", super::cost::describe(*.cap, *.estimate, .lower))]
    TooCostly {
        cap: Cap,
        estimate: f64,
        lower: &'static str,
    },
    /// Text that is not a configuration of the experiment (bad JSON, an unknown or mistyped field).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A preset name the experiment does not have.
    #[error("unknown preset '{name}' for {kind} (use {known})")]
    UnknownPreset {
        kind: &'static str,
        name: String,
        known: String,
    },
    /// An experiment kind the registry does not have.
    #[error("unknown experiment '{name}' (use {known})")]
    UnknownKind { name: String, known: String },
    /// The user's own data cannot be used (beyond what the CSV reader checks).
    #[error("{0}")]
    Data(String),
    /// Something the experiment does not offer (own data, a query, a clock-less run of a timed one).
    #[error("{what}")]
    Unsupported { what: String },
    /// An index past what the run has recorded (a map, an arm, a task).
    #[error("no {what} {index} (there are {len})")]
    OutOfRange {
        what: &'static str,
        index: usize,
        len: usize,
    },
    /// A result that could not be serialised (never expected for the lab's types).
    #[error("could not serialise the result: {0}")]
    Output(String),
    #[error(transparent)]
    Compress(#[from] CompressError),
    #[error(transparent)]
    Nn(#[from] NnError),
    #[error(transparent)]
    Csv(#[from] CsvError),
}

impl ExperimentError {
    /// [`ExperimentError::Invalid`] for `param`.
    pub fn invalid(param: &'static str, reason: impl Into<String>) -> Self {
        ExperimentError::Invalid {
            param,
            reason: reason.into(),
        }
    }

    /// Whether the error is about the configuration alone (the CLI's usage errors, exit code 2), as
    /// opposed to the data or the run.
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            ExperimentError::Invalid { .. }
                | ExperimentError::TooCostly { .. }
                | ExperimentError::Config(_)
                | ExperimentError::UnknownPreset { .. }
                | ExperimentError::UnknownKind { .. }
        ) || matches!(
            self,
            ExperimentError::Compress(
                CompressError::OrderTooHigh { .. }
                    | CompressError::TargetBelowMoments { .. }
                    | CompressError::UnknownStrategy(_)
                    | CompressError::TooLarge { .. }
            ) | ExperimentError::Nn(
                NnError::BadLearningRate(_)
                    | NnError::BadHyperparameter { .. }
                    | NnError::Unknown { .. }
            )
        )
    }
}
