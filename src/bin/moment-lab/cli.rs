use std::ffi::OsString;
use std::time::Instant;

use lexopt::prelude::*;
use moment_lab::compress::{CompressParams, Compressor, Strategy, n_moments};
use moment_lab::data::csv::{parse_cloud, write_kept};
use moment_lab::experiments::cloud::{CloudConfig, CloudRun};
use moment_lab::experiments::error_scaling::{
    Fig2Config, Fig2Run, Fig8Config, fig2_target, run_fig8_trial,
};
use moment_lab::experiments::fit::{mean_sd, power_law};

const USAGE: &str = "\
moment-lab: moment-matching compression (arXiv 2510.00504)

USAGE:
  moment-lab compress --input points.csv --order K --target D [--seed S] [--strategy auto|bulk|greedy|random]
                      [--threads T] [--output kept.csv]
      Compress a CSV point cloud (header row; numeric columns; optional `weight` column) to a weighted
      subset of at most D of its rows that keeps every moment up to order K. Writes
      `index,weight,x1,...,xm` (index = 0-based data row) to --output or stdout, and a one-line JSON
      summary {kept, residual, seconds, ...} to stderr. Disjoint clusters go to T threads (default: one
      per core); the output does not depend on T.
  moment-lab cloud [--seed S] [--d N] [--dim M] [--order K] [--target D] [--strategy ...] [--output out.json]
      The page's \"compress a cloud\" demo (standard-normal cloud from the seed); writes its full result as
      JSON: config, kept indices and weights, summary.
  moment-lab fig2 [--preset quick|demo|paper] [--strategy S] [--seed S] [--threads T] [--out fig2.json]
      Fig. 2: error of the symmetric sigmoid function vs d per (m, k), d -> max(0.1 d, N), with fitted
      slopes alpha (and standard errors) next to the authors' values. Trials go to T threads (default:
      one per core); the output does not depend on T.
  moment-lab fig8 [--preset quick|paper] [--seed S] [--out fig8.json]
      Fig. 8: polylog compression d -> 120 ln d (m=1) and 20 ln^2 d (m=2) with the best k per d.
  moment-lab runtime [--dims 1,2,3] [--sizes 1000,2000,...] [--order 5] [--trials 3] [--strategy S]
                     [--threads T] [--out runtime.json]
      Fig. 6: wall-clock time of d -> max(0.1 d, N(m,k)) per m, and the fitted exponent of time vs d.
      Each compression uses T threads (default 1).
  moment-lab lth [--preset quick|demo|paper] [--optimizer sgd|adam|adamw|rprop|rmsprop] [--lr LR] [--seed S]
                 [--order K] [--width D] [--target D'] [--epochs E] [--samples N] [--batch B] [--no-rescale]
                 [--activation relu|tanh|sigmoid] [--chart raw|homogeneous] [--strategy S]
                 [--maps E [--maps-res R]] [--out results.json]
      Fig. 4, the dynamical lottery ticket: original, compressed (moment-matched neurons, activation x c_j,
      gradients x 1/c_j), naive (first d' neurons) and magnitude-pruned nets on identical batches. Writes
      every curve and a `summary` with initial/final train/test loss per arm. --chart: the coordinates in
      which neurons are moment-matched: raw (default, the paper's (v, w, b)) or homogeneous (ReLU only:
      scale v|(w,b)| and direction (w,b)/|(w,b)|; matches the initial function better, the dynamics less).
      --maps E: also write `function_maps`, every arm's function on an R x R grid (default 48) over
      [-1,1]^2 at epoch 0, every E epochs and at the last epoch, with the target on the same grid.
  moment-lab dataset [--preset quick|demo|paper|paper-sgd-full|paper-adamw-full|paper-sgd-batch|paper-adamw-batch]
                     [--optimizer O] [--lr LR] [--seed S] [--epochs E] [--target D'] [--order K]
                     [--teacher-seed T] [--kmeans] [--landscape RES] [--data own.csv] [--out results.json]
      Fig. 3, dataset compression: a student trained on the full set, the moment-matched weighted subset and
      a random subset of the same size (optionally k-means centroids); curves, a summary with final losses,
      compression time next to training time, and (with --landscape) loss landscapes around init and end.
      --teacher-seed draws another teacher network (default 420); --seed draws data, test set, student, batches.
      --data trains on your own CSV instead of the teacher task: numeric columns with a header, the output
      in the column named y (or the last), the others inputs; a seeded fifth is held out as the test set.
      Columns are standardised on the training rows, so losses are in units of var(y) (summary.output_variance).
  moment-lab scaling --axis data|width [--preset quick|paper] [--seeds N] [--sizes a,b,..] [--epochs E]
                     [--lr LR] [--samples N] [--threads T] [--chart raw|homogeneous]
                     [--out results.json]
      Fig. 5: final test loss vs d for the original and vs d' = [16 sqrt d] for the compressed arm (k = 6);
      fitted exponents alpha with standard errors and their ratio. Size x seed runs go to T threads
      (default: one per core); the numbers do not depend on T.
  moment-lab bench
      Benchmark server for bench/run.mjs: reads one JSON request per stdin line, answers one JSON line each:
      {\"op\":\"compress\",\"case\":{dim,order,d,target,strategy,seed},\"reps\":N} -> {seconds:[..],kept,residual,..};
      {\"op\":\"nn\",\"config\":{..},\"mode\":\"grad\"|\"train\",\"min_seconds\":S} -> {steps,seconds,loss,flops_per_grad_step}.
      Prepared cases and nets are kept between requests (inputs are built outside the timing).
  moment-lab help

OPTIONS SHARED BY SEVERAL COMMANDS:
  --threads T         worker threads; 0 = one per core (in every command), at most 1024.
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

/// Runs the CLI; returns the process exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    match dispatch(args) {
        Ok(()) => 0,
        Err(Failure::Usage(m)) => {
            eprintln!("error: {m}\n\n{USAGE}");
            2
        }
        Err(Failure::Run(m)) => {
            eprintln!("error: {m}");
            1
        }
    }
}

enum Failure {
    Usage(String),
    Run(String),
}

impl From<lexopt::Error> for Failure {
    fn from(e: lexopt::Error) -> Self {
        Failure::Usage(e.to_string())
    }
}

fn run_err(e: impl std::fmt::Display) -> Failure {
    Failure::Run(e.to_string())
}

fn dispatch(args: Vec<OsString>) -> Result<(), Failure> {
    let mut parser = lexopt::Parser::from_args(args);
    let command = match parser.next()? {
        Some(Value(v)) => v.string()?,
        Some(Long("help")) | Some(Short('h')) | None => {
            print!("{USAGE}");
            return Ok(());
        }
        Some(other) => return Err(Failure::Usage(other.unexpected().to_string())),
    };
    match command.as_str() {
        "compress" => compress_cmd(parser),
        "cloud" => cloud_cmd(parser),
        "fig2" => fig2_cmd(parser),
        "fig8" => fig8_cmd(parser),
        "runtime" => runtime_cmd(parser),
        "lth" => lth_cmd(parser),
        "dataset" => dataset_cmd(parser),
        "scaling" => scaling_cmd(parser),
        "bench" => bench_cmd(parser),
        "help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(Failure::Usage(format!("unknown command '{other}'"))),
    }
}

/// A command-line option applied on top of a preset.
type Override<C> = Box<dyn Fn(&mut C)>;

fn parse_num<T: std::str::FromStr>(parser: &mut lexopt::Parser, name: &str) -> Result<T, Failure> {
    let v = parser.value()?.string()?;
    v.parse().map_err(|_| {
        Failure::Usage(format!(
            "--{name} expects a non-negative whole number, got '{v}'"
        ))
    })
}

/// A named value (`--activation tanh`, `--strategy greedy`): its `FromStr` error, which lists the valid names,
/// becomes a usage error.
fn parse_name<T: std::str::FromStr>(parser: &mut lexopt::Parser, name: &str) -> Result<T, Failure>
where
    T::Err: std::fmt::Display,
{
    let v = parser.value()?.string()?;
    v.parse()
        .map_err(|e| Failure::Usage(format!("--{name}: {e}")))
}

/// The most worker threads `--threads` accepts.
const MAX_THREADS: usize = 1024;

/// `--threads T`: 0 = one per core, at most [`MAX_THREADS`].
fn parse_threads(parser: &mut lexopt::Parser) -> Result<usize, Failure> {
    let t: usize = parse_num(parser, "threads")?;
    if t > MAX_THREADS {
        return Err(Failure::Usage(format!(
            "--threads is at most {MAX_THREADS} (0 = one per core), got {t}"
        )));
    }
    Ok(t)
}

/// `T` threads as run: 0 means one per core.
fn resolve_threads(t: usize) -> usize {
    if t == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        t
    }
}

/// `--order K`: a whole number within [`moment_lab::compress::MAX_ORDER`].
fn parse_order(parser: &mut lexopt::Parser, name: &str) -> Result<usize, Failure> {
    let k: usize = parse_num(parser, name)?;
    moment_lab::compress::check_order(k).map_err(|e| Failure::Usage(format!("--{name}: {e}")))?;
    Ok(k)
}

/// Reads a text file: UTF-8 (a byte-order mark is dropped), anything else a clear error.
fn read_text(path: &str) -> Result<String, Failure> {
    let bytes =
        std::fs::read(path).map_err(|e| Failure::Run(format!("cannot read {path}: {e}")))?;
    moment_lab::data::csv::decode_text(&bytes)
        .map(str::to_string)
        .map_err(|e| Failure::Run(format!("{path}: {e}")))
}

/// A command's output file, checked before any work: its directory is created and the file opened for
/// writing, so that a bad path fails at once rather than after a long run. A file created by this check
/// is removed again if the command ends without writing it. No path: stdout.
struct Output {
    path: Option<String>,
    created: bool,
    written: bool,
}

impl Output {
    fn prepare(path: Option<String>) -> Result<Output, Failure> {
        let Some(p) = path else {
            return Ok(Output {
                path: None,
                created: false,
                written: false,
            });
        };
        let file = std::path::Path::new(&p);
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::Run(format!("cannot create {}: {e}", dir.display())))?;
        }
        let existed = file.exists();
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(file)
            .map_err(|e| Failure::Run(format!("cannot write {p}: {e}")))?;
        Ok(Output {
            path: Some(p),
            created: !existed,
            written: false,
        })
    }

    fn write(mut self, text: &str) -> Result<(), Failure> {
        match &self.path {
            Some(p) => std::fs::write(p, text)
                .map_err(|e| Failure::Run(format!("cannot write {p}: {e}")))?,
            None => print!("{text}"),
        }
        self.written = true;
        Ok(())
    }

    fn write_json(self, value: &serde_json::Value) -> Result<(), Failure> {
        let text = format!(
            "{}\n",
            serde_json::to_string_pretty(value).map_err(run_err)?
        );
        self.write(&text)
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let (Some(p), true, false) = (&self.path, self.created, self.written) {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn compress_cmd(mut parser: lexopt::Parser) -> Result<(), Failure> {
    let (mut input, mut output, mut order, mut target) = (None, None, None, None);
    let mut seed = 0u64;
    let mut strategy = Strategy::Auto;
    let mut threads = 0usize;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("input") => input = Some(parser.value()?.string()?),
            Long("threads") => threads = parse_threads(&mut parser)?,
            Long("output") | Long("out") => output = Some(parser.value()?.string()?),
            Long("order") => order = Some(parse_order(&mut parser, "order")?),
            Long("target") => target = Some(parse_num::<usize>(&mut parser, "target")?),
            Long("seed") => seed = parse_num(&mut parser, "seed")?,
            Long("strategy") => strategy = parse_name(&mut parser, "strategy")?,
            other => return Err(other.unexpected().into()),
        }
    }
    let input = input.ok_or_else(|| Failure::Usage("--input is required".into()))?;
    let order = order.ok_or_else(|| Failure::Usage("--order is required".into()))?;
    let target = target.ok_or_else(|| Failure::Usage("--target is required".into()))?;
    let output = Output::prepare(output)?;
    let text = read_text(&input)?;
    let cloud =
        parse_cloud(&text, usize::MAX).map_err(|e| Failure::Run(format!("{input}: {e}")))?;
    if target >= cloud.len() {
        return Err(Failure::Run(format!(
            "--target {target} must be smaller than the number of points ({})",
            cloud.len()
        )));
    }
    moment_lab::experiments::cloud::cloud_cost(
        cloud.len(),
        cloud.dim,
        order,
        target,
        strategy,
        threads,
    )
    .check(&moment_lab::experiments::cost::Hints {
        call: "lower --target or --order (or use --strategy auto), or compress fewer points",
        run: "lower --target or --order, or compress fewer points",
        bytes: "lower --order or compress fewer points",
    })
    .map_err(|e| Failure::Run(format!("{input}: {e}")))?;
    let params = CompressParams {
        seed,
        ..CompressParams::new(order, target)
    }
    .with_strategy(strategy)
    .with_threads(threads);
    let started = Instant::now();
    let mut compressor = Compressor::new(cloud, params).map_err(run_err)?;
    while !compressor.step(usize::MAX).done {}
    let seconds = started.elapsed().as_secs_f64();
    let result = compressor.result();
    output.write(&write_kept(
        compressor.cloud(),
        &result.indices,
        &result.weights,
    ))?;
    let summary = serde_json::json!({
        "kept": result.indices.len(),
        "residual": result.diagnostics.residual,
        "seconds": seconds,
        "d": compressor.cloud().len(),
        "dim": compressor.cloud().dim,
        "order": order,
        "strategy": strategy,
        "rounds": result.diagnostics.rounds,
        "factorisations": result.diagnostics.factorisations,
        "threads": moment_lab::parallel::Workers::new(threads).threads(),
    });
    eprintln!("{summary}");
    Ok(())
}

fn cloud_cmd(mut parser: lexopt::Parser) -> Result<(), Failure> {
    let mut config = CloudConfig::default();
    let mut output = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("seed") => config.seed = parse_num(&mut parser, "seed")?,
            Long("d") => config.d = parse_num(&mut parser, "d")?,
            Long("dim") => config.dim = parse_num(&mut parser, "dim")?,
            Long("order") | Long("k") => config.k = parse_order(&mut parser, "order")?,
            Long("target") => config.target = parse_num(&mut parser, "target")?,
            Long("strategy") => config.strategy = parse_name(&mut parser, "strategy")?,
            Long("output") | Long("out") => output = Some(parser.value()?.string()?),
            other => return Err(other.unexpected().into()),
        }
    }
    config
        .validate()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let output = Output::prepare(output)?;
    let mut run = CloudRun::new(config.clone()).map_err(run_err)?;
    while !run.step(usize::MAX).done {}
    let r = run.result();
    let json = serde_json::json!({
        "config": config,
        "kept_indices": r.indices,
        "kept_weights": r.weights,
        "summary": run.summary(),
    });
    output.write_json(&json)
}

fn parse_list(parser: &mut lexopt::Parser, name: &str) -> Result<Vec<usize>, Failure> {
    let v = parser.value()?.string()?;
    v.split(',')
        .map(|p| p.trim().parse::<usize>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            Failure::Usage(format!(
                "--{name} expects comma-separated whole numbers, got '{v}'"
            ))
        })
}

fn fig2_cmd(mut parser: lexopt::Parser) -> Result<(), Failure> {
    let mut config = Fig2Config::quick();
    let mut out = None;
    let mut threads = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("preset") => {
                let p = parser.value()?.string()?;
                let seed = config.seed;
                let strategy = config.strategy;
                config = Fig2Config::preset(&p)
                    .ok_or_else(|| Failure::Usage(format!("unknown preset '{p}'")))?;
                config.seed = seed;
                config.strategy = strategy;
            }
            Long("strategy") => config.strategy = parse_name(&mut parser, "strategy")?,
            Long("seed") => config.seed = parse_num(&mut parser, "seed")?,
            Long("dims") => config.dims = parse_list(&mut parser, "dims")?,
            Long("orders") => config.orders = parse_list(&mut parser, "orders")?,
            Long("sizes") => config.sizes = parse_list(&mut parser, "sizes")?,
            Long("trials") => config.trials = parse_num(&mut parser, "trials")?,
            Long("threads") => threads = Some(parse_threads(&mut parser)?),
            Long("out") | Long("output") => out = Some(parser.value()?.string()?),
            other => return Err(other.unexpected().into()),
        }
    }
    // Validation only (the trials run below): a refused config is a usage error.
    let mut run = Fig2Run::new(config.clone()).map_err(Failure::Usage)?;
    let out = Output::prepare(out)?;
    let started = Instant::now();
    let total = run.total();
    // Trials are independent: run them on every core, the most costly (large d, large N(m,k)) first.
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_by_key(|&i| {
        let (m, k, d, _) = run.task(i).unwrap_or_default();
        std::cmp::Reverse((d, n_moments(m, k).unwrap_or(usize::MAX)))
    });
    // Progress every 50 compressions, and at least once a minute (the costliest come first and can take
    // a minute each at m = 5).
    let last_report = std::sync::Mutex::new(Instant::now());
    let (threads, trials) = run_in_parallel(
        threads,
        &order,
        |i| run.run_task(i),
        |_, n| {
            let mut last = last_report.lock().unwrap_or_else(|e| e.into_inner());
            if n % 50 == 0 || n == total || last.elapsed().as_secs() >= 60 {
                *last = Instant::now();
                eprintln!(
                    "fig2: {n}/{total} compressions, {:.0} s",
                    started.elapsed().as_secs_f64()
                );
            }
        },
    )
    .map_err(Failure::Run)?;
    run.finish_with(trials.into_iter().map(|(_, t)| t).collect());
    let slopes = run.slopes();
    for s in &slopes {
        if let Some(f) = s.fit {
            let auth = s
                .authors
                .map(|a| format!("{a:.2}"))
                .unwrap_or_else(|| "-".into());
            eprintln!(
                "m={} k={}: alpha = {:.2} ± {:.2} ({} sizes); authors {auth}; (k+1)/m+0.5 = {:.2}",
                s.m, s.k, f.alpha, f.stderr, f.points, s.guide
            );
        } else {
            eprintln!("m={} k={}: at the float floor, no fit", s.m, s.k);
        }
    }
    let within: Vec<bool> = slopes
        .iter()
        // A slope needs three sizes above the float floor to have a standard error; two are not a fit.
        .filter_map(|s| {
            let fit = s.fit.filter(|f| f.points >= 3)?;
            Some((fit.alpha - s.authors?).abs() <= 0.3)
        })
        .collect();
    let json = serde_json::json!({
        "experiment": "fig2",
        "config": config,
        "seconds": started.elapsed().as_secs_f64(),
        "threads": threads,
        "points": run.points(),
        "slopes": slopes,
        "summary": {
            "fits_compared_with_authors": within.len(),
            "fits_within_0.3_of_authors": within.iter().filter(|&&b| b).count(),
            "max_residual": run.trials().iter().map(|t| t.residual).fold(0.0, f64::max),
        },
        "trials": run.trials(),
    });
    eprintln!("{}", json["summary"]);
    out.write_json(&json)
}

fn fig8_cmd(mut parser: lexopt::Parser) -> Result<(), Failure> {
    let mut config = Fig8Config::quick();
    let mut out = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("preset") => {
                let p = parser.value()?.string()?;
                config = match p.as_str() {
                    "paper" => Fig8Config::paper(),
                    "quick" => Fig8Config::quick(),
                    _ => return Err(Failure::Usage(format!("unknown preset '{p}'"))),
                };
            }
            Long("seed") => config.seed = parse_num(&mut parser, "seed")?,
            Long("out") | Long("output") => out = Some(parser.value()?.string()?),
            other => return Err(other.unexpected().into()),
        }
    }
    config.validate().map_err(Failure::Usage)?;
    let out = Output::prepare(out)?;
    let started = Instant::now();
    let mut trials = Vec::new();
    let mut points = Vec::new();
    for &m in &config.dims {
        for &d in &config.sizes {
            let mut errs = Vec::new();
            for t in 0..config.trials {
                let tr = run_fig8_trial(&config, m, d, t).map_err(run_err)?;
                errs.push(tr.error);
                trials.push(tr);
            }
            let (mean, sd) = mean_sd(&errs);
            let target = trials.last().map(|t| t.target).unwrap_or(0);
            eprintln!("fig8: m={m} d={d} -> {target}: error {mean:.2e} ± {sd:.1e}");
            points.push(
                serde_json::json!({"m": m, "d": d, "target": target, "mean": mean, "sd": sd}),
            );
        }
    }
    let json = serde_json::json!({
        "experiment": "fig8",
        "config": config,
        "seconds": started.elapsed().as_secs_f64(),
        "points": points,
        "trials": trials,
    });
    out.write_json(&json)
}

fn runtime_cmd(mut parser: lexopt::Parser) -> Result<(), Failure> {
    let mut dims = vec![1, 2, 3];
    let mut sizes: Vec<usize> = (0..5).map(|j| 1000 << j).collect();
    let mut order = 5;
    let mut trials = 3;
    let mut strategy = Strategy::Auto;
    let mut threads = 1usize;
    let mut out = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("threads") => threads = parse_threads(&mut parser)?,
            Long("dims") => dims = parse_list(&mut parser, "dims")?,
            Long("sizes") => sizes = parse_list(&mut parser, "sizes")?,
            Long("order") => order = parse_order(&mut parser, "order")?,
            Long("trials") => trials = parse_num(&mut parser, "trials")?,
            Long("strategy") => strategy = parse_name(&mut parser, "strategy")?,
            Long("out") | Long("output") => out = Some(parser.value()?.string()?),
            other => return Err(other.unexpected().into()),
        }
    }
    // The same compressions as a Fig. 2 run (d -> max(0.1 d, N)): the same checks and cost caps.
    Fig2Config {
        dims: dims.clone(),
        orders: vec![order],
        sizes: sizes.clone(),
        trials,
        ratio: 0.1,
        strategy,
        seed: 0,
    }
    .validate()
    .map_err(Failure::Usage)?;
    let out = Output::prepare(out)?;
    let mut rows = Vec::new();
    let mut fits = Vec::new();
    for &m in &dims {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for &d in &sizes {
            // d -> 0.1 d, raised to N(m, k) where that is more (as in Fig. 2 and the authors' code).
            let target = fig2_target(d, m, order, 0.1);
            if target >= d {
                return Err(Failure::Usage(format!(
                    "d = {d} is not above N(m={m}, k={order}) = {target}: nothing to compress; use larger sizes or a lower order"
                )));
            }
            let mut times = Vec::new();
            for t in 0..trials {
                let mut rng = moment_lab::rng::seeded(moment_lab::rng::sub_seed(
                    d as u64 * 31 + m as u64,
                    t as u64,
                ));
                let pts: Vec<f64> = (0..d * m)
                    .map(|_| moment_lab::rng::uniform(&mut rng, -1.0, 1.0))
                    .collect();
                let cloud = moment_lab::compress::Cloud::new(m, pts);
                let params = CompressParams::new(order, target)
                    .with_strategy(strategy)
                    .with_threads(threads);
                let t0 = Instant::now();
                moment_lab::compress::compress(&cloud, &params).map_err(run_err)?;
                times.push(t0.elapsed().as_secs_f64());
            }
            let (mean, sd) = mean_sd(&times);
            eprintln!("runtime: m={m} k={order} d={d} -> {target}: {mean:.4} s ± {sd:.4}");
            xs.push(d as f64);
            ys.push(mean);
            rows.push(serde_json::json!({"m": m, "d": d, "target": target, "mean_seconds": mean, "sd_seconds": sd}));
        }
        // Time grows with d: the fitted "decay" exponent is minus the growth exponent.
        let growth = power_law(&xs, &ys, 0.0).map(|f| -f.alpha);
        eprintln!("runtime: m={m}: time ~ d^{:.2}", growth.unwrap_or(f64::NAN));
        fits.push(serde_json::json!({"m": m, "exponent": growth}));
    }
    let json = serde_json::json!({
        "experiment": "runtime",
        "order": order,
        "strategy": strategy,
        "threads": moment_lab::parallel::Workers::new(threads).threads(),
        "rows": rows,
        "fits": fits,
    });
    out.write_json(&json)
}

fn lth_cmd(mut parser: lexopt::Parser) -> Result<(), Failure> {
    use moment_lab::experiments::lth::{LthConfig, LthRun};
    let mut config = LthConfig::quick();
    let mut out = None;
    let mut maps_res_given = false;
    let mut overrides: Vec<Override<LthConfig>> = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("preset") => {
                let p = parser.value()?.string()?;
                config = LthConfig::preset(&p)
                    .ok_or_else(|| Failure::Usage(format!("unknown preset '{p}'")))?;
            }
            Long("optimizer") => {
                let v = parser.value()?.string()?;
                overrides.push(Box::new(move |c| c.optimizer = v.clone()));
            }
            Long("lr") => {
                let v = parser.value()?.string()?;
                let lr: f64 = v
                    .parse()
                    .map_err(|_| Failure::Usage(format!("--lr expects a number, got '{v}'")))?;
                overrides.push(Box::new(move |c| c.lr = lr));
            }
            Long("seed") => {
                let s: u64 = parse_num(&mut parser, "seed")?;
                overrides.push(Box::new(move |c| c.seed = s));
            }
            Long("order") => {
                let k = parse_order(&mut parser, "order")?;
                overrides.push(Box::new(move |c| c.order = k));
            }
            Long("width") => {
                let w: usize = parse_num(&mut parser, "width")?;
                overrides.push(Box::new(move |c| c.width = w));
            }
            Long("target") => {
                let t: usize = parse_num(&mut parser, "target")?;
                overrides.push(Box::new(move |c| c.target = t));
            }
            Long("epochs") => {
                let e: usize = parse_num(&mut parser, "epochs")?;
                overrides.push(Box::new(move |c| c.epochs = e));
            }
            Long("samples") => {
                let n: usize = parse_num(&mut parser, "samples")?;
                overrides.push(Box::new(move |c| c.n_train = n));
            }
            Long("batch") => {
                let b: usize = parse_num(&mut parser, "batch")?;
                overrides.push(Box::new(move |c| c.batch_size = b));
            }
            Long("no-rescale") => overrides.push(Box::new(|c| c.rescale = false)),
            Long("activation") => {
                let act: moment_lab::nn::Activation = parse_name(&mut parser, "activation")?;
                overrides.push(Box::new(move |c| c.activation = act));
            }
            Long("chart") => {
                let chart = parse_chart(&mut parser)?;
                overrides.push(Box::new(move |c| c.chart = chart));
            }
            Long("strategy") => {
                let strategy: moment_lab::compress::Strategy = parse_name(&mut parser, "strategy")?;
                overrides.push(Box::new(move |c| c.strategy = strategy));
            }
            Long("maps") => {
                let e: usize = parse_num(&mut parser, "maps")?;
                if e == 0 {
                    return Err(Failure::Usage(
                        "--maps expects the number of epochs between maps, at least 1".into(),
                    ));
                }
                overrides.push(Box::new(move |c| c.maps_every = e));
            }
            Long("maps-res") => {
                let r: usize = parse_num(&mut parser, "maps-res")?;
                maps_res_given = true;
                overrides.push(Box::new(move |c| c.maps_res = r));
            }
            Long("out") | Long("output") => out = Some(parser.value()?.string()?),
            other => return Err(other.unexpected().into()),
        }
    }
    for o in &overrides {
        o(&mut config);
    }
    if maps_res_given && config.maps_every == 0 {
        return Err(Failure::Usage(
            "--maps-res sets the resolution of the maps that --maps E records; give --maps too"
                .into(),
        ));
    }
    config.validate().map_err(Failure::Usage)?;
    let out = Output::prepare(out)?;
    let started = Instant::now();
    let mut run = LthRun::new(config.clone()).map_err(Failure::Run)?;
    let setup = started.elapsed().as_secs_f64();
    let names: Vec<&str> = run.arms().iter().map(|a| a.name()).collect();
    eprintln!("lth: set-up (data, init, compression) {setup:.2} s; arms {names:?}");
    let mut last_report = Instant::now();
    while !run.is_done() {
        run.step(64);
        if last_report.elapsed().as_secs_f64() > 5.0 || run.is_done() {
            last_report = Instant::now();
            let p = run
                .curve()
                .iter()
                .rev()
                .find(|p| p.test.iter().all(|v| !v.is_nan()));
            if let Some(p) = p {
                let losses: Vec<String> = p.test.iter().map(|v| format!("{v:.5}")).collect();
                eprintln!(
                    "lth: epoch {}/{} test {:?} ({:.0} s)",
                    run.epoch(),
                    config.epochs,
                    losses,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    let summary = run.summary();
    eprintln!("{}", serde_json::to_string(&summary).map_err(run_err)?);
    let mut json = serde_json::json!({
        "experiment": "lth",
        "config": config,
        "arms": names,
        "seconds": started.elapsed().as_secs_f64(),
        "setup_seconds": setup,
        "summary": summary,
        "curve": run.curve(),
    });
    if config.maps_every > 0 {
        json["function_maps"] = serde_json::json!({
            "res": config.maps_res,
            "span": 1.0,
            "rows": "row-major, first row at y = +1, columns from x = -1",
            "target": moment_lab::experiments::lth::target_map(config.maps_res),
            "epochs": run.function_maps(),
        });
    }
    out.write_json(&json)
}

fn dataset_cmd(mut parser: lexopt::Parser) -> Result<(), Failure> {
    use moment_lab::experiments::dataset::{DataArm, DatasetConfig, DatasetRun};
    let mut config = DatasetConfig::quick();
    let mut out = None;
    let mut landscape_res = 0usize;
    let mut data: Option<String> = None;
    let mut overrides: Vec<Override<DatasetConfig>> = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("preset") => {
                let p = parser.value()?.string()?;
                config = DatasetConfig::preset(&p)
                    .ok_or_else(|| Failure::Usage(format!("unknown preset '{p}'")))?;
            }
            Long("optimizer") => {
                let v = parser.value()?.string()?;
                overrides.push(Box::new(move |c| c.optimizer = v.clone()));
            }
            Long("lr") => {
                let v = parser.value()?.string()?;
                let lr: f64 = v
                    .parse()
                    .map_err(|_| Failure::Usage(format!("--lr expects a number, got '{v}'")))?;
                overrides.push(Box::new(move |c| c.lr = lr));
            }
            Long("seed") => {
                let s: u64 = parse_num(&mut parser, "seed")?;
                overrides.push(Box::new(move |c| c.seed = s));
            }
            Long("epochs") => {
                let e: usize = parse_num(&mut parser, "epochs")?;
                overrides.push(Box::new(move |c| c.epochs = e));
            }
            Long("teacher-seed") => {
                let t: u64 = parse_num(&mut parser, "teacher-seed")?;
                overrides.push(Box::new(move |c| c.teacher_seed = t));
            }
            Long("kmeans") => overrides.push(Box::new(|c| {
                if !c.arms.contains(&DataArm::Kmeans) {
                    c.arms.push(DataArm::Kmeans)
                }
            })),
            Long("landscape") => landscape_res = parse_num(&mut parser, "landscape")?,
            Long("target") => {
                let t: usize = parse_num(&mut parser, "target")?;
                overrides.push(Box::new(move |c| c.target = t));
            }
            Long("order") => {
                let k = parse_order(&mut parser, "order")?;
                overrides.push(Box::new(move |c| c.order = k));
            }
            Long("data") => data = Some(parser.value()?.string()?),
            Long("out") | Long("output") => out = Some(parser.value()?.string()?),
            other => return Err(other.unexpected().into()),
        }
    }
    for o in &overrides {
        o(&mut config);
    }
    // Without --data the options alone decide; with it, the sizes come from the file (exit 1 for those).
    match &data {
        None => config.validate().map(|_| ()),
        Some(_) => config.validate_options().map(|_| ()),
    }
    .map_err(Failure::Usage)?;
    let out = Output::prepare(out)?;
    let started = Instant::now();
    let mut run = match &data {
        None => DatasetRun::new(config.clone()).map_err(Failure::Run)?,
        Some(path) => {
            let text = read_text(path)?;
            let set = moment_lab::data::csv::parse_regression(&text, 10_000_000)
                .map_err(|e| Failure::Run(format!("{path}: {e}")))?;
            DatasetRun::from_data(config.clone(), set).map_err(Failure::Run)?
        }
    };
    let config = run.config().clone();
    let setup = started.elapsed().as_secs_f64();
    let names: Vec<&str> = run.arms().iter().map(|a| a.name()).collect();
    eprintln!("dataset: set-up (data, compression, k-means) {setup:.2} s; arms {names:?}");
    let landscape_init = (landscape_res > 0)
        .then(|| run.landscape(landscape_res, 1.0, false, config.seed))
        .transpose()
        .map_err(Failure::Run)?;
    let t_train = Instant::now();
    while !run.is_done() {
        run.step(10);
        if let Some(p) = run
            .curve()
            .iter()
            .rev()
            .find(|p| p.test.iter().all(|v| !v.is_nan()))
            && (run.epoch() % 50 == 0 || run.is_done())
        {
            let l: Vec<String> = p.test.iter().map(|v| format!("{v:.4}")).collect();
            eprintln!(
                "dataset: epoch {}/{} test {l:?}",
                run.epoch(),
                config.epochs
            );
        }
    }
    let training = t_train.elapsed().as_secs_f64();
    let landscape_end = (landscape_res > 0)
        .then(|| run.landscape(landscape_res, 1.0, true, config.seed))
        .transpose()
        .map_err(Failure::Run)?;
    let summary = run.summary();
    eprintln!("{}", serde_json::to_string(&summary).map_err(run_err)?);
    if let (Some(a), Some(b)) = (&landscape_init, &landscape_end) {
        eprintln!(
            "dataset: landscape deviation from full, around init {:?}, around trained {:?}",
            a.deviation, b.deviation
        );
    }
    let json = serde_json::json!({
        "experiment": "dataset",
        "config": config,
        "arms": names,
        "setup_seconds": setup,
        "training_seconds": training,
        "summary": summary,
        "curve": run.curve(),
        "landscape_init": landscape_init,
        "landscape_trained": landscape_end,
        // Own data only: the map from the file's units to the training units (inputs, then y).
        "standardisation": run.standardisation(),
    });
    out.write_json(&json)
}

fn parse_chart(parser: &mut lexopt::Parser) -> Result<moment_lab::nn::NeuronChart, Failure> {
    use moment_lab::nn::NeuronChart;
    match parser.value()?.string()?.as_str() {
        "raw" => Ok(NeuronChart::Raw),
        "homogeneous" => Ok(NeuronChart::Homogeneous),
        other => Err(Failure::Usage(format!(
            "--chart is raw or homogeneous, got '{other}'"
        ))),
    }
}

fn scaling_cmd(mut parser: lexopt::Parser) -> Result<(), Failure> {
    use moment_lab::experiments::scaling::{Axis, ScalingConfig, ScalingRun};
    let mut axis = None;
    let mut preset = "quick".to_string();
    let mut seeds = None;
    let mut sizes = None;
    let mut epochs = None;
    let mut lr = None;
    let mut samples = None;
    let mut threads = None;
    let mut chart = None;
    let mut out = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("threads") => threads = Some(parse_threads(&mut parser)?),
            Long("axis") => {
                axis = Some(match parser.value()?.string()?.as_str() {
                    "data" => Axis::Data,
                    "width" => Axis::Width,
                    other => {
                        return Err(Failure::Usage(format!(
                            "--axis is data or width, got '{other}'"
                        )));
                    }
                })
            }
            Long("preset") => preset = parser.value()?.string()?,
            Long("seeds") => seeds = Some(parse_num(&mut parser, "seeds")?),
            Long("sizes") => sizes = Some(parse_list(&mut parser, "sizes")?),
            Long("epochs") => epochs = Some(parse_num(&mut parser, "epochs")?),
            Long("lr") => {
                let v = parser.value()?.string()?;
                lr =
                    Some(v.parse::<f64>().map_err(|_| {
                        Failure::Usage(format!("--lr expects a number, got '{v}'"))
                    })?);
            }
            Long("samples") => samples = Some(parse_num(&mut parser, "samples")?),
            Long("chart") => chart = Some(parse_chart(&mut parser)?),
            Long("out") | Long("output") => out = Some(parser.value()?.string()?),
            other => return Err(other.unexpected().into()),
        }
    }
    let axis = axis.ok_or_else(|| Failure::Usage("--axis data|width is required".into()))?;
    let mut config = ScalingConfig::preset(axis, &preset)
        .ok_or_else(|| Failure::Usage(format!("unknown preset '{preset}'")))?;
    if let Some(s) = seeds {
        config.seeds = s;
    }
    if let Some(s) = sizes {
        config.sizes = s;
    }
    if let Some(e) = epochs {
        config.epochs = e;
    }
    if let Some(l) = lr {
        config.lr = l;
    }
    if let Some(n) = samples {
        config.n_samples = n;
    }
    if let Some(c) = chart {
        config.chart = c;
    }
    // Validation only (the runs happen below): a refused config is a usage error.
    let mut run = ScalingRun::new(config.clone()).map_err(Failure::Usage)?;
    let out = Output::prepare(out)?;
    let started = Instant::now();
    // Size × seed tasks are independent and deterministic: run them on every core, largest first (so the
    // long ones do not end up last on one thread); the rows and the fit do not depend on the thread count.
    let mut order: Vec<usize> = (0..run.total()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(config.sizes[i / config.seeds]));
    let (threads, rows) = run_in_parallel(threads, &order, |i| run.run_task(i), |r, n| {
        eprintln!(
            "scaling: d={} d'={} seed {}: original {:.5} compressed {:.5} ({n}/{} runs, {:.0} s)",
            r.d,
            r.d_prime,
            r.seed,
            r.original,
            r.compressed,
            run.total(),
            started.elapsed().as_secs_f64()
        )
    })
    .map_err(Failure::Run)?;
    let rows = rows.into_iter().map(|(_, r)| r).collect();
    run.finish_with(rows);
    let summary = run.summary();
    eprintln!(
        "scaling: alpha original {:?}, compressed {:?}, ratio {:?}",
        summary.alpha_original.map(|f| (f.alpha, f.stderr)),
        summary.alpha_compressed.map(|f| (f.alpha, f.stderr)),
        summary.ratio
    );
    let json = serde_json::json!({
        "experiment": "scaling",
        "config": config,
        "seconds": started.elapsed().as_secs_f64(),
        "threads": threads,
        "summary": summary,
        "rows": run.rows(),
    });
    out.write_json(&json)
}

/// Runs `task(i)` for every `i` of `order` on `threads` threads (`None` or 0: one per core), in that order of
/// starting; `progress(result, finished)` is called as each one ends. Returns the thread count and the
/// `(i, result)` pairs sorted by `i`, so the output does not depend on the thread count. The first error
/// stops the other threads from taking new work and is returned.
fn run_in_parallel<T: Send>(
    threads: Option<usize>,
    order: &[usize],
    task: impl Fn(usize) -> Result<T, String> + Sync,
    progress: impl Fn(&T, usize) + Sync,
) -> Result<(usize, Vec<(usize, T)>), String> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
    let threads = resolve_threads(threads.unwrap_or(0)).clamp(1, order.len().max(1));
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error = std::sync::Mutex::new(None::<String>);
    let per_thread: Vec<Option<Vec<(usize, T)>>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while !failed.load(Relaxed) {
                        let Some(&i) = order.get(next.fetch_add(1, Relaxed)) else {
                            break;
                        };
                        match task(i) {
                            Ok(r) => {
                                progress(&r, finished.fetch_add(1, Relaxed) + 1);
                                done.push((i, r));
                            }
                            Err(e) => {
                                // Keep the error that happened first, not the one of the first thread.
                                if !failed.swap(true, Relaxed) {
                                    *first_error.lock().unwrap_or_else(|p| p.into_inner()) =
                                        Some(e);
                                }
                            }
                        }
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().ok()).collect()
    });
    if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let mut all = Vec::new();
    for r in per_thread {
        all.extend(r.ok_or("a worker thread panicked")?);
    }
    all.sort_by_key(|&(i, _)| i);
    Ok((threads, all))
}

/// Line-oriented benchmark server (see USAGE): the native side of bench/run.mjs, which interleaves these
/// requests with the same ones in headless Chromium.
fn bench_cmd(mut parser: lexopt::Parser) -> Result<(), Failure> {
    use moment_lab::experiments::bench::{BenchCase, NnBench, NnBenchConfig, PreparedCase};
    use std::collections::HashMap;
    use std::io::{BufRead, Write};
    if let Some(arg) = parser.next()? {
        return Err(arg.unexpected().into());
    }
    #[derive(serde::Deserialize)]
    #[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
    enum Request {
        Compress {
            case: BenchCase,
            #[serde(default)]
            reps: Option<usize>,
        },
        Nn {
            #[serde(default)]
            config: NnBenchConfig,
            mode: String,
            min_seconds: f64,
        },
    }
    let mut cases: HashMap<String, PreparedCase> = HashMap::new();
    let mut nets: HashMap<String, NnBench> = HashMap::new();
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line.map_err(run_err)?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Request>(&line) {
            Err(e) => serde_json::json!({"error": format!("bad request: {e}")}),
            Ok(Request::Compress { case, reps }) => {
                let key = serde_json::to_string(&case).map_err(run_err)?;
                let prepared = match cases.entry(key) {
                    std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        case.prepare().map(|p| v.insert(p))
                    }
                };
                let reps = reps.unwrap_or(1).max(1);
                match prepared {
                    Err(e) => serde_json::json!({"error": e}),
                    Ok(_) if reps > 1000 => serde_json::json!({"error": "at most 1000 reps"}),
                    Ok(prepared) => {
                        let mut seconds = Vec::new();
                        let mut out = Vec::new();
                        for _ in 0..reps {
                            let t = Instant::now();
                            out.push(prepared.run());
                            seconds.push(t.elapsed().as_secs_f64());
                        }
                        match out.pop() {
                            Some(Ok(o)) => {
                                serde_json::json!({"seconds": seconds, "kept": o.kept, "residual": o.residual,
                                "fig2_error": o.fig2_error, "factorisations": o.factorisations})
                            }
                            Some(Err(e)) => serde_json::json!({"error": e.to_string()}),
                            None => serde_json::json!({"error": "no run"}),
                        }
                    }
                }
            }
            Ok(Request::Nn {
                config,
                mode,
                min_seconds,
            }) => {
                let key = serde_json::to_string(&config).map_err(run_err)?;
                let bench = match nets.entry(key) {
                    std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        NnBench::new(config).map(|b| v.insert(b))
                    }
                };
                match bench {
                    Err(e) => serde_json::json!({"error": e.to_string()}),
                    Ok(b) => {
                        let t = Instant::now();
                        let mut steps = 0usize;
                        let mut res = Ok(0.0);
                        while res.is_ok() && (steps == 0 || t.elapsed().as_secs_f64() < min_seconds)
                        {
                            res = if mode == "train" {
                                b.train_steps(8)
                            } else {
                                b.grad_steps(8)
                            };
                            steps += 8;
                        }
                        let secs = t.elapsed().as_secs_f64();
                        match res {
                            Ok(loss) => {
                                serde_json::json!({"steps": steps, "seconds": secs, "loss": loss,
                                "flops_per_grad_step": b.flops_per_grad_step()})
                            }
                            Err(e) => serde_json::json!({"error": e.to_string()}),
                        }
                    }
                }
            }
        };
        writeln!(stdout, "{answer}").map_err(run_err)?;
        stdout.flush().map_err(run_err)?;
    }
    Ok(())
}
