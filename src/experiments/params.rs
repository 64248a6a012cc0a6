//! Configurations and the parameters they validate into, in the shape of linfa's `ParamGuard`: a
//! configuration is what a user writes (JSON from the page, the CLI's flags merged onto a preset, a test's
//! struct literal), and [`Params::check`] turns it into [`Valid`] parameters, the only thing a run is
//! built from. Names (optimiser, activation, strategy, neuron chart, axis) are enums in the configuration
//! itself, read once by [`by_name`]; nothing downstream parses a string again.

use std::fmt::Display;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

use super::ExperimentError;

/// A configuration that can check itself.
pub trait Params: Sized {
    /// Checks every field, their combination and the cost caps ([`super::cost`]), building nothing.
    fn check_ref(&self) -> Result<(), ExperimentError>;

    /// The checked parameters.
    fn check(self) -> Result<Valid<Self>, ExperimentError> {
        self.check_ref()?;
        Ok(Valid(self))
    }
}

/// Parameters that passed [`Params::check`]. Only `check` (and, for checks that need data, the
/// experiment's own module) makes one, so a run built from it never checks or parses again.
#[derive(Clone, Debug, PartialEq)]
pub struct Valid<C>(C);

impl<C> Valid<C> {
    /// The configuration.
    pub fn into_inner(self) -> C {
        self.0
    }

    /// For an experiment whose check needs more than the configuration (a user's data set): the caller
    /// has checked `config` itself.
    pub(crate) fn checked_elsewhere(config: C) -> Self {
        Valid(config)
    }
}

impl<C> Deref for Valid<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.0
    }
}

/// Deserialises a named value (optimiser, activation, strategy, neuron chart, axis) through its
/// `FromStr`, so that a misspelt name gets the same message from a JSON config, a CLI flag and the
/// page: `unknown strategy 'bogus' (use greedy, bulk, auto or random)`. For
/// `#[serde(deserialize_with = "by_name")]`.
pub fn by_name<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let name = String::deserialize(deserializer)?;
    name.parse().map_err(serde::de::Error::custom)
}
