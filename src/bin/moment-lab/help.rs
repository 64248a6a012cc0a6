//! `moment-lab help`: the tools' text, then every experiment of the registry with its presets, its fields
//! (the default preset's values) and its other spellings, all read from the library.

use moment_lab::experiments::registry::{EXPERIMENTS, Entry};
use moment_lab::experiments::{ExperimentError, Flag, FlagAction};
use serde_json::Value;

use crate::args::MAX_THREADS;

const HEADER: &str = "\
moment-lab: moment-matching compression (arXiv 2510.00504)

USAGE:
  moment-lab compress --input points.csv --order K --target D [--seed S] [--strategy auto|bulk|greedy|random]
                      [--threads T] [--output kept.csv]
      Compress a CSV point cloud (header row; numeric columns; optional `weight` column) to a weighted
      subset of at most D of its rows that keeps every moment up to order K. Writes
      `index,weight,x1,...,xm` (index = 0-based data row) to --output or stdout, and a one-line JSON
      summary {kept, residual, seconds, ...} to stderr. Disjoint clusters go to T threads (default: one
      per core); the output does not depend on T.
  moment-lab bench
      Benchmark server for bench/run.mjs: reads one JSON request per stdin line, answers one JSON line each:
      {\"op\":\"compress\",\"case\":{dim,order,d,target,strategy,seed},\"reps\":N} -> {seconds:[..],kept,residual,..};
      {\"op\":\"nn\",\"config\":{..},\"mode\":\"grad\"|\"train\",\"min_seconds\":S} -> {steps,seconds,loss,flops_per_grad_step}.
      Prepared cases and nets are kept between requests (inputs are built outside the timing).
  moment-lab help

EXPERIMENTS (each writes one result document: experiment, provenance, config, summary, curves, and its
own records; see docs/ARCHITECTURE.md):
";

const FOOTER: &str = "\
OPTIONS SHARED BY THE EXPERIMENTS:
  --preset P          the configuration to start from (default: the first listed).
  --FIELD VALUE       any field of the configuration (`_` written `-`), typed like the preset's value:
                      whole numbers, numbers, names, comma-separated lists.
  --threads T         worker threads; 0 = one per core (the default, in every command), at most MAX.
  --output/--out F    checked before any work: F's directory is created and F opened for writing (an
                      F created this way is removed again if the command fails). Without it: stdout.
  --order K           moment order, at most 64.
  Every experiment estimates its cost from its options and refuses a run above the caps of
  moment_lab::experiments::cost (the error names the option to lower); every preset passes.

EXIT CODES:
  0 success; 1 bad or unreadable input data (including non-UTF-8 files), an unwritable output or a
  failed run; 2 usage error: unknown command or option, or a bad option value (including a run refused
  by the cost caps; with --data or --input, limits that depend on the file are exit 1).
";

/// The whole help text; an error only if a preset does not serialise (a bug the tests would catch), rather
/// than a help that silently leaves that experiment's presets out.
pub fn usage() -> Result<String, ExperimentError> {
    let mut text = HEADER.to_string();
    for entry in EXPERIMENTS {
        text.push_str(&experiment(entry)?);
    }
    text.push('\n');
    text.push_str(&FOOTER.replace("MAX", &MAX_THREADS.to_string()));
    Ok(text)
}

/// One experiment's paragraph.
fn experiment(entry: &Entry) -> Result<String, ExperimentError> {
    let presets = entry.presets()?;
    let flags = (entry.flags)();
    let family = flags
        .iter()
        .find(|f| matches!(f.action, FlagAction::PresetFamily));
    let mut names: Vec<&str> = presets.iter().map(|p| p.name).collect();
    if family.is_some() {
        names = names
            .iter()
            .filter_map(|n| n.split_once('-').map(|(_, p)| p))
            .collect();
        names.dedup();
    }
    let mut line = format!("  moment-lab {}", entry.kind);
    if let Some(f) = family {
        line.push_str(&format!(" --{} {}", f.name, f.help));
    }
    line.push_str(&format!(" [--preset {}]", names.join("|")));
    if entry.own_data {
        line.push_str(" [--data own.csv]");
    }
    line.push_str(" [--FIELD VALUE]... [--threads T] [--out FILE]\n");
    let mut text = line;
    for l in entry.about.lines() {
        text.push_str(&format!("      {l}\n"));
    }
    for p in &presets {
        text.push_str(&format!("      preset {}: {}\n", p.name, p.about));
    }
    if let Some(Value::Object(fields)) = presets.first().map(|p| &p.config) {
        let fields: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("--{} {}", k.replace('_', "-"), compact(v)))
            .collect();
        text.push_str(&wrap("fields (default preset): ", &fields.join(", ")));
    }
    let other: Vec<String> = flags.iter().filter_map(spelling).collect();
    if !other.is_empty() {
        text.push_str(&wrap("also: ", &other.join("; ")));
    }
    Ok(text)
}

/// A flag other than the preset family, in words.
fn spelling(f: &Flag) -> Option<String> {
    let field = f.field.replace('_', "-");
    Some(match f.action {
        FlagAction::Value { min, requires } => {
            let mut s = if f.name == field {
                format!("--{} V ({})", f.name, f.help)
            } else {
                format!("--{} V = --{field} V ({})", f.name, f.help)
            };
            if let Some(min) = min {
                s.push_str(&format!(", at least {min}"));
            }
            if let Some(other) = requires {
                s.push_str(&format!(", with --{other}"));
            }
            s
        }
        FlagAction::Switch(to) => format!("--{} = --{field} {to} ({})", f.name, f.help),
        FlagAction::Add(item) => format!("--{} adds {item} to --{field} ({})", f.name, f.help),
        FlagAction::PresetFamily => return None,
    })
}

/// A value as the command line writes it: `1000`, `a,b`, `adamw`.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(compact).collect::<Vec<_>>().join(","),
        Value::Null => "none".into(),
        other => other.to_string(),
    }
}

/// `text` after `lead`, wrapped at 100 columns with a 6-space indent.
fn wrap(lead: &str, text: &str) -> String {
    let mut out = String::new();
    let mut line = format!("      {lead}");
    for word in text.split(' ') {
        if line.len() + word.len() + 1 > 104 && line.trim().len() > lead.len() {
            out.push_str(line.trim_end());
            out.push('\n');
            line = "        ".to_string();
        }
        line.push_str(word);
        line.push(' ');
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}
