//! `moment-lab`: the native command line. Runs the same experiments as the page, at full scale, and writes
//! their result documents. All I/O, clocks and argument parsing live here; the science is in the library.
//!
//! Every experiment of the registry is a command, parsed and run by the same code: `args.rs` merges the
//! flags onto a preset, `drive.rs` runs it with the same progress lines and writes the result document.
//! `compress` (a CSV in, a CSV out) and `bench` (the benchmark server) are tools of their own.
//!
//! Exit codes: 0 success; 1 bad or unreadable input data, an unwritable output or a failed run; 2 usage
//! error (unknown command or option, or a bad option value, including a run refused by the cost caps).
//! `moment-lab help` says the same.

#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod bench;
#[cfg(not(target_arch = "wasm32"))]
mod compress;
#[cfg(not(target_arch = "wasm32"))]
mod drive;
#[cfg(not(target_arch = "wasm32"))]
mod help;
#[cfg(not(target_arch = "wasm32"))]
mod output;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(run(std::env::args_os().skip(1).collect()));
}

/// Integration tests build every binary for the test target; on wasm32 there is no CLI.
#[cfg(target_arch = "wasm32")]
fn main() {}

/// Why a command failed, and so its exit code.
#[cfg(not(target_arch = "wasm32"))]
pub enum Failure {
    /// Exit code 2: the command line is wrong (and the usage is printed).
    Usage(String),
    /// Exit code 1: the data, the output or the run failed.
    Run(String),
}

#[cfg(not(target_arch = "wasm32"))]
impl From<lexopt::Error> for Failure {
    fn from(e: lexopt::Error) -> Self {
        Failure::Usage(e.to_string())
    }
}

/// Runs the CLI; returns the process exit code.
#[cfg(not(target_arch = "wasm32"))]
fn run(args: Vec<std::ffi::OsString>) -> i32 {
    match dispatch(args) {
        Ok(()) => 0,
        Err(Failure::Usage(m)) => match help::usage() {
            Ok(usage) => {
                eprintln!("error: {m}\n\n{usage}");
                2
            }
            Err(e) => {
                eprintln!("error: {m}\nerror: the help text: {e}");
                1
            }
        },
        Err(Failure::Run(m)) => {
            eprintln!("error: {m}");
            1
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn dispatch(args: Vec<std::ffi::OsString>) -> Result<(), Failure> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let command = match parser.next()? {
        Some(Value(v)) => v.string()?,
        Some(Long("help")) | Some(Short('h')) | None => {
            print!(
                "{}",
                help::usage().map_err(|e| Failure::Run(e.to_string()))?
            );
            return Ok(());
        }
        Some(other) => return Err(Failure::Usage(other.unexpected().to_string())),
    };
    match command.as_str() {
        "compress" => compress::run(parser),
        "bench" => bench::run(parser),
        "help" => {
            print!(
                "{}",
                help::usage().map_err(|e| Failure::Run(e.to_string()))?
            );
            Ok(())
        }
        kind => match moment_lab::experiments::registry::entry(kind) {
            Ok(entry) => drive::run(entry, parser),
            Err(_) => Err(Failure::Usage(format!("unknown command '{kind}'"))),
        },
    }
}
