//! The `moment-lab` command line as a user runs it: output format, exact coordinates, reproducibility
//! against the committed fixture, and clear errors with non-zero exits on bad input.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

use moment_lab::rng::{seeded, standard_normal};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_moment-lab"))
}

/// Runs the command and checks that it succeeded (showing its stderr if not).
fn run_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn tmp(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("moment-lab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn compress_writes_subset_with_exact_coordinates() {
    let mut rng = seeded(3);
    let mut csv = String::from("a,b,c\n");
    let mut rows = Vec::new();
    for _ in 0..2000 {
        let r: Vec<f64> = (0..3).map(|_| standard_normal(&mut rng) / 3.0).collect();
        csv.push_str(&format!("{:?},{:?},{:?}\n", r[0], r[1], r[2]));
        rows.push(r);
    }
    let input = tmp("in.csv", &csv);
    let output = input.with_file_name("out.csv");
    let args = ["--order", "3", "--target", "100", "--seed", "1"];
    let out = run_ok(
        bin()
            .args(["compress", "--input", input.to_str().unwrap()])
            .args(args)
            .args(["--output", output.to_str().unwrap()]),
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stderr).expect("one-line JSON summary on stderr");
    assert_eq!(summary["kept"], 100);
    assert!(summary["residual"].as_f64().unwrap() < 1e-12);
    assert!(summary["seconds"].as_f64().unwrap() >= 0.0);
    let text = std::fs::read_to_string(&output).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("index,weight,x1,x2,x3"));
    let mut total = 0.0;
    let mut n = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let idx: usize = f[0].parse().unwrap();
        let w: f64 = f[1].parse().unwrap();
        assert!(w > 0.0);
        total += w;
        for a in 0..3 {
            assert_eq!(
                f[2 + a].parse::<f64>().unwrap().to_bits(),
                rows[idx][a].to_bits(),
                "coordinates copied exactly"
            );
        }
        n += 1;
    }
    assert_eq!(n, 100);
    assert!((total - 2000.0).abs() < 1e-9);
    // The default uses every core; one thread writes the same file byte for byte.
    let single = input.with_file_name("out-1-thread.csv");
    run_ok(
        bin()
            .args(["compress", "--input", input.to_str().unwrap()])
            .args(args)
            .args(["--threads", "1"])
            .args(["--output", single.to_str().unwrap()]),
    );
    assert_eq!(std::fs::read(&single).unwrap(), text.into_bytes());
}

#[test]
fn weight_column_is_honoured() {
    let input = tmp("w.csv", "x,weight\n0,1\n1,3\n2,0\n3,1\n4,2\n5,1\n");
    let out = run_ok(bin().args([
        "compress",
        "--input",
        input.to_str().unwrap(),
        "--order",
        "1",
        "--target",
        "2",
    ]));
    let text = String::from_utf8(out.stdout).unwrap();
    let (mut m0, mut m1) = (0.0, 0.0);
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        m0 += f[1];
        m1 += f[1] * f[2];
    }
    assert!((m0 - 8.0).abs() < 1e-12 && (m1 - (3.0 + 3.0 + 8.0 + 5.0)).abs() < 1e-12);
}

#[test]
fn bad_input_fails_cleanly() {
    let cases = [
        ("empty.csv", "", 3usize, "empty"),
        ("nan.csv", "x,y\n1,2\nNaN,1\n3,4\n5,6\n", 3, "NaN"),
        ("text.csv", "x,y\n1,2\nabc,1\n3,4\n", 3, "not a number"),
        ("ragged.csv", "x,y\n1,2\n3\n3,4\n", 3, "fields"),
        (
            "below.csv",
            "x,y\n1,2\n2,1\n3,4\n5,6\n7,7\n8,1\n9,0\n",
            3,
            "below N(m=2, k=2) = 6",
        ),
        (
            "above.csv",
            "x,y\n1,2\n2,1\n3,4\n",
            3,
            "smaller than the number of points",
        ),
    ];
    for (name, content, target, needle) in cases {
        let input = tmp(name, content);
        let out = bin()
            .args([
                "compress",
                "--input",
                input.to_str().unwrap(),
                "--order",
                "2",
                "--target",
                &target.to_string(),
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(needle), "{name}: '{err}' lacks '{needle}'");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let out = bin().args(["compress", "--order", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The committed fixture was written by `moment-lab cloud --seed 7 --output tests/fixtures/cloud_fixture.json`;
/// the browser test compares the wasm build against the same file, so native and wasm agree bit for bit.
#[test]
fn cloud_demo_matches_fixture() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/cloud_fixture.json")).unwrap();
    let out = run_ok(bin().args(["cloud", "--seed", "7"]));
    let now: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(now["kept_indices"], fixture["kept_indices"]);
    assert_eq!(now["kept_weights"], fixture["kept_weights"]);
    assert_eq!(fixture["kept_indices"].as_array().unwrap().len(), 40);
}

/// `dataset --data own.csv`: trains on the user's rows (a fifth held out), the same numbers twice, and a
/// clear error with exit code 1 for a bad file.
#[test]
fn dataset_trains_on_own_csv() {
    let mut rng = seeded(3);
    let mut text = String::from("u,v,y\n");
    for _ in 0..1000 {
        let (u, v) = (standard_normal(&mut rng), standard_normal(&mut rng));
        text.push_str(&format!(
            "{u},{v},{}\n",
            u * v + 0.1 * standard_normal(&mut rng)
        ));
    }
    let input = tmp("own.csv", &text);
    let run = |out: &str| {
        let out_path =
            std::env::temp_dir().join(format!("moment-lab-own-{}-{out}", std::process::id()));
        run_ok(
            bin()
                .args([
                    "dataset",
                    "--data",
                    input.to_str().unwrap(),
                    "--target",
                    "100",
                    "--order",
                    "3",
                ])
                .args(["--epochs", "5", "--out", out_path.to_str().unwrap()]),
        );
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out_path).unwrap()).unwrap();
        // The map to training units: three columns (u, v, then y), y's variance as in the summary.
        let units = &v["standardisation"];
        assert_eq!(units["mean"].as_array().map(|a| a.len()), Some(3));
        let sd_y = units["scale"][2].as_f64().unwrap();
        let var = v["summary"]["output_variance"].as_f64().unwrap();
        assert!((sd_y * sd_y - var).abs() < 1e-12 * var);
        v["summary"].clone()
    };
    let a = run("a.json");
    assert_eq!(a["arms"][0]["size"], 800);
    assert_eq!(a["arms"][1]["size"].as_u64().map(|s| s <= 100), Some(true));
    assert!(a["compression_residual"].as_f64().unwrap() < 1e-9);
    assert_eq!(a, run("b.json"));
    let bad = tmp("bad-own.csv", "y\n1\n2\n");
    let o = bin()
        .args(["dataset", "--data", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least two columns"));
}

/// `fig2` and `scaling` spread their tasks over threads; what they write must not depend on how many.
#[test]
fn parallel_runs_do_not_depend_on_thread_count() {
    let run = |args: &[&str], threads: &str, name: &str| {
        let out = tmp(name, "");
        run_ok(
            bin()
                .args(args)
                .args(["--threads", threads, "--out", out.to_str().unwrap()]),
        );
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(v["threads"].as_u64().unwrap().to_string(), threads);
        let obj = v.as_object_mut().unwrap();
        obj.remove("seconds");
        obj.remove("threads");
        v
    };
    let fig2 = ["fig2", "--preset", "quick", "--sizes", "500,1000,2000"];
    let one = run(&fig2, "1", "fig2-1.json");
    assert_eq!(one, run(&fig2, "3", "fig2-3.json"));
    assert_eq!(one["trials"].as_array().unwrap().len(), 3 * 3 * 4);
    let scaling = [
        "scaling", "--axis", "data", "--preset", "quick", "--sizes", "256,512", "--seeds", "2",
        "--epochs", "20",
    ];
    assert_eq!(
        run(&scaling, "1", "scaling-1.json"),
        run(&scaling, "2", "scaling-2.json")
    );
}

/// Asserts that `moment-lab ARGS` is a usage error (exit 2) whose message contains `expected`.
fn assert_usage_error(args: &[&str], expected: &str) {
    let out = bin().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(expected), "{args:?}: {err}");
}

/// Runs a small `lth` (width 200 → 60, k = 3, 300 samples, `epochs` epochs) with `extra` options, writing
/// to `name` in `dir`, and returns its JSON output.
fn small_lth(dir: &std::path::Path, name: &str, epochs: &str, extra: &[&str]) -> serde_json::Value {
    let out = dir.join(name);
    let mut args = vec![
        "lth",
        "--width",
        "200",
        "--target",
        "60",
        "--order",
        "3",
        "--epochs",
        epochs,
        "--samples",
        "300",
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    run_ok(bin().args(&args));
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

/// `lth --activation` reaches the run (the written config says so, and tanh and ReLU train to different
/// losses); an unknown name is a usage error (exit 2) that lists the valid ones.
#[test]
fn lth_activation_option() {
    let dir = std::env::temp_dir().join(format!("moment-lab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut finals = Vec::new();
    for act in ["relu", "tanh"] {
        let json = small_lth(
            &dir,
            &format!("lth-{act}.json"),
            "2",
            &["--activation", act],
        );
        assert_eq!(json["config"]["activation"], act);
        let original = &json["summary"]["arms"][0];
        assert_eq!(original["arm"], "original");
        finals.push(original["final_test"].as_f64().unwrap());
    }
    assert_ne!(
        finals[0], finals[1],
        "relu and tanh runs gave the same loss"
    );
    assert_usage_error(
        &["lth", "--activation", "softplus"],
        "relu, tanh or sigmoid",
    );
}

/// `lth --maps E --maps-res R` writes every arm's function at epoch 0, every E epochs and the last one, on
/// an R × R grid with the target; `--maps 0`, `--maps-res` alone and an unknown `--strategy` are usage
/// errors.
#[test]
fn lth_maps_option() {
    let dir = std::env::temp_dir().join(format!("moment-lab-cli-maps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = small_lth(
        &dir,
        "lth-maps.json",
        "5",
        &["--maps", "2", "--maps-res", "6"],
    );
    let maps = &json["function_maps"];
    assert_eq!(maps["res"], 6);
    assert_eq!(maps["target"].as_array().unwrap().len(), 36);
    let epochs: Vec<u64> = maps["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["epoch"].as_u64().unwrap())
        .collect();
    assert_eq!(epochs, [0, 2, 4, 5]);
    for e in maps["epochs"].as_array().unwrap() {
        let arms = e["arms"].as_array().unwrap();
        assert_eq!(arms.len(), 4);
        assert!(arms.iter().all(|a| {
            a.as_array().unwrap().len() == 36
                && a.as_array()
                    .unwrap()
                    .iter()
                    .all(|v| v.as_f64().unwrap().is_finite())
        }));
    }
    assert_usage_error(&["lth", "--maps", "0"], "--maps expects");
    assert_usage_error(&["lth", "--maps-res", "1000"], "give --maps too");
    assert_usage_error(
        &["lth", "--strategy", "nearest"],
        "greedy, bulk, auto or random",
    );
    std::fs::remove_dir_all(&dir).ok();
}
