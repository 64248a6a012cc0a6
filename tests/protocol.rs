//! Every experiment of the registry through the one protocol, as the CLI and the worker drive it: built from
//! a kind and configuration JSON, stepped in small budgets to the end, read out as the page's payloads and as
//! one result document. Experiments with independent parts give the same document whether stepped or run on
//! threads.

use std::sync::atomic::{AtomicU64, Ordering};

use moment_lab::experiments::document::config_hash;
use moment_lab::experiments::registry::{self, EXPERIMENTS};
use moment_lab::experiments::{AnyExperiment, ExperimentError, Host};

/// A small configuration per kind (seconds in total); an experiment not listed runs its default preset.
fn small_config(kind: &str) -> &'static str {
    match kind {
        "cloud" => r#"{"d": 300, "target": 20}"#,
        "fig2" => r#"{"sizes": [500, 1000], "orders": [1, 2], "trials": 1}"#,
        "fig8" => r#"{"sizes": [1000, 2000], "dims": [1], "trials": 1}"#,
        "runtime" => r#"{"sizes": [1000, 2000], "dims": [1], "trials": 1}"#,
        "lth" => {
            r#"{"width": 300, "target": 60, "order": 2, "n_train": 500, "n_test": 500, "epochs": 4, "eval_every": 2}"#
        }
        "dataset" => r#"{"d": 1000, "target": 200, "epochs": 2}"#,
        "scaling" => r#"{"sizes": [256, 512], "seeds": 1, "epochs": 2}"#,
        "attention" => {
            r#"{"heads": 300, "target": 180, "batch_size": 16, "steps_per_epoch": 2, "epochs": 2, "test_batches": 1, "picture_points": 5}"#
        }
        _ => "{}",
    }
}

/// A clock for the experiment that measures time: a counter, so nothing here depends on the machine.
fn ticks() -> f64 {
    static T: AtomicU64 = AtomicU64::new(0);
    T.fetch_add(1, Ordering::Relaxed) as f64 * 1e-3
}

const HOST: Host = Host {
    threads: 1,
    clock: Some(ticks),
    max_rows: 1000,
};

fn build(kind: &str) -> Box<dyn AnyExperiment> {
    registry::build(kind, small_config(kind), None, &HOST).unwrap_or_else(|e| panic!("{kind}: {e}"))
}

/// Steps `run` to its end with budget 1, checking what the page is told on the way.
fn step_to_end(kind: &str, run: &mut dyn AnyExperiment) {
    let info = run.info().unwrap().into_json();
    assert!(info["config"].is_object(), "{kind}: info has no config");
    assert!(info["items"].is_array(), "{kind}: info has no items");
    let mut streamed = 0;
    let mut last = run.progress();
    for _ in 0..100_000 {
        if run.is_done() {
            break;
        }
        run.step(1).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let p = run.progress();
        assert!(
            (0.0..=1.0).contains(&p) && p >= last,
            "{kind}: progress {last} -> {p}"
        );
        last = p;
        // The new items, and the experiment's own streams (a cloud's frames, function maps).
        let news = run.news().unwrap().into_json();
        assert!(news["items"].is_array(), "{kind}: news without items");
        streamed += news
            .as_object()
            .unwrap()
            .values()
            .filter_map(|v| v.as_array())
            .map(Vec::len)
            .sum::<usize>();
        assert!(!run.status().is_empty());
    }
    assert!(run.is_done(), "{kind} did not finish");
    let done = run.finish().unwrap().into_json();
    // Records while running, or (a cloud's compression, unless animated) the result at the end.
    assert!(
        streamed > 0 || !done["extra"].is_null(),
        "{kind} told the page nothing"
    );
    assert_eq!(done["summary"], run.summary().unwrap(), "{kind}");
}

#[test]
fn every_experiment_runs_through_the_protocol() {
    assert!(EXPERIMENTS.len() >= 7);
    for e in EXPERIMENTS {
        let mut run = build(e.kind);
        assert_eq!(run.kind(), e.kind);
        step_to_end(e.kind, &mut *run);
        let doc = run.document().unwrap();
        assert_eq!(doc.experiment, e.kind);
        assert_eq!(
            doc.provenance.config_hash,
            config_hash(&doc.config),
            "{}",
            e.kind
        );
        assert_eq!(doc.provenance.version, env!("CARGO_PKG_VERSION"));
        assert!(
            doc.summary.is_object(),
            "{}: summary {}",
            e.kind,
            doc.summary
        );
        // The configuration in the document builds the same run again: same numbers.
        let again = registry::build(e.kind, &doc.config.to_string(), None, &HOST).unwrap();
        assert_eq!(again.config().unwrap(), doc.config, "{}", e.kind);
        if e.kind != "runtime" {
            let mut again = again;
            step_to_end(e.kind, &mut *again);
            let twice = again.document().unwrap();
            assert_eq!(
                (&twice.summary, &twice.curves),
                (&doc.summary, &doc.curves),
                "{}",
                e.kind
            );
        }
    }
}

#[test]
fn parts_on_threads_give_the_stepped_document() {
    let mut with_parts = 0;
    for e in EXPERIMENTS.iter().filter(|e| e.kind != "runtime") {
        let mut stepped = build(e.kind);
        if stepped.parts() == 0 {
            continue;
        }
        with_parts += 1;
        step_to_end(e.kind, &mut *stepped);
        let mut threaded = build(e.kind);
        let threads = threaded.run_parts(2, &|_, _| {}).unwrap();
        assert!((1..=2).contains(&threads));
        assert!(threaded.is_done());
        let (a, b) = (stepped.document().unwrap(), threaded.document().unwrap());
        assert_eq!(
            (&a.summary, &a.curves, &a.extras),
            (&b.summary, &b.curves, &b.extras),
            "{}",
            e.kind
        );
    }
    assert!(with_parts >= 2, "only {with_parts} experiments have parts");
}

/// The result document's numbers as text: equal strings mean bit-identical numbers (NaN is `null`).
fn numbers(run: &dyn AnyExperiment) -> String {
    let d = run.document().unwrap();
    serde_json::to_string(&(&d.summary, &d.curves, &d.extras)).unwrap()
}

/// Arms trained each on its own thread (1, 2 and 3 threads) give the stepped run's summary, curves and
/// maps exactly; for the lottery ticket also with maps, sparse evaluations and an arm that stops.
#[test]
fn lanes_on_threads_give_the_stepped_document() {
    let lth_maps = r#"{"width": 300, "target": 60, "order": 2, "n_train": 500, "n_test": 300, "batch_size": 64,
        "epochs": 5, "eval_every": 2, "maps_every": 2, "maps_res": 6,
        "arms": ["original", "compressed", "naive", "magnitude"]}"#;
    let mut configs: Vec<(&str, &str)> = EXPERIMENTS
        .iter()
        .map(|e| (e.kind, small_config(e.kind)))
        .collect();
    // SGD at these rates: the arms stop (diverge) at different batches of epochs 2 and 3, the last one
    // inside an epoch, so the run ends there with the others' columns NaN.
    let lth_diverging = r#"{"width": 300, "target": 60, "order": 2, "n_train": 400, "n_test": 200,
        "epochs": 6, "eval_every": 2, "maps_every": 1, "maps_res": 4, "optimizer": "sgd", "lr": 2.0}"#;
    let lth_all_stop = r#"{"width": 300, "target": 60, "order": 2, "n_train": 400, "n_test": 200,
        "epochs": 6, "eval_every": 1, "optimizer": "sgd", "lr": 8.0}"#;
    configs.extend([
        ("lth", lth_maps),
        ("lth", lth_diverging),
        ("lth", lth_all_stop),
    ]);
    let (mut with_lanes, mut stopped_arms, mut all_stopped_early) = (0, 0, false);
    for (kind, config) in configs {
        let make =
            || registry::build(kind, config, None, &HOST).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let mut stepped = make();
        if stepped.lanes() == 0 {
            continue;
        }
        with_lanes += 1;
        step_to_end(kind, &mut *stepped);
        let expected = numbers(&*stepped);
        let summary = stepped.summary().unwrap();
        let stopped = summary["arms"].as_array().map_or(0, |arms| {
            arms.iter().filter(|a| !a["diverged"].is_null()).count()
        });
        stopped_arms += stopped;
        all_stopped_early |=
            stopped == stepped.lanes() && summary["epochs_done"].as_u64() < Some(6);
        for threads in [1, 2, 3] {
            let mut threaded = make();
            let finished = std::sync::atomic::AtomicUsize::new(0);
            let used = threaded
                .run_lanes(threads, &|_| {
                    finished.fetch_add(1, Ordering::Relaxed);
                })
                .unwrap();
            assert_eq!(used, threads.min(threaded.lanes()), "{kind}");
            assert_eq!(finished.into_inner(), threaded.lanes(), "{kind}");
            assert!(threaded.is_done(), "{kind}");
            assert_eq!(numbers(&*threaded), expected, "{kind} on {threads} threads");
        }
        // Only from the start: a run already stepped is refused, not half-trained twice.
        assert!(stepped.run_lanes(2, &|_| {}).is_err(), "{kind}");
    }
    assert!(with_lanes >= 2, "only {with_lanes} runs have lanes");
    assert!(
        stopped_arms >= 8 && all_stopped_early,
        "{stopped_arms} arms stopped"
    );
}

#[test]
fn refusals_are_typed() {
    for e in EXPERIMENTS {
        assert!(matches!(
            registry::build(e.kind, r#"{"no_such_field": 1}"#, None, &HOST),
            Err(ExperimentError::Config(_))
        ));
        assert!(matches!(
            registry::build(e.kind, r#""no-such-preset""#, None, &HOST),
            Err(ExperimentError::UnknownPreset { .. })
        ));
        if !e.own_data {
            assert!(matches!(
                registry::build(e.kind, "{}", Some("x\n1\n"), &HOST),
                Err(ExperimentError::Unsupported { .. })
            ));
        }
    }
}
