//! `moment-lab`: the native command line. Runs the same experiments as the page, at full scale, and writes
//! CSV/JSON. All I/O, clocks and argument parsing live here; the science is in the library.
//!
//! Exit codes: 0 success; 1 bad or unreadable input data, an unwritable output or a failed run; 2 usage
//! error (unknown command or option, or a bad option value, including a run refused by the cost caps).
//! `moment-lab help` says the same.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::run(std::env::args_os().skip(1).collect()));
}

/// Integration tests build every binary for the test target; on wasm32 there is no CLI.
#[cfg(target_arch = "wasm32")]
fn main() {}
