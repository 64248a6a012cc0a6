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

/// `fig2` and `scaling` spread their tasks over threads, `lth` its arms (stepped on one thread, each arm
/// alone on two or three); what they write must not depend on how many.
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
    let lth = [
        "lth",
        "--preset",
        "quick",
        "--width",
        "300",
        "--target",
        "60",
        "--order",
        "2",
        "--samples",
        "400",
        "--n-test",
        "200",
        "--epochs",
        "5",
        "--eval-every",
        "2",
        "--maps",
        "2",
        "--maps-res",
        "5",
    ];
    let one = run(&lth, "1", "lth-1.json");
    assert_eq!(one, run(&lth, "2", "lth-2.json"));
    assert_eq!(one, run(&lth, "3", "lth-3.json"));
    assert_eq!(one["curves"].as_array().unwrap().len(), 6);
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

/// Runs `moment-lab ARGS` and returns its output; a run still going after a minute is killed and fails the
/// test (so a hang, such as an O(k) loop over a huge order, is a failure rather than a stuck suite).
fn run_with_deadline(args: &[&str]) -> std::process::Output {
    use std::process::Stdio;
    let child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("{args:?} was still running after 60 s");
        }
    }
}

/// Asserts that `moment-lab ARGS` exits with `code` within the deadline, its stderr containing `expected`
/// and no panic; returns stderr.
fn assert_exit(args: &[&str], code: i32, expected: &str) -> String {
    let out = run_with_deadline(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(
        err.contains(expected),
        "{args:?}: '{err}' lacks '{expected}'"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}

/// Every bad option value is a usage error (exit 2) in every command, before any work: an unknown
/// strategy (was exit 1 in four commands), too many threads, an order above 64 (an order of 2^64 - 1
/// used to hang in N(m,k)), a run above the cost caps, a bad learning rate or optimiser.
#[test]
fn every_bad_option_value_is_a_usage_error() {
    let input = tmp("usage.csv", "x,y\n1,2\n3,4\n5,6\n7,8\n");
    let input = input.to_str().unwrap();
    let compress = [
        "compress", "--input", input, "--order", "1", "--target", "3",
    ];
    let with = |base: &[&str], extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let strategy = ["--strategy", "bogus"];
    for base in [&compress[..], &["cloud"], &["fig2"], &["runtime"], &["lth"]] {
        let args = with(base, &strategy);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_exit(
            &args,
            2,
            "unknown strategy 'bogus' (use greedy, bulk, auto or random)",
        );
    }
    for base in [
        &compress[..],
        &["fig2"],
        &["runtime"],
        &["scaling", "--axis", "data"],
    ] {
        let args = with(base, &["--threads", "5000"]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_exit(&args, 2, "--threads is at most 1024 (0 = one per core)");
        let args = with(base, &["--threads", "-1"]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_exit(&args, 2, "--threads expects a non-negative whole number");
    }
    for base in [
        &["compress", "--input", input, "--target", "3"][..],
        &["cloud"],
        &["runtime"],
        &["lth"],
        &["dataset"],
    ] {
        for order in ["65", "18446744073709551615"] {
            let args = with(base, &["--order", order]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            assert_exit(&args, 2, "is above the maximum of 64");
        }
    }
    assert_exit(
        &[
            "compress",
            "--input",
            input,
            "--target",
            "3",
            "--order",
            "18446744073709551616",
        ],
        2,
        "--order expects a non-negative whole number",
    );
    // Runs above the cost caps, from the options alone.
    assert_exit(
        &["lth", "--epochs", "100000000"],
        2,
        "floating-point operations in all",
    );
    assert_exit(
        &[
            "fig2", "--dims", "5", "--orders", "6", "--sizes", "10000000", "--trials", "1",
        ],
        2,
        "Stop could not stop it",
    );
    assert_exit(
        &[
            "cloud",
            "--d",
            "1000000",
            "--dim",
            "16",
            "--order",
            "1",
            "--target",
            "1000",
            "--strategy",
            "greedy",
        ],
        2,
        "lower the number of points d",
    );
    assert_exit(&["runtime", "--sizes", "10"], 2, "is not larger than N(m=");
    // Config errors are usage errors too, with or without a data file.
    assert_exit(&["lth", "--lr", "0"], 2, "learning rate");
    assert_exit(
        &["dataset", "--optimizer", "bogus"],
        2,
        "unknown optimiser 'bogus'",
    );
    assert_exit(
        &["dataset", "--data", input, "--optimizer", "bogus"],
        2,
        "unknown optimiser",
    );
    assert_exit(
        &[
            "scaling", "--axis", "width", "--sizes", "100", "--seeds", "0",
        ],
        2,
        "seeds",
    );
    // Parsing.
    assert_exit(&["lth", "--seed", "abc"], 2, "--seed expects");
    assert_exit(&["fig8", "--preset", "huge"], 2, "unknown preset 'huge'");
    assert_exit(
        &["cloud", "--frobnicate"],
        2,
        "invalid option '--frobnicate'",
    );
    assert_exit(&["lth", "--lr"], 2, "missing argument");
    assert_exit(&["frobnicate"], 2, "unknown command 'frobnicate'");
    // Help is not an error.
    for args in [&["help"][..], &[], &["--help"]] {
        let out = run_with_deadline(args);
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).contains("EXIT CODES"));
    }
}

/// `--threads 0` means one thread per core in every command (it meant one thread in `fig2` and
/// `scaling`); the thread count each command reports says so.
#[test]
fn threads_zero_means_one_per_core_everywhere() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let json = |args: &[&str], name: &str| -> serde_json::Value {
        let out = tmp(name, "");
        let mut all = args.to_vec();
        all.extend(["--threads", "0", "--out", out.to_str().unwrap()]);
        run_ok(bin().args(&all));
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
    };
    let fig2 = json(
        &[
            "fig2", "--dims", "1", "--orders", "1", "--sizes", "100,200", "--trials", "2",
        ],
        "t0-fig2.json",
    );
    assert_eq!(fig2["threads"], cores.min(4));
    let scaling = json(
        &[
            "scaling",
            "--axis",
            "data",
            "--sizes",
            "256",
            "--seeds",
            "2",
            "--epochs",
            "1",
            "--samples",
            "50",
        ],
        "t0-scaling.json",
    );
    assert_eq!(scaling["threads"], cores.min(2));
    let runtime = json(
        &[
            "runtime", "--dims", "1", "--sizes", "200", "--order", "1", "--trials", "1",
        ],
        "t0-runtime.json",
    );
    assert_eq!(runtime["threads"], cores);
    let input = tmp("t0.csv", "x\n1\n2\n3\n4\n5\n");
    let out = run_ok(bin().args([
        "compress",
        "--input",
        input.to_str().unwrap(),
        "--order",
        "1",
        "--target",
        "2",
        "--threads",
        "0",
    ]));
    let summary: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(summary["threads"], cores);
}

/// The output path is checked before any work: every command, even at its paper preset (hours of work),
/// fails at once (exit 1) when the output cannot be written, and prints no progress. A file the check
/// created is removed when the command fails; an existing file is left as it was.
#[test]
fn output_path_is_checked_before_any_work() {
    let blocker = tmp("not-a-directory", "a file");
    let bad = blocker.join("out.json");
    let bad = bad.to_str().unwrap();
    let input = tmp("out-check.csv", "x\n1\n2\n3\n4\n5\n");
    let input = input.to_str().unwrap();
    for args in [
        &[
            "compress", "--input", input, "--order", "1", "--target", "2", "--output", bad,
        ][..],
        &[
            "cloud", "--d", "1000000", "--dim", "3", "--order", "3", "--target", "1000",
            "--output", bad,
        ],
        &["fig2", "--preset", "paper", "--out", bad],
        &["fig8", "--preset", "paper", "--out", bad],
        &["runtime", "--out", bad],
        &["lth", "--preset", "paper", "--out", bad],
        &["dataset", "--preset", "paper", "--out", bad],
        &["dataset", "--data", input, "--out", bad],
        &[
            "scaling", "--axis", "width", "--preset", "paper", "--out", bad,
        ],
    ] {
        let err = assert_exit(args, 1, "cannot create");
        assert!(
            !err.contains("set-up")
                && !err.contains("epoch")
                && !err.contains("compressions")
                && !err.contains("runtime:"),
            "{args:?} did work before failing: {err}"
        );
    }
    // Created by the check, then the input fails: removed again.
    let fresh = blocker.with_file_name("fresh-out.csv");
    let _ = std::fs::remove_file(&fresh);
    assert_exit(
        &[
            "compress",
            "--input",
            "/nonexistent/in.csv",
            "--order",
            "1",
            "--target",
            "2",
            "--output",
            fresh.to_str().unwrap(),
        ],
        1,
        "cannot read /nonexistent/in.csv",
    );
    assert!(!fresh.exists(), "the empty output file was left behind");
    // An existing output file is only replaced by a successful run.
    let kept = tmp("kept-out.csv", "keep me");
    assert_exit(
        &[
            "compress",
            "--input",
            "/nonexistent/in.csv",
            "--order",
            "1",
            "--target",
            "2",
            "--output",
            kept.to_str().unwrap(),
        ],
        1,
        "cannot read",
    );
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "keep me");
}

/// Data files a user may really have: the 12 rows with x = ±k·1e200 train (exit 0, was a panic
/// with exit 101); non-UTF-8 and UTF-16 files are a clear error (exit 1), in both commands that read files.
#[test]
fn hard_data_files_train_or_fail_cleanly() {
    let mut text = String::from("x,y\n");
    for k in 1..=12 {
        let sign = if k % 2 == 1 { "" } else { "-" };
        text.push_str(&format!("{sign}{k}e200,{}\n", k as f64 * 0.5));
    }
    let huge = tmp("huge.csv", &text);
    let out_path = huge.with_file_name("huge-out.json");
    run_ok(bin().args([
        "dataset",
        "--data",
        huge.to_str().unwrap(),
        "--target",
        "5",
        "--order",
        "1",
        "--epochs",
        "2",
        "--out",
        out_path.to_str().unwrap(),
    ]));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    for arm in v["summary"]["arms"].as_array().unwrap() {
        assert!(arm["final_test"].as_f64().unwrap().is_finite(), "{arm}");
    }
    let dir = huge.parent().unwrap();
    let latin1 = dir.join("latin1.csv");
    std::fs::write(&latin1, b"caf\xE9,y\n1,2\n3,4\n").unwrap();
    let utf16 = dir.join("utf16.csv");
    std::fs::write(&utf16, b"\xFF\xFEx\x00,\x00y\x00\n\x00").unwrap();
    for (file, needle) in [
        (&latin1, "not UTF-8 text (an invalid byte on line 1)"),
        (&utf16, "UTF-16"),
    ] {
        let f = file.to_str().unwrap();
        assert_exit(&["dataset", "--data", f], 1, needle);
        assert_exit(
            &["compress", "--input", f, "--order", "1", "--target", "1"],
            1,
            needle,
        );
    }
    // A BOM is not part of the first column's name.
    let bom = tmp("bom.csv", "\u{feff}x,weight\n1,1\n2,1\n3,1\n4,1\n");
    let out = run_ok(bin().args([
        "compress",
        "--input",
        bom.to_str().unwrap(),
        "--order",
        "1",
        "--target",
        "2",
    ]));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("index,weight,x1\n"));
}
