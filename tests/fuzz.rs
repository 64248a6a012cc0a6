//! Fuzzing with generated input: the CSV reader (arbitrary text and bytes, and structured near-valid CSV)
//! and every experiment config from arbitrary JSON. Each must answer `Ok` or a typed error, never panic;
//! a config that validates and is cheap by its own cost estimate is also constructed, stepped and
//! summarised (the cost estimate gates construction, so the fuzz never runs an expensive set-up).
//!
//! `cargo test --release --test fuzz` runs the default case counts (about 1.2·10^4 in all, a few
//! seconds). `PROPTEST_CASES=N cargo test --release --test fuzz` runs N cases per property (there are
//! six: `PROPTEST_CASES=170000` is about 10^6); BENCHMARKS.md reports such a run.
#![cfg(not(target_arch = "wasm32"))]

use moment_lab::data::csv::{decode_text, parse_cloud, parse_regression};
use moment_lab::experiments::bench::{BenchCase, NnBench, NnBenchConfig};
use moment_lab::experiments::cloud::{CloudConfig, CloudRun};
use moment_lab::experiments::cost::Cost;
use moment_lab::experiments::dataset::{DatasetConfig, DatasetRun};
use moment_lab::experiments::fig2::{Fig2Config, Fig2Run};
use moment_lab::experiments::fig8::{Fig8Config, Fig8Run};
use moment_lab::experiments::lth::{LthConfig, LthRun};
use moment_lab::experiments::scaling::{ScalingConfig, ScalingRun};
use moment_lab::experiments::{Experiment, Params};
use proptest::prelude::*;
use serde_json::{Value, json};

/// `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases: n,
        max_shrink_iters: 2000,
        // Failing cases are kept next to this file (tests/fuzz.proptest-regressions) and replayed first.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    }
}

/// Cheap enough to construct and step inside the fuzz loop.
fn tiny(c: Cost) -> bool {
    c.run_flops < 2e7 && c.call_flops < 2e7 && c.bytes < 32e6
}

// ---------------------------------------------------------------------------------------------------
// CSV

/// What a parsed cloud must satisfy whenever the reader says Ok.
fn check_cloud(text: &str) -> Result<(), TestCaseError> {
    if let Ok(c) = parse_cloud(text, 1000) {
        prop_assert!(c.dim >= 1);
        prop_assert_eq!(c.points.len(), c.dim * c.weights.len());
        prop_assert!(!c.weights.is_empty() && c.weights.len() <= 1000);
        prop_assert!(c.points.iter().chain(&c.weights).all(|v| v.is_finite()));
    }
    if let Ok(d) = parse_regression(text, 1000) {
        prop_assert!(d.in_dim >= 1);
        prop_assert_eq!(d.x.len(), d.in_dim * d.y.len());
        prop_assert!(d.y_column <= d.in_dim && d.names.len() == d.in_dim + 1);
    }
    Ok(())
}

/// A cell: a number in any form, an infinity or NaN, an overflow, text, empty, quoted, padded.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<f64>().prop_map(|v| format!("{v:?}")),
        3 => (-1000i64..1000).prop_map(|v| v.to_string()),
        1 => prop::sample::select(vec![
            "inf", "-inf", "+Inf", "Infinity", "NaN", "nan", "1e400", "-1e999", "1e300", "-1.7976931348623157e308",
            "4.9e-324", "", " ", "abc", "1,5", "0x10", "+5", "5.", ".5", "1e", "--1", "∞", "\u{feff}1", "\"",
        ])
        .prop_map(str::to_string),
        1 => "[ -~]{0,12}",
    ]
    .prop_flat_map(|c| {
        let quoted = format!("\"{}\"", c.replace('"', "\"\""));
        prop_oneof![3 => Just(c.clone()), 1 => Just(quoted), 1 => Just(format!(" {c} "))]
    })
}

/// A header name: plain, `weight`/`y` in any case, quoted with commas, line breaks or quotes inside.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z]{1,6}",
        2 => prop::sample::select(vec!["weight", "WEIGHT", "Weight", "y", "Y", "x", ""]).prop_map(str::to_string),
        1 => "[ -~]{0,8}".prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
        1 => Just("\"a,\nb\"".to_string()),
    ]
}

/// Structured near-valid CSV: an optional BOM, a header, rows of roughly the header's width (sometimes
/// ragged), any line ends, blank lines.
fn near_valid_csv() -> impl Strategy<Value = String> {
    (1usize..5, 0usize..14)
        .prop_flat_map(|(cols, rows)| {
            (
                any::<bool>(),
                prop::collection::vec(name(), cols),
                prop::collection::vec(
                    prop::collection::vec(cell(), if cols > 1 { cols - 1..cols + 2 } else { 1..3 }),
                    rows,
                ),
                prop::collection::vec(
                    prop::sample::select(vec!["\n", "\r\n", "\r", "\n\n"]),
                    rows + 1,
                ),
            )
        })
        .prop_map(|(bom, header, rows, ends)| {
            let mut s = String::new();
            if bom {
                s.push('\u{feff}');
            }
            s.push_str(&header.join(","));
            for (row, end) in rows.iter().zip(&ends) {
                s.push_str(end);
                s.push_str(&row.join(","));
            }
            s.push_str(ends[ends.len() - 1]);
            s
        })
}

proptest! {
    #![proptest_config(cases(3000))]

    /// Arbitrary text, from a CSV-ish alphabet and from all of Unicode.
    #[test]
    fn csv_reader_takes_any_text(
        a in "[0-9a-zA-Z,.\"\r\n +\\-eE\u{feff}é∞]{0,80}",
        b in any::<String>(),
    ) {
        check_cloud(&a)?;
        check_cloud(&b)?;
    }
}

proptest! {
    #![proptest_config(cases(1500))]

    /// Arbitrary bytes through the file path of the CLI: decode (UTF-8 or a clear error), then parse.
    #[test]
    fn csv_reader_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..120)) {
        if let Ok(text) = decode_text(&bytes) {
            check_cloud(text)?;
        }
    }
}

proptest! {
    #![proptest_config(cases(2000))]

    /// Near-valid CSV; whatever parses is also compressed (cloud tab) and trained on (own data set) with
    /// tiny settings, so extreme values, duplicates and constant columns reach the compressor and trainer.
    #[test]
    fn near_valid_csv_parses_and_runs(text in near_valid_csv(), k in 0usize..3, target in 1usize..6) {
        check_cloud(&text)?;
        let config = CloudConfig { k, target, ..CloudConfig::default() };
        if let Ok(mut run) = CloudRun::from_csv(&text, config) {
            while !run.is_done() {
                Experiment::step(&mut run, 64).map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            let s = run.summary();
            prop_assert!(s.moments_finite, "{:?}", s);
            prop_assert!(serde_json::to_string(&s).is_ok());
            let _ = run.kept_csv();
        }
        if let Ok(data) = parse_regression(&text, 1000) {
            let config = DatasetConfig {
                target, order: k, hidden: 3, epochs: 2, eval_every: 1,
                ..DatasetConfig::quick()
            };
            if let Ok(mut run) = DatasetRun::from_data(config, data) {
                run.step(2);
                let _ = run.summary();
                let _ = run.set_csv(1);
                let _ = run.landscape(3, 1.0, true, 1);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Configs

/// Any JSON value (numbers up to u64::MAX and ±1e308, strings, nesting).
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (0u64..5000).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        ".{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((".{0,8}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A value for a known field: mostly plausible (small and medium sizes, learning rates, names), with
/// edge cases (0, negatives, u64::MAX, 1e308, 1e-300, wrong types, null).
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (0u64..12).prop_map(Value::from),
        3 => (0u64..5000).prop_map(Value::from),
        1 => prop::sample::select(vec![u64::MAX, 1 << 53, 1 << 32, 2_000_001, 1_000_000, 100_000])
            .prop_map(Value::from),
        1 => (-5i64..0).prop_map(Value::from),
        2 => prop::sample::select(vec![0.0, 1e-3, 0.1, 0.5, 1.5, -1.0, 1e308, -1e308, 1e-300, 3.0])
            .prop_map(Value::from),
        2 => prop::sample::select(vec![
            "sgd", "adam", "adamw", "rprop", "rmsprop", "bogus", "auto", "greedy", "bulk", "random", "relu",
            "tanh", "sigmoid", "raw", "homogeneous", "data", "width", "quick", "paper", "",
        ])
        .prop_map(Value::from),
        1 => prop::collection::vec((0u64..3000).prop_map(Value::from), 0..5).prop_map(Value::Array),
        1 => prop::collection::vec(
            prop::sample::select(vec!["full", "compressed", "naive", "kmeans", "original", "magnitude", "x"])
                .prop_map(Value::from),
            0..5,
        )
        .prop_map(Value::Array),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
    ]
}

/// An object with some of `fields` (and sometimes an unknown one), values from [`field_value`].
fn object_of(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let key = prop_oneof![9 => prop::sample::select(fields), 1 => Just("typo")];
    prop::collection::vec((key, field_value()), 0..fields.len() + 2)
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

const CLOUD: &[&str] = &["seed", "d", "dim", "k", "target", "strategy"];
const DATASET: &[&str] = &[
    "d",
    "target",
    "order",
    "noise",
    "hidden",
    "teacher_seed",
    "n_test",
    "epochs",
    "optimizer",
    "lr",
    "batch_size",
    "samples_per_epoch",
    "arms",
    "eval_every",
    "seed",
];
const LTH: &[&str] = &[
    "width",
    "target",
    "order",
    "n_train",
    "n_test",
    "noise",
    "batch_size",
    "epochs",
    "optimizer",
    "lr",
    "activation",
    "rescale",
    "chart",
    "strategy",
    "arms",
    "eval_every",
    "maps_every",
    "maps_res",
    "seed",
];
const SCALING: &[&str] = &[
    "axis",
    "sizes",
    "seeds",
    "order",
    "epochs",
    "n_samples",
    "lr",
    "chart",
];
const FIG2: &[&str] = &[
    "dims", "orders", "sizes", "trials", "ratio", "strategy", "seed",
];
const FIG8: &[&str] = &["dims", "sizes", "trials", "seed"];
const BENCH: &[&str] = &["dim", "order", "d", "target", "strategy", "seed", "threads"];
const NN: &[&str] = &[
    "input_dim",
    "width",
    "batch",
    "samples",
    "optimizer",
    "lr",
    "seed",
];

/// Deserialises `v` as every config type and validates it (cost estimate included); a config that
/// validates and is tiny by its own estimate is constructed, stepped and summarised too.
fn exercise(v: &Value) -> Result<(), TestCaseError> {
    let fail = |e: moment_lab::experiments::ExperimentError| TestCaseError::fail(e.to_string());
    if let Ok(c) = serde_json::from_value::<CloudConfig>(v.clone())
        && c.check_ref().is_ok()
        && tiny(c.cost())
    {
        let mut run = CloudRun::new(c).map_err(fail)?;
        while !run.is_done() {
            run.step(16).map_err(fail)?;
        }
        prop_assert!(serde_json::to_string(&run.summary()).is_ok());
    }
    if let Ok(c) = serde_json::from_value::<DatasetConfig>(v.clone())
        && c.check_ref().is_ok()
        && tiny(c.cost_for(2))
    {
        let mut run = DatasetRun::new(c).map_err(fail)?;
        while !run.is_done() {
            run.step(3);
        }
        let _ = run.summary();
        let _ = run.landscape(3, 1.0, false, 2);
        let _ = run.set_csv(run.sets().len() - 1);
    }
    if let Ok(c) = serde_json::from_value::<LthConfig>(v.clone())
        && c.check_ref().is_ok()
        && tiny(c.cost())
    {
        let mut run = LthRun::new(c).map_err(fail)?;
        while !run.is_done() {
            run.step(5);
        }
        let _ = run.summary();
        let _ = run.heatmaps(3);
    }
    if let Ok(c) = serde_json::from_value::<ScalingConfig>(v.clone())
        && let Ok(mut run) = ScalingRun::new(c)
    {
        // Constructing validates every inner run; stepping runs them: only a few tiny ones.
        if run.total() <= 2
            && run.config().epochs <= 2
            && run.config().sizes.iter().all(|&d| d <= 64)
        {
            while !run.is_done() {
                run.step(64).map_err(fail)?;
            }
            let _ = run.summary();
        }
    }
    if let Ok(c) = serde_json::from_value::<Fig2Config>(v.clone())
        && c.check_ref().is_ok()
        && tiny(c.cost())
    {
        let mut run = Fig2Run::new(c).map_err(fail)?;
        while !run.is_done() {
            run.step(4).map_err(fail)?;
        }
        let _ = run.slopes();
    }
    if let Ok(c) = serde_json::from_value::<Fig8Config>(v.clone())
        && c.check_ref().is_ok()
        && tiny(c.cost())
    {
        let mut run = Fig8Run::new(c).map_err(fail)?;
        while !run.is_done() {
            run.step(2).map_err(fail)?;
        }
        let _ = run.summary();
    }
    if let Ok(c) = serde_json::from_value::<BenchCase>(v.clone())
        && c.validate().is_ok()
        && tiny(moment_lab::experiments::cloud::cloud_cost(
            c.d, c.dim, c.order, c.target, c.strategy, 1,
        ))
    {
        let prepared = c.prepare().map_err(fail)?;
        let _ = prepared.run();
    }
    if let Ok(c) = serde_json::from_value::<NnBenchConfig>(v.clone())
        && c.width <= 64
        && c.samples <= 512
        && c.input_dim <= 8
        && let Ok(mut b) = NnBench::new(c)
    {
        let _ = b.grad_steps(1);
        let _ = b.train_steps(1);
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(3000))]

    /// Arbitrary JSON, and objects of each config's own fields with arbitrary values.
    #[test]
    fn configs_from_arbitrary_json(
        any_json in arb_json(),
        fields in prop::sample::select(vec![CLOUD, DATASET, LTH, SCALING, FIG2, FIG8, BENCH, NN])
            .prop_flat_map(object_of),
    ) {
        exercise(&any_json)?;
        exercise(&fields)?;
    }
}

/// A small size: mostly in `1..hi`, sometimes 0.
fn small(hi: u64) -> impl Strategy<Value = u64> + Clone {
    prop_oneof![12 => 1..hi, 1 => Just(0)]
}

/// A list of 1 to 3 small sizes, sometimes empty.
fn small_list(hi: u64) -> impl Strategy<Value = Vec<u64>> + Clone {
    prop_oneof![12 => prop::collection::vec(small(hi), 1..3), 1 => Just(Vec::new())]
}

/// Small configs around the edges (0, 1, N(m,k), d′ = d) for every experiment, so that many validate and
/// are constructed: the constructors and steps see degenerate but valid runs.
fn tiny_config() -> impl Strategy<Value = Value> {
    let optimizer = prop::sample::select(vec!["sgd", "adam", "adamw", "rprop", "rmsprop"]);
    let lr = prop_oneof![6 => Just(1e-3), 2 => Just(0.1), 1 => Just(10.0), 1 => Just(1e6), 1 => Just(1e-30)];
    let strategy = prop::sample::select(vec!["auto", "greedy", "bulk", "random"]);
    let with_first = |first: &'static str, rest: Vec<&'static str>| {
        (
            prop::sample::subsequence(rest.clone(), 0..=rest.len()),
            prop::bool::weighted(0.9),
        )
            .prop_map(move |(mut arms, keep)| {
                if keep {
                    arms.insert(0, first);
                }
                arms
            })
    };
    prop_oneof![
        (small(300), small(6), 0u64..5, small(60), strategy.clone(), any::<u64>()).prop_map(
            |(d, dim, k, target, s, seed)| json!({"d": d, "dim": dim, "k": k, "target": target,
                "strategy": s, "seed": seed})
        ),
        (
            (small(80), small(40), 0u64..4, small(6), small(40)),
            (small(3), optimizer.clone(), lr.clone(), prop::option::of(small(20)), small(100)),
            (
                with_first("full", vec!["compressed", "naive", "kmeans"]),
                0u64..3,
                any::<u64>(),
                prop_oneof![8 => Just(3.0), 1 => Just(0.0), 1 => Just(1e300)],
            ),
        )
            .prop_map(|((d, target, order, hidden, n_test), (epochs, opt, lr, bs, spe), (arms, ev, seed, noise))| {
                json!({"d": d, "target": target, "order": order, "hidden": hidden, "n_test": n_test,
                    "epochs": epochs, "optimizer": opt, "lr": lr, "batch_size": bs,
                    "samples_per_epoch": spe, "arms": arms, "eval_every": ev, "seed": seed, "noise": noise})
            }),
        (
            (small(60), small(40), 0u64..4, small(50), small(50)),
            (small(20), small(3), optimizer, lr.clone(), prop::sample::select(vec!["relu", "relu", "tanh", "sigmoid"])),
            (
                prop::sample::select(vec!["raw", "raw", "homogeneous"]),
                strategy.clone(),
                with_first("original", vec!["compressed", "naive", "magnitude"]),
                0u64..3,
                0u64..3,
            ),
            (0u64..6, any::<bool>(), any::<u64>()),
        )
            .prop_map(|((w, t, k, ntr, nte), (bs, ep, opt, lr, act), (chart, s, arms, ev, me), (mr, rs, seed))| {
                json!({"width": w, "target": t, "order": k, "n_train": ntr, "n_test": nte,
                    "batch_size": bs, "epochs": ep, "optimizer": opt, "lr": lr, "activation": act,
                    "chart": chart, "strategy": s, "arms": arms, "eval_every": ev, "maps_every": me,
                    "maps_res": mr, "rescale": rs, "seed": seed})
            }),
        (prop::sample::select(vec!["data", "width"]), small_list(64), small(3),
            0u64..4, small(3), small(40), lr)
            .prop_map(|(axis, sizes, seeds, order, epochs, n, lr)| {
                json!({"axis": axis, "sizes": sizes, "seeds": seeds, "order": order, "epochs": epochs,
                    "n_samples": n, "lr": lr})
            }),
        (small_list(4), prop::collection::vec(0u64..5, 1..3), small_list(300), small(3),
            prop_oneof![4 => Just(0.1), 1 => Just(0.5), 1 => Just(0.0), 1 => Just(1.0)], strategy.clone())
            .prop_map(|(dims, orders, sizes, trials, ratio, s)| {
                json!({"dims": dims, "orders": orders, "sizes": sizes, "trials": trials, "ratio": ratio,
                    "strategy": s})
            }),
        (small_list(3), small_list(200), small(3))
            .prop_map(|(dims, sizes, trials)| json!({"dims": dims, "sizes": sizes, "trials": trials})),
        (small(5), 0u64..5, small(300), small(300), strategy, 0u64..3)
            .prop_map(|(dim, order, d, target, s, threads)| {
                json!({"dim": dim, "order": order, "d": d, "target": target, "strategy": s,
                    "threads": threads})
            }),
    ]
}

proptest! {
    #![proptest_config(cases(1500))]

    #[test]
    fn tiny_configs_construct_and_run(v in tiny_config()) {
        exercise(&v)?;
    }
}

proptest! {
    #![proptest_config(cases(1000))]

    /// The page's N(m,k) hint and every order check answer at once for any m and k.
    #[test]
    fn n_moments_is_total_and_fast(m in any::<usize>(), k in any::<usize>()) {
        let n = moment_lab::compress::n_moments(m, k);
        prop_assert_eq!(n, moment_lab::compress::n_moments(k, m));
        if let Some(n) = n {
            if m == 0 || k == 0 {
                prop_assert_eq!(n, 1);
            } else {
                prop_assert!(n > m.max(k));
            }
        }
        let _ = moment_lab::compress::check_order(k);
    }
}
