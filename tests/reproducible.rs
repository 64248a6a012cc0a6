//! Same seed, same numbers: small runs of every training experiment compared bit for bit against fixtures
//! committed in `tests/fixtures/`. The browser test (`tests/web.rs`) compares the wasm build against the
//! same files, so native and wasm agree exactly. Regenerate after an intended change with
//! `MOMENT_LAB_BLESS=1 cargo test --release --test reproducible`.
#![cfg(not(target_arch = "wasm32"))]

use moment_lab::experiments::dataset::{DatasetConfig, DatasetRun};
use moment_lab::experiments::lth::{LthConfig, LthRun};

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
}

#[test]
fn lth_run_matches_fixture() {
    let config: LthConfig = serde_json::from_str(include_str!("fixtures/lth_config.json")).unwrap();
    let mut run = LthRun::new(config.clone()).unwrap();
    while !run.is_done() {
        run.step(7);
    }
    let test: Vec<Vec<f64>> = run.curve().iter().map(|p| p.test.clone()).collect();
    check(
        "lth_fixture.json",
        serde_json::json!({"config": config, "result": test}),
    );
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
