//! Same seed, same numbers: small runs of every training experiment compared bit for bit against fixtures
//! committed in `tests/fixtures/`. The browser test (`tests/web.rs`) compares the wasm build against the
//! same files, so native and wasm agree exactly. On an x86-64 CPU with AVX2 the native runs take the AVX2
//! builds of the hot kernels (`multiversion`), so this also checks that those compute exactly what the
//! baseline and wasm builds compute. Regenerate after an intended change with
//! `MOMENT_LAB_BLESS=1 cargo test --release --test reproducible`.
#![cfg(not(target_arch = "wasm32"))]

use moment_lab::experiments::attention::{AttentionConfig, AttentionRun};
use moment_lab::experiments::dataset::{DatasetConfig, DatasetRun};
use moment_lab::experiments::lth::{LthConfig, LthRun};
use moment_lab::experiments::{Experiment, Params};

fn check(name: &str, value: serde_json::Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    if std::env::var_os("MOMENT_LAB_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap() + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(fixture["config"], value["config"], "{name}: config changed");
    assert_eq!(
        fixture["result"], value["result"],
        "{name}: numbers differ from the fixture"
    );
    assert_eq!(
        fixture["maps"], value["maps"],
        "{name}: function maps differ from the fixture"
    );
}

/// The LTH fixture config with activation `act` (ReLU is the config as written).
fn lth_config(act: &str) -> LthConfig {
    let mut config: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/lth_config.json")).unwrap();
    if act != "relu" {
        config["activation"] = act.into();
    }
    serde_json::from_value(config).unwrap()
}

/// The fixture file of the LTH run with activation `act`.
fn lth_fixture_name(act: &str) -> String {
    match act {
        "relu" => "lth_fixture.json".into(),
        _ => format!("lth_{act}_fixture.json"),
    }
}

#[test]
fn lth_run_matches_fixture() {
    // tanh and sigmoid go through `nn::fastmath`, ReLU does not: each has its own fixture.
    for act in ["relu", "tanh", "sigmoid"] {
        let config = lth_config(act);
        let mut run = LthRun::new(config.clone()).unwrap();
        while !run.is_done() {
            run.step(7);
        }
        let test: Vec<Vec<f64>> = run.curve().iter().map(|p| p.test.clone()).collect();
        assert!(
            !run.function_maps().is_empty(),
            "the fixture config records maps"
        );
        check(
            &lth_fixture_name(act),
            serde_json::json!({"config": config, "result": test, "maps": run.function_maps()}),
        );
    }
}

#[test]
fn dataset_run_matches_fixture() {
    let config: DatasetConfig =
        serde_json::from_str(include_str!("fixtures/dataset_config.json")).unwrap();
    let mut run = DatasetRun::new(config.clone()).unwrap();
    while !run.is_done() {
        run.step(2);
    }
    let test: Vec<Vec<f64>> = run.curve().iter().map(|p| p.test.clone()).collect();
    check(
        "dataset_fixture.json",
        serde_json::json!({"config": config, "result": test}),
    );
}

/// The attention experiment (Fig. 7) in miniature: every arm's test curve and the picture's predictions
/// at every epoch (the wasm build is compared against the same file in `tests/web.rs`).
#[test]
fn attention_run_matches_fixture() {
    let config: AttentionConfig =
        serde_json::from_str(include_str!("fixtures/attention_config.json")).unwrap();
    let mut run = AttentionRun::new(config.clone().check().unwrap()).unwrap();
    while !run.is_done() {
        run.train(3);
    }
    let test: Vec<Vec<f64>> = run.curve().iter().map(|p| p.test.clone()).collect();
    check(
        "attention_fixture.json",
        serde_json::json!({"config": config, "result": test, "maps": run.picture().predictions}),
    );
}
