//! Browser tests of the wasm binding, run in headless Chromium by wasm-bindgen-test-runner:
//! `cargo test --target wasm32-unknown-unknown --test web` (scripts/test.sh sets CHROMEDRIVER).
//!
//! The key one is reproducibility: the cloud fixture was written by the native build, and the same seed and
//! config must give bit-for-bit the same kept points and weights in the browser.
#![cfg(target_arch = "wasm32")]

use moment_lab::wasm::{CloudRun, n_moments, simd_enabled};
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FIXTURE: &str = include_str!("fixtures/cloud_fixture.json");

fn run_to_end(run: &mut CloudRun) {
    let mut last = 0.0;
    for _ in 0..1_000_000 {
        if run.done() {
            return;
        }
        let p = run.step(7);
        assert!((0.0..=1.0).contains(&p), "progress {p} outside [0, 1]");
        assert!(p >= last - 1e-12, "progress went backwards: {last} -> {p}");
        last = p;
    }
    panic!("run did not finish");
}

/// The numbers of a top-level JSON array, parsed with `str::parse::<f64>` (correctly rounded). serde_json
/// without its `float_roundtrip` feature may be one ulp off, which would break a bit-for-bit comparison.
fn exact_f64_array(json: &str, key: &str) -> Vec<f64> {
    let start = json.find(&format!("\"{key}\"")).expect("key in fixture");
    let open = start + json[start..].find('[').unwrap() + 1;
    let close = open + json[open..].find(']').unwrap();
    json[open..close]
        .split(',')
        .map(|t| {
            t.trim()
                .parse::<f64>()
                .unwrap_or_else(|e| panic!("{key}: {t:?}: {e}"))
        })
        .collect()
}

#[wasm_bindgen_test]
fn cloud_fixture_reproduces_exactly() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let config = fixture["config"].to_string();
    let mut run =
        CloudRun::new(&config).unwrap_or_else(|_| panic!("fixture config rejected: {config}"));
    run_to_end(&mut run);

    let want_idx: Vec<u32> = fixture["kept_indices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let want_w = exact_f64_array(FIXTURE, "kept_weights");
    let got_idx = run.kept_indices().to_vec();
    let got_w = run.kept_weights().to_vec();

    assert_eq!(
        got_idx, want_idx,
        "kept indices differ from the native fixture"
    );
    assert_eq!(got_w.len(), want_w.len());
    for (i, (g, w)) in got_w.iter().zip(&want_w).enumerate() {
        assert_eq!(
            g.to_bits(),
            w.to_bits(),
            "weight {i}: wasm {g:e} vs native {w:e}"
        );
    }

    let summary: Value = serde_json::from_str(&run.summary_json().unwrap()).unwrap();
    assert_eq!(summary["kept"], fixture["summary"]["kept"]);
    assert!(summary["residual"].as_f64().unwrap() <= 1e-9);
}

#[wasm_bindgen_test]
fn bad_configs_are_errors_not_panics() {
    let bad = [
        r#"{"seed": 1, "d": 1000, "dim": 2, "k": 2, "target": 3}"#, // target < N(2,2) = 6
        r#"{"seed": 1, "d": 1000, "dim": 2, "k": 2, "target": 1000}"#, // target >= d
        r#"{"seed": 1, "d": 0, "dim": 2, "k": 2, "target": 40}"#,
        r#"{"seed": 1, "d": 1000, "dim": 0, "k": 2, "target": 40}"#,
        r#"{"seed": 1, "d": 1000, "dim": 2, "k": 2, "target": 40, "typo": 1}"#,
        r#"{"seed": -1}"#,
        "not json",
    ];
    for config in bad {
        assert!(
            CloudRun::new(config).is_err(),
            "accepted bad config {config}"
        );
    }
    let ok = r#"{"seed": 1, "k": 2, "target": 10}"#;
    for csv in [
        "",
        "x,y\n1,2\n3\n",
        "x,y\n1,abc\n2,3\n",
        "x,y\n1,NaN\n2,3\n",
    ] {
        assert!(
            CloudRun::from_csv(csv, ok).is_err(),
            "accepted bad CSV {csv:?}"
        );
    }
    assert!(n_moments(0, 2).is_err());
    // Function maps: a resolution out of range is a config error; asking for a map never recorded is an
    // error, not a trap.
    use moment_lab::wasm::LthRun;
    let small =
        r#"{"width": 200, "target": 60, "order": 3, "n_train": 100, "n_test": 50, "epochs": 1"#;
    assert!(LthRun::new(&format!(r#"{small}, "maps_every": 1, "maps_res": 1}}"#)).is_err());
    let run = LthRun::new(&format!(r#"{small}, "maps_every": 1, "maps_res": 4}}"#)).unwrap();
    assert_eq!(run.maps_count(), 1);
    assert_eq!(run.maps_at(0).unwrap().length(), 5 * 16);
    assert!(run.maps_at(1).is_err() && run.maps_epoch(1).is_err());
}

#[wasm_bindgen_test]
fn csv_cloud_runs() {
    let mut csv = String::from("a,b,weight\n");
    for i in 0..100 {
        let t = i as f64 * 0.37;
        csv.push_str(&format!(
            "{},{},{}\n",
            t.sin() * 3.0,
            (t * 1.7).cos(),
            1 + i % 4
        ));
    }
    let mut run = CloudRun::from_csv(&csv, r#"{"seed": 3, "k": 2, "target": 12}"#)
        .unwrap_or_else(|_| panic!("good CSV rejected"));
    assert_eq!(run.dim(), 2);
    assert_eq!(run.points().length(), 200);
    run_to_end(&mut run);
    assert_eq!(run.kept_indices().length(), 12);
    assert!(run.kept_csv().starts_with("index,weight,"));
}

#[wasm_bindgen_test]
fn simd_is_enabled() {
    assert!(
        simd_enabled(),
        "wasm was built without simd128 (.cargo/config.toml rustflags)"
    );
    assert_eq!(n_moments(2, 2).ok(), Some(6.0));
    assert_eq!(n_moments(3, 5).ok(), Some(56.0));
}

/// Runs a training experiment through the wasm handle and returns its test-loss curve as JSON, shaped like
/// the `result` of the native fixtures (`tests/reproducible.rs` writes them).
fn test_curve(curve_json: &str) -> Value {
    let curve: Value = serde_json::from_str(curve_json).unwrap();
    Value::Array(
        curve
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["test"].clone())
            .collect(),
    )
}

/// Builds a wasm run handle (`LthRun` or `DatasetRun`) from a native fixture's own config, steps it to the
/// end `$step` epochs at a time, and asserts that it echoes that config and reproduces the fixture's
/// test-loss curves bit for bit; evaluates to the finished run. A macro because the two handles share
/// methods but no trait.
macro_rules! assert_reproduces_fixture {
    ($handle:ty, $fixture:expr, $step:expr, $what:expr) => {{
        let fixture: Value = serde_json::from_str($fixture).unwrap();
        let what = $what;
        let mut run = <$handle>::new(&fixture["config"].to_string())
            .unwrap_or_else(|_| panic!("{what}: fixture config rejected"));
        for _ in 0..100_000 {
            if run.done() {
                break;
            }
            run.step($step)
                .unwrap_or_else(|_| panic!("{what}: step failed"));
        }
        assert!(run.done(), "{what}: run did not finish");
        let config: Value = serde_json::from_str(&run.config_json().unwrap()).unwrap();
        assert_eq!(
            config, fixture["config"],
            "{what}: config differs from the native fixture's"
        );
        assert_eq!(
            test_curve(&run.curve_json().unwrap()),
            fixture["result"],
            "{what}: wasm test-loss curves differ from the native fixture"
        );
        run
    }};
}

#[wasm_bindgen_test]
fn lth_fixture_reproduces_exactly() {
    // One fixture per activation: tanh and sigmoid go through `nn::fastmath`, ReLU does not.
    use moment_lab::wasm::LthRun;
    for (fixture, what) in [
        (include_str!("fixtures/lth_fixture.json"), "lth relu"),
        (include_str!("fixtures/lth_tanh_fixture.json"), "lth tanh"),
        (
            include_str!("fixtures/lth_sigmoid_fixture.json"),
            "lth sigmoid",
        ),
    ] {
        let run = assert_reproduces_fixture!(LthRun, fixture, 7, what);
        // The recorded function maps (every arm's grid per epoch; `maps_at` appends the target's).
        let expected: Value = serde_json::from_str::<Value>(fixture).unwrap()["maps"].clone();
        let res = expected[0]["arms"][0].as_array().unwrap().len();
        let maps: Vec<Value> = (0..run.maps_count())
            .map(|i| {
                let flat = run.maps_at(i).unwrap().to_vec();
                let arms: Vec<Vec<f32>> = flat.chunks(res).map(<[f32]>::to_vec).collect();
                serde_json::json!({"epoch": run.maps_epoch(i).unwrap(), "arms": arms[..arms.len() - 1]})
            })
            .collect();
        assert_eq!(
            Value::Array(maps),
            expected,
            "{what}: wasm function maps differ from the native fixture"
        );
    }
}

#[wasm_bindgen_test]
fn dataset_fixture_reproduces_exactly() {
    use moment_lab::wasm::DatasetRun;
    assert_reproduces_fixture!(
        DatasetRun,
        include_str!("fixtures/dataset_fixture.json"),
        2,
        "dataset"
    );
}

#[wasm_bindgen(inline_js = "
export function call_trapping(f, after) {
  try {
    f();
    return 'no trap';
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) return `not a RuntimeError: ${e}`;
    return after();
  }
}")]
extern "C" {
    /// Calls `f` from JS; if it traps (a `WebAssembly.RuntimeError`, as the worker sees it), calls `after`
    /// (again from JS, into the same trapped instance) and returns its answer.
    fn call_trapping(f: &js_sys::Function, after: &js_sys::Function) -> String;
}

/// A real panic traps the module; the panic hook has recorded its message and location, and the worker's
/// one call after the trap (`last_panic_message`, from JS into the trapped instance) reads it. Without the
/// hook the page could only say "unreachable".
#[wasm_bindgen_test]
fn a_trap_reports_its_panic_message() {
    // The test harness installs its own hook after the module's start function: install ours on top.
    moment_lab::wasm::install_panic_hook();
    let boom = Closure::<dyn Fn()>::new(|| {
        let v: Vec<u32> = Vec::new();
        panic!("deliberate test panic, {} items", v.len() + 42)
    });
    let after = Closure::<dyn Fn() -> String>::new(|| {
        moment_lab::wasm::last_panic_message().unwrap_or_else(|| "no message recorded".into())
    });
    let got = call_trapping(
        boom.as_ref().unchecked_ref(),
        after.as_ref().unchecked_ref(),
    );
    assert!(
        got.starts_with("panicked at tests/web.rs:")
            && got.ends_with("deliberate test panic, 42 items"),
        "{got}"
    );
}

fn js_message(e: JsError) -> String {
    let v = JsValue::from(e);
    js_sys::Reflect::get(&v, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_default()
}

/// The wasm build caps the compressor's working memory at 256 MiB (a phone grants a page little more):
/// m = 10, k = 5 (N = 3003, ~0.8 GiB) is a clear error naming the limit and what to lower; m = 10,
/// k = 4 (N = 1001) fits.
#[wasm_bindgen_test]
fn compressor_memory_is_capped_in_the_browser() {
    let too_big = CloudRun::new(r#"{"d": 4000, "dim": 10, "k": 5, "target": 3500}"#)
        .err()
        .map(js_message)
        .unwrap_or_default();
    assert!(
        too_big.contains("above the limit of 256 MiB") && too_big.contains("lower the order k"),
        "{too_big}"
    );
    let msg = n_moments(2, 65).err().map(js_message).unwrap_or_default();
    assert!(msg.contains("above the maximum of 64"), "{msg}");
    assert!(CloudRun::new(r#"{"d": 1500, "dim": 10, "k": 4, "target": 1100}"#).is_ok());
}

#[wasm_bindgen_test]
fn attention_fixture_reproduces_exactly() {
    use moment_lab::wasm::AttentionRun;
    let fixture = include_str!("fixtures/attention_fixture.json");
    let run = assert_reproduces_fixture!(AttentionRun, fixture, 3, "attention");
    // Both as f32 (the predictions are f32; the fixture wrote them through f64).
    type Frames = Vec<(usize, Vec<Vec<f32>>)>;
    let expected: Frames =
        serde_json::from_value(serde_json::from_str::<Value>(fixture).unwrap()["maps"].clone())
            .unwrap();
    let picture: Frames = serde_json::from_str(&run.picture_json().unwrap()).unwrap();
    assert_eq!(
        picture, expected,
        "attention: wasm predictions of the picture differ from the native fixture"
    );
}
