//! The result document: one JSON shape for every experiment's results, written by the CLI and handed to
//! the page. It says what ran (the configuration, and where the numbers come from: the crate version, the
//! git commit when the build knew it, a hash of the configuration, the seed) and what came out (the
//! summary, the curves, the experiment's other records). `scripts/results.py` reads nothing else, and
//! refuses to put documents of different commits or configurations in one table unless told to.
//!
//! ```json
//! {"experiment": "lth",
//!  "provenance": {"version": "0.1.0", "commit": "4d785d2…", "config_hash": "9f0c…", "seed": 42},
//!  "config": {…}, "summary": {…}, "curves": […],
//!  "arms": […], "function_maps": {…},          // the experiment's extras, each under its own name
//!  "threads": 1, "seconds": {"setup": 0.2, "total": 5.7}}   // written by the CLI only
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The git commit of the build, when the builder said it: `MOMENT_LAB_GIT_COMMIT=$(git rev-parse HEAD)`
/// at build time (`scripts/results.py` sets it; cargo rebuilds when it changes).
pub const COMMIT: Option<&str> = option_env!("MOMENT_LAB_GIT_COMMIT");

/// See the module docs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultDocument {
    /// The experiment's kind (`lth`, `dataset`, …).
    pub experiment: String,
    pub provenance: Provenance,
    /// The configuration the run was built from, every field written out.
    pub config: Value,
    pub summary: Value,
    /// What the experiment plots: curve points per epoch, per-size means, rows of a sweep.
    pub curves: Value,
    /// The experiment's other records, each under its own name (`function_maps`, `trials`, …).
    #[serde(flatten)]
    pub extras: Map<String, Value>,
    /// The threads the run used (the CLI's `--threads`, resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    /// Wall-clock seconds, measured by the CLI (the only machine-dependent numbers of a document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<Seconds>,
}

/// Where a document's numbers come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The crate version.
    pub version: String,
    /// The git commit of the build ([`COMMIT`]), if known.
    pub commit: Option<String>,
    /// [`config_hash`] of the configuration.
    pub config_hash: String,
    /// The seed of the run's randomness, if it has one.
    pub seed: Option<u64>,
}

/// Wall-clock seconds of a run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seconds {
    /// Building the run (data, initialisation, compression).
    pub setup: f64,
    /// Everything, set-up included.
    pub total: f64,
}

impl Provenance {
    /// The provenance of a run of `config` with `seed`, from this build.
    pub fn of(config: &Value, seed: Option<u64>) -> Provenance {
        Provenance {
            version: env!("CARGO_PKG_VERSION").to_string(),
            commit: COMMIT.map(str::to_string),
            config_hash: config_hash(config),
            seed,
        }
    }
}

/// A fingerprint of a configuration: 64-bit FNV-1a of its canonical JSON (keys sorted, numbers in their
/// shortest round-trip form), as 16 hex digits. Equal configurations hash equally whatever the order in
/// which their fields were written; scripts compare hashes, not configurations.
pub fn config_hash(config: &Value) -> String {
    // serde_json's map is ordered by key (the `preserve_order` feature is off), so this text is canonical.
    let text = config.to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_hash_ignores_field_order_and_sees_values() {
        let a: Value = serde_json::from_str(r#"{"seed": 1, "d": 1000, "lr": 0.001}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"lr": 1e-3, "d": 1000, "seed": 1}"#).unwrap();
        assert_eq!(config_hash(&a), config_hash(&b));
        assert_ne!(
            config_hash(&a),
            config_hash(&json!({"seed": 2, "d": 1000, "lr": 0.001}))
        );
        // FNV-1a of "{}" (a fixed value: scripts may keep hashes across builds).
        assert_eq!(config_hash(&json!({})), "08f44b07b5901a25");
    }

    #[test]
    fn a_document_round_trips_with_its_extras_at_the_top_level() {
        let doc = ResultDocument {
            experiment: "lth".into(),
            provenance: Provenance::of(&json!({"seed": 3}), Some(3)),
            config: json!({"seed": 3}),
            summary: json!({"ratio": 1.5}),
            curves: json!([]),
            extras: [("function_maps".to_string(), json!({"res": 4}))]
                .into_iter()
                .collect(),
            threads: Some(2),
            seconds: None,
        };
        let v = serde_json::to_value(&doc).unwrap();
        assert_eq!(v["function_maps"]["res"], 4);
        assert_eq!(v["provenance"]["seed"], 3);
        assert!(v.get("seconds").is_none());
        let back: ResultDocument = serde_json::from_value(v).unwrap();
        assert_eq!(back, doc);
    }
}
