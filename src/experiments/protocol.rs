//! The experiment protocol: what every experiment implements, so that one loop drives any of them in the
//! CLI, the browser worker and the tests. See the module docs of [`crate::experiments`] for the picture.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ExperimentError;
use super::params::{Params, Valid};

/// One experiment of the lab: built from [`Valid`] parameters, stepped in bounded pieces of work, read
/// out as items (its records, in order), a summary and a result document.
///
/// The required methods are the state machine; the provided ones are optional abilities with a default
/// that says "not offered": data the page reads as typed arrays, queries, the user's own CSV, independent
/// parts that a driver may run on several threads (or, later, in several workers), a clock.
pub trait Experiment: Sized + 'static {
    /// The experiment's name: the CLI command, the page's `kind`, the result document's `experiment`.
    const KIND: &'static str;
    /// What it runs and writes, for the CLI's help (a paragraph, lines of at most 100 characters).
    const ABOUT: &'static str;

    /// The configuration as written (serialised as the page and the result document show it). Missing
    /// fields take the first preset's values.
    type Config: Params + Serialize + DeserializeOwned + Clone + 'static;
    /// One record of the run, in order: a curve point, a trial, a row of a sweep.
    type Item: Serialize + Clone + Send + Sync + 'static;
    /// The numbers a reader looks at first.
    type Summary: Serialize;

    /// The named configurations; the first is the default.
    fn presets() -> Vec<Preset<Self::Config>>;
    /// Builds the run (data, initialisation, compression: the set-up, checked against the cost caps).
    fn build(config: Valid<Self::Config>, host: &Host) -> Result<Self, ExperimentError>;
    fn config(&self) -> &Self::Config;
    /// Does at most about `budget` units of work (epochs, mini-batches, compressions: the experiment's
    /// own unit, at least one), so that a caller can stay responsive and stop between calls.
    fn step(&mut self, budget: usize) -> Result<(), ExperimentError>;
    /// The fraction done, in `[0, 1]`, never decreasing.
    fn progress(&self) -> f64;
    fn is_done(&self) -> bool;
    /// Where the run is, in words, for the CLI's progress lines ("epoch 120 of 300; test loss …").
    fn status(&self) -> String;
    /// Every item so far, in order.
    fn items(&self) -> &[Self::Item];
    fn summary(&self) -> Self::Summary;
    /// The seed the run's randomness comes from, if it has one.
    fn seed(&self) -> Option<u64>;

    /// What the result document plots, as JSON: by default the items.
    fn curves(&self) -> Result<Value, ExperimentError> {
        to_json(self.items())
    }
    /// The result document's other parts, each under its own name (kept points, function maps, …).
    fn extras(&self) -> Result<Vec<(&'static str, Value)>, ExperimentError> {
        Ok(Vec::new())
    }

    /// For the page when the run starts, besides its configuration and items so far (e.g. a cloud's
    /// points as a typed array).
    fn info(&self) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        Ok(Vec::new())
    }
    /// For the page besides the new items: what was recorded since `cursor` (which it moves on), or
    /// what the page animates (a cloud's current weights in slow motion).
    fn live(&self, cursor: &mut usize) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        let _ = cursor;
        Ok(Vec::new())
    }
    /// For the page when the run is done, besides the summary (e.g. the kept points).
    fn outputs(&self) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        Ok(Vec::new())
    }
    /// A question the page may ask at any time (a heat map now, a loss landscape, a set as CSV).
    fn query(&mut self, what: &str, args: &Value) -> Result<Payload, ExperimentError> {
        let _ = args;
        Err(ExperimentError::Unsupported {
            what: format!("{} answers no query '{what}'", Self::KIND),
        })
    }

    /// Whether [`Experiment::from_csv`] is offered.
    const OWN_DATA: bool = false;
    /// The checks of a configuration that do not depend on the user's data (whose sizes come from the
    /// file): by default every check.
    fn check_options(config: &Self::Config) -> Result<(), ExperimentError> {
        config.check_ref()
    }
    /// The run on the user's CSV text instead of generated data.
    fn from_csv(config: Self::Config, csv: &str, host: &Host) -> Result<Self, ExperimentError> {
        let _ = (config, csv, host);
        Err(ExperimentError::Unsupported {
            what: format!("{} does not run on your own data", Self::KIND),
        })
    }

    /// How many independent parts the run splits into (sweep points, trials), each computed from the
    /// configuration alone by [`Experiment::run_part`]; 0: the run is only stepped.
    fn parts(&self) -> usize {
        0
    }
    /// The order in which to start the parts on several threads (the costliest first).
    fn part_order(&self) -> Vec<usize> {
        (0..self.parts()).collect()
    }
    /// Part `index` alone, without touching the run: the item that stepping would record for it.
    fn run_part(&self, index: usize) -> Result<Self::Item, ExperimentError> {
        Err(ExperimentError::OutOfRange {
            what: "part",
            index,
            len: self.parts(),
        })
    }
    /// Installs every part's item, in part order: the run is then done, as if stepped.
    fn finish_with(&mut self, items: Vec<Self::Item>) -> Result<(), ExperimentError> {
        let _ = items;
        Err(ExperimentError::Unsupported {
            what: format!("{} has no parts", Self::KIND),
        })
    }
    /// How many lanes the run trains side by side (arms on the same batches) that
    /// [`Experiment::run_lanes`] can train each on its own, start to end; 0: the run is only stepped.
    fn lanes(&self) -> usize {
        0
    }
    /// Trains the fresh run to its end with its lanes spread over `workers` (each lane on one thread,
    /// the costliest first), calling `on_lane(finished)` as each ends: the run is then done, bit for bit
    /// as if stepped.
    fn run_lanes(
        &mut self,
        workers: &crate::parallel::Workers,
        on_lane: &(dyn Fn(usize) + Sync),
    ) -> Result<(), ExperimentError> {
        let _ = (workers, on_lane);
        Err(ExperimentError::Unsupported {
            what: format!("{} has no lanes", Self::KIND),
        })
    }
    /// The threads its steps use (a compression inside one step, for example).
    fn threads(&self) -> usize {
        1
    }

    /// The CLI's spellings that are not `--field value` (every field is a flag under its own name).
    fn flags() -> &'static [Flag] {
        &[]
    }
}

/// A named configuration.
#[derive(Clone, Debug)]
pub struct Preset<C> {
    pub name: &'static str,
    /// What it is for, in a few words ("seconds in a browser tab", "the paper's Fig. 3a").
    pub about: &'static str,
    pub config: C,
}

impl<C> Preset<C> {
    pub fn new(name: &'static str, about: &'static str, config: C) -> Self {
        Preset {
            name,
            about,
            config,
        }
    }

    /// The configuration of the preset called `name` among `presets`.
    pub fn named(presets: Vec<Preset<C>>, name: &str) -> Option<C> {
        presets
            .into_iter()
            .find(|p| p.name == name)
            .map(|p| p.config)
    }
}

/// What the driver offers an experiment: threads for work inside one step, a wall clock for the one
/// experiment that measures time (the core never reads a clock itself), and the size limit of a user's
/// CSV.
#[derive(Clone, Copy, Debug)]
pub struct Host {
    /// 0: one per core (natively; the wasm build always has one).
    pub threads: usize,
    /// Seconds since some fixed moment.
    pub clock: Option<fn() -> f64>,
    /// The most rows a user's CSV may have.
    pub max_rows: usize,
}

impl Host {
    /// The browser worker: one thread, no clock, CSV files up to [`super::cloud::MAX_POINTS`] rows.
    pub const PAGE: Host = Host {
        threads: 1,
        clock: None,
        max_rows: super::cloud::MAX_POINTS,
    };
}

impl Default for Host {
    fn default() -> Self {
        Host::PAGE
    }
}

/// A command-line spelling of a configuration field (see [`Experiment::flags`]).
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    /// `--name`.
    pub name: &'static str,
    /// The configuration field it sets.
    pub field: &'static str,
    pub action: FlagAction,
    /// What the value is ("the number of epochs between maps"), also used in its error messages.
    pub help: &'static str,
}

#[derive(Clone, Copy, Debug)]
pub enum FlagAction {
    /// `--name VALUE` sets the field; `min`: the least value; `requires`: a flag that must be given too.
    Value {
        min: Option<u64>,
        requires: Option<&'static str>,
    },
    /// `--name` alone sets a boolean field to this value.
    Switch(bool),
    /// `--name` alone adds this name to the list field (once).
    Add(&'static str),
    /// `--name VALUE` (required) picks the preset family: the preset is `VALUE-PRESET`.
    PresetFamily,
}

impl Flag {
    /// `--name VALUE` for `field`.
    pub const fn value(name: &'static str, field: &'static str, help: &'static str) -> Flag {
        Flag {
            name,
            field,
            action: FlagAction::Value {
                min: None,
                requires: None,
            },
            help,
        }
    }
    /// The value must be at least `min`.
    pub const fn at_least(mut self, min: u64) -> Flag {
        if let FlagAction::Value { requires, .. } = self.action {
            self.action = FlagAction::Value {
                min: Some(min),
                requires,
            };
        }
        self
    }
    /// Only together with `--other`.
    pub const fn requires(mut self, other: &'static str) -> Flag {
        if let FlagAction::Value { min, .. } = self.action {
            self.action = FlagAction::Value {
                min,
                requires: Some(other),
            };
        }
        self
    }
    pub const fn switch(
        name: &'static str,
        field: &'static str,
        to: bool,
        help: &'static str,
    ) -> Flag {
        Flag {
            name,
            field,
            action: FlagAction::Switch(to),
            help,
        }
    }
    pub const fn add(
        name: &'static str,
        field: &'static str,
        item: &'static str,
        help: &'static str,
    ) -> Flag {
        Flag {
            name,
            field,
            action: FlagAction::Add(item),
            help,
        }
    }
    pub const fn preset_family(name: &'static str, help: &'static str) -> Flag {
        Flag {
            name,
            field: "",
            action: FlagAction::PresetFamily,
            help,
        }
    }
}

/// Data for the page, made in Rust: JSON, except for large numeric arrays, which the wasm binding hands
/// to JavaScript as typed arrays (no JSON on the way). Natively the arrays are JSON arrays.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    Json(Value),
    F64(Vec<f64>),
    F32(Vec<f32>),
    U32(Vec<u32>),
    List(Vec<Payload>),
    Object(Vec<(&'static str, Payload)>),
}

impl Payload {
    /// Any serialisable value, as JSON.
    pub fn json(value: &(impl Serialize + ?Sized)) -> Result<Payload, ExperimentError> {
        to_json(value).map(Payload::Json)
    }

    /// The same data as plain JSON (typed arrays become arrays of numbers; NaN becomes `null`).
    pub fn into_json(self) -> Value {
        let numbers = |v: Vec<f64>| Value::from(v);
        match self {
            Payload::Json(v) => v,
            Payload::F64(v) => numbers(v),
            Payload::F32(v) => numbers(v.into_iter().map(f64::from).collect()),
            Payload::U32(v) => Value::from(v),
            Payload::List(v) => Value::Array(v.into_iter().map(Payload::into_json).collect()),
            Payload::Object(v) => {
                let mut object = serde_json::Map::new();
                for (k, p) in v {
                    object.insert(k.to_string(), p.into_json());
                }
                Value::Object(object)
            }
        }
    }
}

/// Part indices ordered by decreasing `cost` (ties in index order): the start order of
/// [`Experiment::part_order`] that keeps the long parts from ending up last on one thread.
pub fn costliest_first(cost: impl Fn(usize) -> (u64, u64), parts: usize) -> Vec<usize> {
    let mut keyed: Vec<(std::cmp::Reverse<(u64, u64)>, usize)> = (0..parts)
        .map(|i| (std::cmp::Reverse(cost(i)), i))
        .collect();
    // One instantiation of the sort for every experiment (a sort is several kB of wasm each).
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// A value as JSON; a serialisation error (never expected for the lab's types) is an error, not an empty
/// value.
pub fn to_json(value: &(impl Serialize + ?Sized)) -> Result<Value, ExperimentError> {
    serde_json::to_value(value).map_err(|e| ExperimentError::Output(e.to_string()))
}
