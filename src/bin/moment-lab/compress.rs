//! `moment-lab compress`: a CSV point cloud in, its kept rows out (`index,weight,x1,...,xm`), with a
//! one-line JSON summary on stderr. A tool, not an experiment: it writes the kept points, not a result
//! document.

use std::time::Instant;

use lexopt::prelude::*;
use moment_lab::compress::{CompressParams, Compressor, Strategy};
use moment_lab::data::csv::{parse_cloud, write_kept};

use crate::Failure;
use crate::args::{parse_num, parse_threads};
use crate::output::{Output, read_text};

pub fn run(mut parser: lexopt::Parser) -> Result<(), Failure> {
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
            Long("strategy") => {
                strategy = parser
                    .value()?
                    .string()?
                    .parse()
                    .map_err(|e| Failure::Usage(format!("--strategy: {e}")))?
            }
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
    let mut compressor = Compressor::new(cloud, params).map_err(|e| Failure::Run(e.to_string()))?;
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

/// `--order K`: a whole number within [`moment_lab::compress::MAX_ORDER`].
fn parse_order(parser: &mut lexopt::Parser, name: &str) -> Result<usize, Failure> {
    let k: usize = parse_num(parser, name)?;
    moment_lab::compress::check_order(k).map_err(|e| Failure::Usage(format!("--{name}: {e}")))?;
    Ok(k)
}
