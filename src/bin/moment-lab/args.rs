//! An experiment's command line, as a configuration: `--preset P` picks the starting point, and every
//! other `--name VALUE` is written over it (`--width 600` sets `width`; `-` stands for `_`), typed by the
//! preset's own value, then checked by the experiment like any JSON configuration. The experiment's
//! [`Flag`]s add its other spellings (`--samples` for `n_train`, `--no-rescale`, `--kmeans`, …).

use lexopt::prelude::*;
use moment_lab::experiments::registry::{Entry, merge};
use moment_lab::experiments::{Flag, FlagAction};
use serde_json::{Map, Value};

use crate::Failure;

/// A parsed experiment command.
pub struct Command {
    /// The preset with the flags written over it (not checked yet).
    pub config: Value,
    pub out: Option<String>,
    /// `--threads`: 0 = one per core.
    pub threads: usize,
    /// `--data FILE`: the user's CSV.
    pub data: Option<String>,
}

/// The most worker threads `--threads` accepts.
pub const MAX_THREADS: usize = 1024;

/// One `--name VALUE` (or switch) of the command line, applied after the preset is known.
struct Setting {
    flag: String,
    field: String,
    value: Option<String>,
    action: FlagAction,
    help: &'static str,
}

pub fn parse(entry: &Entry, mut parser: lexopt::Parser) -> Result<Command, Failure> {
    let flags = (entry.flags)();
    let fields = entry.presets().map_err(usage)?.swap_remove(0).config;
    let (mut out, mut threads, mut data, mut preset, mut family) = (None, 0, None, None, None);
    let mut settings = Vec::new();
    while let Some(arg) = parser.next()? {
        let name = match arg {
            Long(name) => name.to_string(),
            other => return Err(other.unexpected().into()),
        };
        match name.as_str() {
            "out" | "output" => out = Some(parser.value()?.string()?),
            "threads" => threads = parse_threads(&mut parser)?,
            "preset" => preset = Some(parser.value()?.string()?),
            "data" if entry.own_data => data = Some(parser.value()?.string()?),
            _ => {
                let (field, action, help) = match flags.iter().find(|f| f.name == name) {
                    Some(f) => (f.field.to_string(), f.action, f.help),
                    None => {
                        let field = name.replace('-', "_");
                        if fields.get(&field).is_none() {
                            return Err(lexopt::Error::UnexpectedOption(format!("--{name}")).into());
                        }
                        let plain = FlagAction::Value {
                            min: None,
                            requires: None,
                        };
                        (field, plain, "")
                    }
                };
                let value = match action {
                    FlagAction::Value { .. } | FlagAction::PresetFamily => {
                        Some(parser.value()?.string()?)
                    }
                    FlagAction::Switch(_) | FlagAction::Add(_) => None,
                };
                if let FlagAction::PresetFamily = action {
                    family = value;
                    continue;
                }
                settings.push(Setting {
                    flag: name,
                    field,
                    value,
                    action,
                    help,
                });
            }
        }
    }
    let config = preset_config(entry, flags, family, preset)?;
    Ok(Command {
        config: apply(config, &settings)?,
        out,
        threads,
        data,
    })
}

/// The preset the command starts from: `--preset P` (within the family `--axis A` picks, as `A-P`), or
/// the default.
fn preset_config(
    entry: &Entry,
    flags: &[Flag],
    family: Option<String>,
    preset: Option<String>,
) -> Result<Value, Failure> {
    let needs_family = flags
        .iter()
        .find(|f| matches!(f.action, FlagAction::PresetFamily));
    let name = match (needs_family, family) {
        (Some(f), None) => {
            return Err(Failure::Usage(format!(
                "--{} {} is required",
                f.name, f.help
            )));
        }
        (Some(_), Some(family)) => {
            let within = preset.unwrap_or_else(|| "quick".into());
            Some(format!("{family}-{within}"))
        }
        (None, _) => preset,
    };
    match name {
        Some(name) => entry.preset(&name).map_err(usage),
        None => Ok(entry.presets().map_err(usage)?.swap_remove(0).config),
    }
}

/// The settings written over `config`, each typed by the value it replaces.
fn apply(mut config: Value, settings: &[Setting]) -> Result<Value, Failure> {
    let given = |flag: &str| settings.iter().any(|s| s.flag == flag);
    for s in settings {
        let current = config.get(&s.field).cloned().unwrap_or(Value::Null);
        let value = match (s.action, &s.value) {
            (FlagAction::Switch(to), _) => Value::Bool(to),
            (FlagAction::Add(item), _) => {
                let mut list = current.as_array().cloned().unwrap_or_default();
                if !list.iter().any(|v| v == item) {
                    list.push(item.into());
                }
                Value::Array(list)
            }
            (FlagAction::Value { min, requires }, Some(raw)) => {
                if let Some(other) = requires.filter(|other| !given(other)) {
                    return Err(Failure::Usage(format!(
                        "--{} sets {}; give --{other} too",
                        s.flag, s.help
                    )));
                }
                let value = typed(&s.flag, raw, &current)?;
                if let Some(min) = min
                    && value.as_u64().is_none_or(|v| v < min)
                {
                    return Err(Failure::Usage(format!(
                        "--{} expects {}, at least {min}",
                        s.flag, s.help
                    )));
                }
                value
            }
            _ => continue,
        };
        merge(&mut config, Map::from_iter([(s.field.clone(), value)]));
    }
    Ok(config)
}

/// `raw` as the kind of value `like` is: a whole number, a number, a list of either (comma-separated), a
/// name, or (where the preset has none) whatever it reads as.
fn typed(flag: &str, raw: &str, like: &Value) -> Result<Value, Failure> {
    let whole = |v: &str| {
        v.trim().parse::<u64>().map(Value::from).map_err(|_| {
            Failure::Usage(format!(
                "--{flag} expects a non-negative whole number, got '{raw}'"
            ))
        })
    };
    match like {
        Value::Number(n) if n.is_u64() => whole(raw),
        Value::Number(_) => raw
            .trim()
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| Failure::Usage(format!("--{flag} expects a number, got '{raw}'"))),
        Value::Bool(_) => match raw {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(Failure::Usage(format!(
                "--{flag} expects true or false, got '{raw}'"
            ))),
        },
        Value::Array(items) if items.first().is_none_or(Value::is_u64) => raw
            .split(',')
            .map(|p| p.trim().parse::<u64>().map(Value::from))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
            .map_err(|_| {
                Failure::Usage(format!(
                    "--{flag} expects comma-separated whole numbers, got '{raw}'"
                ))
            }),
        Value::Array(_) => Ok(Value::Array(
            raw.split(',').map(|p| Value::from(p.trim())).collect(),
        )),
        Value::Null => Ok(serde_json::from_str(raw).unwrap_or_else(|_| Value::from(raw))),
        _ => Ok(Value::from(raw)),
    }
}

/// `--threads T`: 0 = one per core, at most [`MAX_THREADS`].
pub fn parse_threads(parser: &mut lexopt::Parser) -> Result<usize, Failure> {
    let t: usize = parse_num(parser, "threads")?;
    if t > MAX_THREADS {
        return Err(Failure::Usage(format!(
            "--threads is at most {MAX_THREADS} (0 = one per core), got {t}"
        )));
    }
    Ok(t)
}

/// A whole number.
pub fn parse_num<T: std::str::FromStr>(
    parser: &mut lexopt::Parser,
    name: &str,
) -> Result<T, Failure> {
    let v = parser.value()?.string()?;
    v.parse().map_err(|_| {
        Failure::Usage(format!(
            "--{name} expects a non-negative whole number, got '{v}'"
        ))
    })
}

/// A configuration error found before any work: a usage error.
pub fn usage(e: impl std::fmt::Display) -> Failure {
    Failure::Usage(e.to_string())
}
