use std::ffi::OsString;
use std::time::Instant;

use lexopt::prelude::*;
use moment_lab::compress::{CompressParams, Compressor, Strategy};
use moment_lab::data::csv::{parse_cloud, write_kept};
use moment_lab::experiments::cloud::{CloudConfig, CloudRun};

const USAGE: &str = "\
moment-lab: moment-matching compression (arXiv 2510.00504)

USAGE:
  moment-lab compress --input points.csv --order K --target D [--seed S] [--strategy auto|bulk|greedy|random]
                      [--output kept.csv]
      Compress a CSV point cloud (header row; numeric columns; optional `weight` column) to a weighted
      subset of at most D of its rows that keeps every moment up to order K. Writes
      `index,weight,x1,...,xm` (index = 0-based data row) to --output or stdout, and a one-line JSON
      summary {kept, residual, seconds, ...} to stderr.
  moment-lab cloud [--seed S] [--d N] [--dim M] [--order K] [--target D] [--strategy ...] [--output out.json]
      The page's \"compress a cloud\" demo (standard-normal cloud from the seed); writes its full result as
      JSON: config, kept indices and weights, summary.
  moment-lab help
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
        "help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(Failure::Usage(format!("unknown command '{other}'"))),
    }
}

fn parse_num<T: std::str::FromStr>(parser: &mut lexopt::Parser, name: &str) -> Result<T, Failure> {
    let v = parser.value()?.string()?;
    v.parse().map_err(|_| {
        Failure::Usage(format!(
            "--{name} expects a non-negative whole number, got '{v}'"
        ))
    })
}

fn write_output(path: Option<&str>, text: &str) -> Result<(), Failure> {
    match path {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| Failure::Run(format!("cannot write {p}: {e}")))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

fn compress_cmd(mut parser: lexopt::Parser) -> Result<(), Failure> {
    let (mut input, mut output, mut order, mut target) = (None, None, None, None);
    let mut seed = 0u64;
    let mut strategy = Strategy::Auto;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("input") => input = Some(parser.value()?.string()?),
            Long("output") => output = Some(parser.value()?.string()?),
            Long("order") => order = Some(parse_num::<usize>(&mut parser, "order")?),
            Long("target") => target = Some(parse_num::<usize>(&mut parser, "target")?),
            Long("seed") => seed = parse_num(&mut parser, "seed")?,
            Long("strategy") => strategy = parser.value()?.string()?.parse().map_err(run_err)?,
            other => return Err(other.unexpected().into()),
        }
    }
    let input = input.ok_or_else(|| Failure::Usage("--input is required".into()))?;
    let order = order.ok_or_else(|| Failure::Usage("--order is required".into()))?;
    let target = target.ok_or_else(|| Failure::Usage("--target is required".into()))?;
    let text = std::fs::read_to_string(&input)
        .map_err(|e| Failure::Run(format!("cannot read {input}: {e}")))?;
    let cloud =
        parse_cloud(&text, usize::MAX).map_err(|e| Failure::Run(format!("{input}: {e}")))?;
    if target >= cloud.len() {
        return Err(Failure::Run(format!(
            "--target {target} must be smaller than the number of points ({})",
            cloud.len()
        )));
    }
    let params = CompressParams {
        seed,
        ..CompressParams::new(order, target)
    }
    .with_strategy(strategy);
    let started = Instant::now();
    let mut compressor = Compressor::new(cloud, params).map_err(run_err)?;
    while !compressor.step(usize::MAX).done {}
    let seconds = started.elapsed().as_secs_f64();
    let result = compressor.result();
    write_output(
        output.as_deref(),
        &write_kept(compressor.cloud(), &result.indices, &result.weights),
    )?;
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
            Long("order") | Long("k") => config.k = parse_num(&mut parser, "order")?,
            Long("target") => config.target = parse_num(&mut parser, "target")?,
            Long("strategy") => {
                config.strategy = parser.value()?.string()?.parse().map_err(run_err)?
            }
            Long("output") => output = Some(parser.value()?.string()?),
            other => return Err(other.unexpected().into()),
        }
    }
    let mut run = CloudRun::new(config.clone()).map_err(run_err)?;
    while !run.step(usize::MAX).done {}
    let r = run.result();
    let json = serde_json::json!({
        "config": config,
        "kept_indices": r.indices,
        "kept_weights": r.weights,
        "summary": run.summary(),
    });
    write_output(
        output.as_deref(),
        &format!(
            "{}\n",
            serde_json::to_string_pretty(&json).map_err(run_err)?
        ),
    )
}
