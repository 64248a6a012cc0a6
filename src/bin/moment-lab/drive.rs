//! The one loop every experiment runs through: check the configuration (a usage error if it is refused),
//! check the output path, build the run (on the user's CSV with `--data`), run it — its independent
//! parts on `--threads` threads when it has them; with more than one thread, its lanes (arms trained
//! side by side) each on a thread when it has those; else stepped — with a progress line every few
//! seconds, and write the result document.

use std::sync::Mutex;
use std::time::Instant;

use moment_lab::experiments::document::Seconds;
use moment_lab::experiments::registry::Entry;
use moment_lab::experiments::{AnyExperiment, Host};
use moment_lab::parallel::Workers;

use crate::Failure;
use crate::args::{self, usage};
use crate::output::{Output, read_text};

/// Seconds between progress lines.
const REPORT_EVERY: f64 = 5.0;

/// The most rows the CLI reads from a user's CSV.
const MAX_ROWS: usize = 10_000_000;

/// Wall-clock seconds since the first call: the clock experiments that time things are given.
fn now() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

pub fn run(entry: &Entry, parser: lexopt::Parser) -> Result<(), Failure> {
    let kind = entry.kind;
    let command = args::parse(entry, parser)?;
    // Without --data the options alone decide; with it, the sizes come from the file (exit 1 for those).
    entry
        .check(&command.config, command.data.is_some())
        .map_err(usage)?;
    let out = Output::prepare(command.out)?;
    let started = Instant::now();
    let host = Host {
        threads: command.threads,
        clock: Some(now),
        max_rows: MAX_ROWS,
    };
    let mut run = match &command.data {
        None => entry.build(command.config, None, &host),
        Some(path) => {
            let text = read_text(path)?;
            entry
                .build(command.config, Some(&text), &host)
                .map_err(|e| moment_lab::experiments::ExperimentError::Data(format!("{path}: {e}")))
        }
    }
    .map_err(|e| Failure::Run(e.to_string()))?;
    let setup = started.elapsed().as_secs_f64();
    eprintln!("{kind}: set up in {setup:.2} s");
    let threads = if run.parts() > 0 {
        run_parts(&mut *run, command.threads, started)?
    } else if run.lanes() > 1 && Workers::new(command.threads).threads() > 1 {
        run_lanes(&mut *run, command.threads, started)?
    } else {
        run_steps(&mut *run, started)?;
        run.threads()
    };
    let mut document = run.document().map_err(|e| Failure::Run(e.to_string()))?;
    let total = started.elapsed().as_secs_f64();
    document.threads = Some(threads);
    document.seconds = Some(Seconds { setup, total });
    eprintln!("{kind}: done in {total:.1} s; summary {}", document.summary);
    out.write_json(&document)
}

/// The progress line: the same for every experiment.
fn report(kind: &str, fraction: f64, what: &str, started: Instant) {
    eprintln!(
        "{kind}: {:>3.0} % · {what} · {:.0} s",
        100.0 * fraction,
        started.elapsed().as_secs_f64()
    );
}

/// Steps the run to its end with a budget steered to about a second per call.
fn run_steps(run: &mut dyn AnyExperiment, started: Instant) -> Result<(), Failure> {
    let mut budget = 1usize;
    let mut last_report = Instant::now();
    while !run.is_done() {
        let t = Instant::now();
        run.step(budget).map_err(|e| Failure::Run(e.to_string()))?;
        let took = t.elapsed().as_secs_f64();
        budget = if took < 0.25 {
            budget.saturating_mul(2)
        } else if took > 2.0 {
            (budget / 2).max(1)
        } else {
            budget
        };
        if last_report.elapsed().as_secs_f64() >= REPORT_EVERY || run.is_done() {
            last_report = Instant::now();
            report(run.kind(), run.progress(), &run.status(), started);
        }
    }
    Ok(())
}

/// Runs the parts on `threads` threads; returns the threads used.
fn run_parts(
    run: &mut dyn AnyExperiment,
    threads: usize,
    started: Instant,
) -> Result<usize, Failure> {
    let (kind, total) = (run.kind(), run.parts());
    let last_report = Mutex::new(Instant::now());
    let on_part = |finished: usize, item: &serde_json::Value| {
        let mut last = last_report.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed().as_secs_f64() >= REPORT_EVERY || finished == total {
            *last = Instant::now();
            let what = format!("{finished} of {total} parts; the last: {item}");
            report(kind, finished as f64 / total as f64, &what, started);
        }
    };
    run.run_parts(threads, &on_part)
        .map_err(|e| Failure::Run(e.to_string()))
}

/// Trains the lanes on `threads` threads; returns the threads used.
fn run_lanes(
    run: &mut dyn AnyExperiment,
    threads: usize,
    started: Instant,
) -> Result<usize, Failure> {
    let (kind, total) = (run.kind(), run.lanes());
    let on_lane = |finished: usize| {
        let what = format!("{finished} of {total} arms trained");
        report(kind, finished as f64 / total as f64, &what, started);
    };
    run.run_lanes(threads, &on_lane)
        .map_err(|e| Failure::Run(e.to_string()))
}
