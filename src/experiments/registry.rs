//! Every experiment, once. The CLI's commands and help, the page's kinds and preset menus, the README's
//! list of presets and the result documents all come from [`EXPERIMENTS`]: a new experiment is one line
//! here.

use serde_json::{Map, Value};

use super::ExperimentError;
use super::params::Params;
use super::protocol::{Experiment, Flag, Host};
use super::runner::{AnyExperiment, Runner};

/// The experiments, in the order of the CLI's help. A new experiment is one line here (and its module in
/// `experiments/mod.rs`).
pub static EXPERIMENTS: &[Entry] = &[
    Entry::of::<super::cloud::CloudRun>(),
    Entry::of::<super::fig2::Fig2Run>(),
    Entry::of::<super::fig8::Fig8Run>(),
    Entry::of::<super::runtime::RuntimeRun>(),
    Entry::of::<super::lth::LthRun>(),
    Entry::of::<super::dataset::DatasetRun>(),
    Entry::of::<super::scaling::ScalingRun>(),
    Entry::of::<super::attention::AttentionRun>(),
];

/// One experiment of the registry: its name, its help, and its typed functions behind JSON.
pub struct Entry {
    /// [`Experiment::KIND`].
    pub kind: &'static str,
    /// [`Experiment::ABOUT`].
    pub about: &'static str,
    /// [`Experiment::OWN_DATA`].
    pub own_data: bool,
    /// [`Experiment::flags`].
    pub flags: fn() -> &'static [Flag],
    presets: fn() -> Result<Vec<PresetInfo>, ExperimentError>,
    check: fn(Value, bool) -> Result<(), ExperimentError>,
    build: BuildFn,
}

/// Builds a run from a configuration as JSON, on the user's CSV text when given.
type BuildFn = fn(Value, Option<&str>, &Host) -> Result<Box<dyn AnyExperiment>, ExperimentError>;

/// A preset as JSON.
#[derive(Clone, Debug)]
pub struct PresetInfo {
    pub name: &'static str,
    pub about: &'static str,
    pub config: Value,
}

/// The registry entry of `kind`.
pub fn entry(kind: &str) -> Result<&'static Entry, ExperimentError> {
    EXPERIMENTS
        .iter()
        .find(|e| e.kind == kind)
        .ok_or_else(|| ExperimentError::UnknownKind {
            name: kind.to_string(),
            known: EXPERIMENTS
                .iter()
                .map(|e| e.kind)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Builds a run of `kind` from a configuration as the page sends it (see [`Entry::config`]), on the
/// user's CSV text when given.
pub fn build(
    kind: &str,
    config_json: &str,
    csv: Option<&str>,
    host: &Host,
) -> Result<Box<dyn AnyExperiment>, ExperimentError> {
    let entry = entry(kind)?;
    entry.build(entry.config(config_json)?, csv, host)
}

/// Every experiment's presets, `{kind: {name: config}}`, for the page's forms.
pub fn presets_json() -> Result<Value, ExperimentError> {
    let mut all = Map::new();
    for e in EXPERIMENTS {
        let mut presets = Map::new();
        for p in e.presets()? {
            presets.insert(p.name.to_string(), p.config);
        }
        all.insert(e.kind.to_string(), Value::Object(presets));
    }
    Ok(Value::Object(all))
}

impl Entry {
    /// The entry of experiment `E`.
    pub const fn of<E: Experiment + Sync>() -> Entry {
        Entry {
            kind: E::KIND,
            about: E::ABOUT,
            own_data: E::OWN_DATA,
            flags: E::flags,
            presets: presets_of::<E>,
            check: check_of::<E>,
            build: build_of::<E>,
        }
    }

    /// The presets, the default first.
    pub fn presets(&self) -> Result<Vec<PresetInfo>, ExperimentError> {
        (self.presets)()
    }

    /// The preset called `name`.
    pub fn preset(&self, name: &str) -> Result<Value, ExperimentError> {
        let presets = self.presets()?;
        presets
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.config.clone())
            .ok_or_else(|| ExperimentError::UnknownPreset {
                kind: self.kind,
                name: name.to_string(),
                known: or_list(presets.iter().map(|p| p.name)),
            })
    }

    /// A configuration as the page and the tests write it: a preset's name in quotes (`"quick"`), or an
    /// object whose fields replace the default preset's (the others keep its values).
    pub fn config(&self, text: &str) -> Result<Value, ExperimentError> {
        let given: Value =
            serde_json::from_str(text).map_err(|e| ExperimentError::Config(e.to_string()))?;
        match given {
            Value::String(name) => self.preset(&name),
            Value::Object(fields) => {
                let mut config = self.presets()?.swap_remove(0).config;
                merge(&mut config, fields);
                Ok(config)
            }
            _ => Err(ExperimentError::Config(
                "a configuration is a preset's name or an object of fields".into(),
            )),
        }
    }

    /// Checks a configuration (every field, or with `own_data` those that do not depend on the data).
    pub fn check(&self, config: &Value, own_data: bool) -> Result<(), ExperimentError> {
        (self.check)(config.clone(), own_data)
    }

    /// Builds a run: on the user's CSV text when given.
    pub fn build(
        &self,
        config: Value,
        csv: Option<&str>,
        host: &Host,
    ) -> Result<Box<dyn AnyExperiment>, ExperimentError> {
        (self.build)(config, csv, host)
    }
}

/// `fields` written over the object `config`.
pub fn merge(config: &mut Value, fields: Map<String, Value>) {
    if let Value::Object(c) = config {
        c.extend(fields);
    }
}

/// `a, b or c`.
pub fn or_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// The configuration of experiment `E` from JSON as the page writes it (see [`Entry::config`]).
pub fn config_of<E: Experiment>(config_json: &str) -> Result<E::Config, ExperimentError> {
    typed::<E>(entry(E::KIND)?.config(config_json)?)
}

fn typed<E: Experiment>(config: Value) -> Result<E::Config, ExperimentError> {
    // Through the text (a few hundred bytes): one deserialiser per configuration type, the one that JSON
    // from the page needs anyway, rather than a second one for `Value`s (a fifth of the wasm's size).
    serde_json::from_str(&config.to_string()).map_err(|e| ExperimentError::Config(e.to_string()))
}

fn presets_of<E: Experiment>() -> Result<Vec<PresetInfo>, ExperimentError> {
    E::presets()
        .into_iter()
        .map(|p| {
            Ok(PresetInfo {
                name: p.name,
                about: p.about,
                config: super::protocol::to_json(&p.config)?,
            })
        })
        .collect()
}

fn check_of<E: Experiment>(config: Value, own_data: bool) -> Result<(), ExperimentError> {
    let config = typed::<E>(config)?;
    if own_data {
        E::check_options(&config)
    } else {
        config.check_ref()
    }
}

fn build_of<E: Experiment + Sync>(
    config: Value,
    csv: Option<&str>,
    host: &Host,
) -> Result<Box<dyn AnyExperiment>, ExperimentError> {
    let config = typed::<E>(config)?;
    Ok(match csv {
        None => Box::new(Runner::<E>::build(config.check()?, host)?),
        Some(text) => Box::new(Runner::wrap(E::from_csv(config, text, host)?)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_unique_and_every_preset_checks() {
        for (i, e) in EXPERIMENTS.iter().enumerate() {
            assert!(
                EXPERIMENTS[..i].iter().all(|o| o.kind != e.kind),
                "{}",
                e.kind
            );
            let presets = e.presets().unwrap();
            assert!(!presets.is_empty(), "{} has no preset", e.kind);
            for p in &presets {
                e.check(&p.config, false)
                    .unwrap_or_else(|err| panic!("{} {}: {err}", e.kind, p.name));
            }
        }
    }

    #[test]
    fn configs_are_presets_or_fields_over_the_default() {
        let lth = entry("lth").unwrap();
        let quick = lth.preset("quick").unwrap();
        assert_eq!(lth.config(r#""quick""#).unwrap(), quick);
        let c = lth.config(r#"{"width": 600}"#).unwrap();
        assert_eq!(c["width"], 600);
        assert_eq!(c["epochs"], quick["epochs"]);
        assert!(matches!(
            lth.config(r#""huge""#),
            Err(ExperimentError::UnknownPreset { kind: "lth", .. })
        ));
        assert!(matches!(lth.config("[1]"), Err(ExperimentError::Config(_))));
        assert!(matches!(
            build("lth", r#"{"typo": 1}"#, None, &Host::PAGE),
            Err(ExperimentError::Config(_))
        ));
        assert!(matches!(
            entry("frobnicate"),
            Err(ExperimentError::UnknownKind { .. })
        ));
        assert_eq!(or_list(["a", "b", "c"]), "a, b or c");
    }
}
